"""Failure notification (issue 7): e-mail to the data officer through a real SMTP server on
loopback (aiosmtpd), recorded in the operational database and shown in the portal.

Notified: a refused delivery, a flow that failed, a partner overdue. No message carries
personal data: the refused delivery is full of canary values, and none reaches the e-mail.
"""

from __future__ import annotations

import shutil
from email import message_from_bytes
from email.message import Message

import pytest

from tests.builders import row, standard_file
from tests.flows.test_flows import CANARY
from tests.portal_support import free_port

pytestmark = pytest.mark.prefect


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self):
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def text(self) -> str:
        return "\n".join(m.as_string() for m in self.messages)


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def notifying_home(home, smtp):
    """The sample municipality with its own configuration: e-mail to the local SMTP server and
    a partner expected to deliver every 7 days."""
    from vroeg.settings import SHIPPED_CONFIG

    _, port = smtp
    folder = home.root / "config" / "0080"
    shutil.copytree(SHIPPED_CONFIG / "0080", folder)
    with (folder / "gemeente.yaml").open("a", encoding="utf-8") as f:
        f.write("\noperations:\n  notifications:\n    smtp_host: 127.0.0.1\n"
                f"    smtp_port: {port}\n    sender: vroeg@gemeente.test\n"
                "    recipients: [gegevens@gemeente.test]\n")
    with (folder / "partners" / "zorg-noord.yaml").open("a", encoding="utf-8") as f:
        f.write("\nexpected_interval_days: 7\n")
    return home


def notifications(home) -> list:
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Notification

    with db.session(home.database_url) as s:
        return s.scalars(select(Notification).order_by(Notification.id)).all()


def test_a_rejected_delivery_is_mailed_without_personal_data(notifying_home, smtp,
                                                              prefect_server, tmp_path):
    from flows.ingest import ingest

    inbox, _ = smtp
    # The canary's values in a file that lacks a required column: refused whole. The partner
    # named the file after the resident (issue 19, point 7): the mail names the delivery by id.
    columns = tuple(c for c in row() if c != "bedrag")
    path = tmp_path / "achterstand Zzbestandsnaamxq.csv"
    path.write_bytes(standard_file([CANARY], columns=columns))
    summary = ingest(gemeente="0080", paths=[str(path)], today="2026-11-22")
    assert summary[0]["status"] == "afgekeurd"
    assert summary[0]["bestand"] == path.name  # the command's own output shows the name

    assert inbox.subjects() == [
        "[Vroegsignalering 0080] Levering afgekeurd van partner standaard"]
    mail = inbox.messages[0]
    assert mail["To"] == "gegevens@gemeente.test"
    assert summary[0]["levering"] in mail.get_payload()
    assert "verplichte kolommen ontbreken: bedrag" in mail.get_payload()  # what went wrong
    for value in ("Zzkanariexq", "Kanariepiet", CANARY["bsn"], "Kanariegeelstraat", "8911 KZ",
                  "0612398745", "kanarie.zzq@example.org", "Zzbestandsnaamxq"):
        assert value not in inbox.text()
    [recorded] = notifications(notifying_home)
    assert (recorded.kind, recorded.about) == ("levering", summary[0]["levering"])
    assert recorded.sent_at is not None and recorded.send_error is None


def test_a_failed_flow_is_mailed(notifying_home, smtp, prefect_server):
    from flows.run import run_flow

    inbox, _ = smtp
    with pytest.raises(ValueError):
        run_flow(gemeente="0080", period="2026-13")  # no such month: the flow fails
    assert inbox.subjects() == ["[Vroegsignalering 0080] Flow matchen-en-publiceren mislukt"]
    body = inbox.messages[0].get_payload()
    assert "fout: ValueError" in body
    assert "2026-13" not in body  # the exception's message is not passed on, only its type
    assert [n.kind for n in notifications(notifying_home)] == ["flow"]


def test_an_overdue_partner_is_mailed_once_per_interval(notifying_home, smtp, prefect_server):
    from flows.inbox import collect_flow

    inbox, _ = smtp
    collect_flow(gemeente="0080")
    assert inbox.subjects() == ["[Vroegsignalering 0080] Partner zorg-noord levert niet op tijd"]
    assert "nog nooit geleverd" in inbox.messages[0].get_payload()
    collect_flow(gemeente="0080")  # the next hourly scan: already told
    assert len(inbox.messages) == 1


def test_a_partner_that_delivered_recently_is_not_overdue(notifying_home, smtp, tmp_path):
    from flows.ingest import ingest_files
    from vroeg import notify
    from vroeg.config import load_municipality

    path = tmp_path / "zorg.csv"
    path.write_bytes(standard_file([row()]))
    ingest_files("0080", [str(path)], partner_id="zorg-noord", today="2026-11-22")
    municipality = load_municipality(notifying_home, "0080")
    assert notify.overdue_partners(notifying_home.database_url, municipality) == []


def test_notification_is_kept_when_the_mail_server_is_down(notifying_home):
    from vroeg import notify
    from vroeg.config import load_municipality

    municipality = load_municipality(notifying_home, "0080")
    down = municipality.model_copy(update={"operations": municipality.operations.model_copy(
        update={"notifications": municipality.operations.notifications.model_copy(
            update={"smtp_port": free_port()})})})
    record = notify.notify(notifying_home.database_url, down, notify.Message(
        "levering", "x", "Levering afgekeurd: x.csv", "Status: afgekeurd"))
    assert record.sent_at is None
    assert record.send_error == "verzenden mislukt (ConnectionRefusedError)"
    assert [n.subject for n in notifications(notifying_home)] == ["Levering afgekeurd: x.csv"]


def test_the_data_officer_sees_notifications_in_the_portal(notifying_home):
    import html

    from tests.portal_support import add_account, app_for, client_for
    from vroeg import notify
    from vroeg.config import load_municipality

    municipality = load_municipality(notifying_home, "0080")
    notify.notify(notifying_home.database_url, municipality.model_copy(update={
        "operations": municipality.operations.model_copy(update={
            "notifications": municipality.operations.notifications.model_copy(
                update={"recipients": []})})}),
        notify.Message("partner-te-laat", "zorg-noord", "Partner zorg-noord levert niet op tijd",
                       "Partner Zorgverzekeraar Noord (zorg-noord) heeft nog nooit geleverd."))
    add_account(notifying_home, "gegevens", ["data"])
    add_account(notifying_home, "coordinator", ["coordinator"], ["wt-centrum"])
    app = app_for(notifying_home)
    page = html.unescape(client_for(app, "gegevens").get("/data/meldingen").text)
    assert "Meldingen" in page
    assert "Partner zorg-noord levert niet op tijd" in page
    assert "geen e-mail ingesteld" in page
    assert client_for(app, "coordinator").get("/data/meldingen").status_code == 403
