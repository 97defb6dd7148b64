"""Notifications to the data officer: recorded in the operational database (the portal shows
them) and sent by e-mail when the municipality's configuration names an SMTP server.

What is notified: a delivery refused, rejected, unreadable or failed; a flow that failed after its
retries (Prefect's on_failure hook); a partner without a delivery for longer than its expected
interval. Messages are built here from codes, ids, counts and error codes only. An exception's
message is never included, only its type: library messages can quote data. Nor is a delivery's
file name, in the subject or the body: partners choose them and one may hold a resident's name,
and e-mail travels and is kept beyond our stores. A notification names the delivery by its id;
the data officer's delivery page (and `vroeg quarantine`) shows the name.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import func, select

from vroeg.config import Municipality
from vroeg.opsdb import db
from vroeg.opsdb.models import Delivery, Notification
from vroeg.opsdb.statuses import PROBLEMS


@dataclass(frozen=True)
class Message:
    kind: str
    about: str | None
    subject: str
    body: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def send(municipality: Municipality, message: Message,
         recipients: list[str] | None = None) -> None:
    """E-mail a message to the configured recipients, or to `recipients` (a team's
    coordinators), through the configured server (raises on failure)."""
    settings = municipality.operations.notifications
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.recipients if recipients is None else recipients)
    mail["Subject"] = f"[Vroegsignalering {municipality.code}] {message.subject}"
    # A crisis message goes to a team's coordinators, whose portal shows the list itself.
    where = ("de bezoeklijst staat in het portaal onder Bezoeklijsten" if message.kind == "crisis"
             else "deze melding staat ook in het portaal onder Meldingen")
    mail.set_content(f"{message.body}\n\n{where[0].upper()}{where[1:]}.\n")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                      timeout=settings.timeout_seconds) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, os.environ.get(settings.password_env or "", ""))
        smtp.send_message(mail)


def notify(database_url: str, municipality: Municipality, message: Message, *,
           recipients: list[str] | None = None, wijkteam: str | None = None,
           households: int | None = None) -> Notification:
    """Record a notification, then try to e-mail it; a failed e-mail is recorded, not raised
    (the notification still shows in the portal). `recipients`: a team's coordinators instead
    of the data officer (a crisis notification, with its `wijkteam` and `households`)."""
    record = Notification(gemeente=municipality.code, kind=message.kind, about=message.about,
                          subject=message.subject, body=message.body, wijkteam=wijkteam,
                          households=households)
    settings = municipality.operations.notifications
    if not settings.smtp_host or not (settings.recipients if recipients is None else recipients):
        record.send_error = ("geen e-mailadres van het wijkteam ingesteld"
                             if settings.smtp_host and recipients is not None
                             else "geen e-mail ingesteld")
    else:
        try:
            send(municipality, message, recipients)
            record.sent_at = _now()
        except (OSError, smtplib.SMTPException) as exc:
            record.send_error = f"verzenden mislukt ({type(exc).__name__})"
    with db.session(database_url) as s:
        s.add(record)
    return record


# ----------------------------------------------------------------------------------------------
# What is notified
# ----------------------------------------------------------------------------------------------


def without_filename(text: str, filename: str | None) -> str:
    """A delivery's message without the file's name (messages start with it: "naam.csv: ...")."""
    if not filename:
        return text
    text = text.removeprefix(f"{filename}: ")
    return text.replace(filename, "(bestandsnaam)")


def delivery_message(row: dict) -> Message | None:
    """A delivery summary (flows.ingest) that needs attention, as a message; else None. Neither
    subject nor body holds the file name (see the module's docstring)."""
    if row.get("status") not in PROBLEMS:
        return None
    partner = row.get("partner") or "standaardformaat"
    delivery = row.get("levering")
    lines = [
        f"Levering: {delivery} van partner {partner}" if delivery else
        f"Een levering van partner {partner} is geweigerd voordat ze werd ontvangen (niets "
        f"gearchiveerd of geregistreerd).",
        f"Status: {row['status']}" + (f" ({row['foutcode']})" if row.get("foutcode") else ""),
        f"Rijen gelezen: {row.get('rijen_gelezen', 0)}, in quarantaine: "
        f"{row.get('rijen_quarantaine', 0)}",
    ]
    if row.get("melding"):
        # DeliveryError messages never hold a value; they do name the file.
        lines.append(f"Melding: {without_filename(row['melding'], row.get('bestand'))}")
    if delivery:
        lines.append(f"Bestandsnaam en meldingen: portaal, Leveringen, of 'vroeg quarantine "
                     f"{delivery[:8]}'.")
    else:
        lines.append("Zie de uitvoer van de opdracht; een geweigerd inboxbestand staat in de map "
                     "geweigerd/ van de inbox van de partner.")
    return Message("levering", delivery or partner,
                   f"Levering {row['status']} van partner {partner}", "\n".join(lines))


def notify_deliveries(database_url: str, municipality: Municipality, rows: list[dict]) -> int:
    sent = 0
    for row in rows:
        message = delivery_message(row)
        if message is not None:
            notify(database_url, municipality, message)
            sent += 1
    return sent


def crisis_message(municipality: Municipality, wijkteam: str, period: str, households: int,
                   version: int) -> Message:
    """The coordinators' message when the crisis lane adds households to their team's list:
    counts, the team, the period and the advice; never who (the list in the portal says that)."""
    team = next(t for t in municipality.wijkteams if t.code == wijkteam)
    word = "crisishuishouden" if households == 1 else "crisishuishoudens"
    advice = municipality.scoring.advice.crisis
    return Message(
        "crisis", period,
        f"{households} nieuwe {word} op de bezoeklijst van {team.name}",
        "\n".join([
            f"Er {'staat' if households == 1 else 'staan'} {households} nieuwe {word} op de "
            f"bezoeklijst van {team.name} (periode {period}, versie {version}).",
            "Een partner meldde een aangekondigde ontruiming, afsluiting of einde levering. "
            f"Advies: contact {advice}; staat er een datum bij (\"vóór ...\"), dan vóór die "
            "datum.",
            "De andere huishoudens op de lijst en wat u al hebt vastgelegd blijven zoals ze "
            "waren.",
            "Wie het is, staat alleen in het portaal (Bezoeklijsten) en in de lijst in de "
            "uitvoermap; deze e-mail noemt bewust geen namen of adressen.",
        ]))


def notify_crisis(database_url: str, municipality: Municipality, wijkteam: str, period: str,
                  households: int, version: int) -> Notification:
    """Tell a team's coordinators (Wijkteam.coordinator_emails) that the crisis lane added
    households to their list; recorded in `notifications` (kind "crisis", with the team and
    the count) whether or not the e-mail went out."""
    team = next(t for t in municipality.wijkteams if t.code == wijkteam)
    return notify(database_url, municipality,
                  crisis_message(municipality, wijkteam, period, households, version),
                  recipients=list(team.coordinator_emails), wijkteam=wijkteam,
                  households=households)


def overdue_partners(database_url: str, municipality: Municipality,
                     now: dt.datetime | None = None) -> list[Message]:
    """Partners whose last delivery is older than their expected interval, not yet notified
    within that interval."""
    now = now or _now()
    messages = []
    with db.session(database_url) as s:
        for partner in municipality.partners.values():
            if partner.expected_interval_days is None:
                continue
            interval = dt.timedelta(days=partner.expected_interval_days)
            last = s.scalar(select(func.max(Delivery.received_at)).where(
                Delivery.gemeente == municipality.code, Delivery.partner_id == partner.id))
            last = _aware(last)
            if last is not None and now - last <= interval:
                continue
            told = _aware(s.scalar(select(func.max(Notification.created_at)).where(
                Notification.gemeente == municipality.code,
                Notification.kind == "partner-te-laat", Notification.about == partner.id)))
            if told is not None and now - told <= interval and (last is None or told > last):
                continue
            since = f"sinds {last:%Y-%m-%d}" if last else "nog nooit"
            messages.append(Message(
                "partner-te-laat", partner.id,
                f"Partner {partner.id} levert niet op tijd",
                f"Partner {partner.name} ({partner.id}) heeft {since} geleverd; verwacht is "
                f"minstens elke {partner.expected_interval_days} dagen. Neem contact op met de "
                "partner."))
    return messages


def notify_overdue(database_url: str, municipality: Municipality,
                   now: dt.datetime | None = None) -> int:
    messages = overdue_partners(database_url, municipality, now)
    for message in messages:
        notify(database_url, municipality, message)
    return len(messages)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
