"""Issue 17, the crisis lane, run directly (no Prefect): a delivery with one crisis signal and one
ordinary signal lands in a partner's inbox; `vroeg collect` publishes the crisis household to
its team's current list in the same command (a new version: every earlier line stays), tells
the team's coordinators by e-mail without personal data and records the notification, and the
portal marks it; the ordinary signal waits for the monthly run, which then lists it and keeps
the contact attempt recorded on the crisis line. A crisis lane that dies half-way is finished
by delivering the file again.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
import yaml
from typer.testing import CliRunner

from tests.builders import row, standard_file
from tests.demo_home import demo_copy, resident_households
from tests.flows.test_notifications import smtp  # noqa: F401  (the fixture)
from tests.portal_support import add_account, app_for, client_for, csrf_of

TEAM = "wt-centrum"
PARTNER = "water-noord"
COORDINATOR = "coordinatie-centrum@gemeente.test"
#: Synthetic residents (valid elfproef), and what must never reach a message.
CRISIS_BSN, ORDINARY_BSN, SECOND_BSN = "999990019", "111222333", "123456782"
PERSONAL = ("Crisisstraat", "Gewoonstraat", "Testpersoon", CRISIS_BSN, ORDINARY_BSN,
            SECOND_BSN, "0580000001")


def _configure(home, port: int) -> None:
    """The sample configuration with an SMTP server, the centre team's coordinators, and the
    water company delivering through its inbox."""
    from vroeg.settings import SHIPPED_CONFIG

    folder = home.root / "config" / "0080"
    if not folder.is_dir():
        shutil.copytree(SHIPPED_CONFIG / "0080", folder)
    path = folder / "gemeente.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.setdefault("operations", {})["notifications"] = {
        "smtp_host": "127.0.0.1", "smtp_port": port, "sender": "vroeg@gemeente.test",
        "recipients": ["gegevens@gemeente.test"]}
    for team in config["wijkteams"]:
        if team["code"] == TEAM:
            team["coordinator_emails"] = [COORDINATOR]
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    partner = folder / "partners" / f"{PARTNER}.yaml"
    settings = yaml.safe_load(partner.read_text(encoding="utf-8"))
    settings.update(channel="inbox", inbox={"min_age_seconds": 0})
    partner.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


def _current(home, period: str):
    from vroeg.opsdb import runs

    current = runs.current_publication(home.database_url, "0080", TEAM, period)
    return current, runs.listed_households(home.database_url, current.id)


def test_a_crisis_signal_is_published_at_once_and_the_month_keeps_its_attempts(
        tmp_path, monkeypatch, smtp):  # noqa: F811
    from cli import app as cli
    from flows.run import run_flow
    from scoring.score import Period
    from vroeg.formats import today_in
    from vroeg.opsdb import cases
    from vroeg.opsdb.crisis import crisis_notifications, new_crisis_households

    inbox, port = smtp
    home, result = demo_copy(tmp_path, monkeypatch)
    _configure(home, port)
    period = Period.parse(result["periode"])
    before, before_lines = _current(home, str(period))
    add_account(home, "coord", ["coordinator"], [TEAM])  # the team's coordinator, already there
    coord = client_for(app_for(home), "coord")
    assert "sinds uw laatste bezoek" not in coord.get("/lijsten").text

    day = (period.start + dt.timedelta(days=9)).isoformat()
    deadline = period.end + dt.timedelta(days=40)
    start = (period.start - dt.timedelta(days=70)).isoformat()
    inbox_folder = home.inbox_dir("0080") / PARTNER
    inbox_folder.mkdir(parents=True, exist_ok=True)
    water = {"partner_type": "Water", "partner_naam": "Waterbedrijf Noord"}
    (inbox_folder / "levering.csv").write_bytes(standard_file([
        # A disconnection of the water announced for a date weeks ahead.
        row(signaal_id="CRISIS-1", crisis="ja", signaaldatum=day, ontstaansdatum=start,
            bedrag="145,00", straatnaam="Crisisstraat", huisnummer="3", bsn=CRISIS_BSN,
            uiterste_datum=deadline.isoformat(), **water),
        row(signaal_id="GEWOON-1", crisis="nee", signaaldatum=day, ontstaansdatum=start,
            bedrag="295,00", straatnaam="Gewoonstraat", huisnummer="5", bsn=ORDINARY_BSN,
            **water),
    ]))

    answer = CliRunner().invoke(cli, ["collect", "--partner", PARTNER, "--json"])
    assert answer.exit_code == 0, answer.output
    report = json.loads(answer.stdout)
    [summary] = report["leveringen"]
    assert summary["status"] == "geladen" and summary["rijen_geladen"] == 2
    assert summary["crisis"]["toegevoegd"] == 1
    assert [(i["wijkteam"], i["versie"]) for i in summary["crisis"]["lijsten"]] == [
        (TEAM, before.version + 1)]
    assert report["totaal"]["crisishuishoudens"] == 1

    # The team's current list is the next version: every earlier line, plus the crisis
    # household at the top of the bezoeklijst; the ordinary household is not on it.
    [crisis_household] = resident_households(home, CRISIS_BSN)
    [ordinary_household] = resident_households(home, ORDINARY_BSN)
    after, after_lines = _current(home, str(period))
    assert after.version == before.version + 1 and after.id != before.id
    assert set(after_lines) == set(before_lines) | {crisis_household}
    assert ordinary_household not in after_lines
    earlier_order = [h for h in after_lines if h != crisis_household]
    assert earlier_order == before_lines  # nothing else changed, not even the order
    csv_text = open(after.csv_path, encoding="utf-8-sig").read()
    line = next(li for li in csv_text.splitlines() if "Crisisstraat" in li)
    assert ";ja;" in line  # the crisis mark
    assert f"vóór {deadline:%d-%m-%Y}" in line  # and the deadline with the advice

    # The coordinators were told: one record, one e-mail, no personal data in either.
    [notice] = crisis_notifications(home.database_url, "0080")
    assert (notice.wijkteam, notice.period, notice.households) == (TEAM, str(period), 1)
    assert notice.sent_at is not None and notice.send_error is None
    [mail] = [m for m in inbox.messages if COORDINATOR in str(m["To"])]
    assert "Bezoeklijsten" in mail.as_string()
    assert "1 nieuwe crisishuishouden" in str(mail["Subject"])
    for value in PERSONAL:
        assert value not in mail.as_string() and value not in notice.body
    assert new_crisis_households(home.database_url, "0080", [TEAM], None) == 1

    # A second crisis: the crisis lane dies after publishing, before telling the team (a crash
    # half-way). The run is marked failed; delivering the file again (it stays in claimed/)
    # is a duplicate whose crisis lane tells the team after all and publishes nothing twice.
    import flows.crisis

    (inbox_folder / "levering-2.csv").write_bytes(standard_file([
        row(signaal_id="CRISIS-2", crisis="ja", signaaldatum=day, ontstaansdatum=start,
            bedrag="160,00", straatnaam="Crisisstraat", huisnummer="7", bsn=SECOND_BSN,
            **water)]))

    def crash(*args, **kwargs):
        raise RuntimeError("stroomstoring")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(flows.crisis.notify, "notify_crisis", crash)
        assert CliRunner().invoke(cli, ["collect", "--partner", PARTNER]).exit_code != 0
    [second_household] = resident_households(home, SECOND_BSN)
    second, second_lines = _current(home, str(period))
    assert second.version == after.version + 1 and second_household in second_lines
    assert len(crisis_notifications(home.database_url, "0080")) == 1
    [claimed] = (inbox_folder / "claimed").iterdir()
    claimed.rename(inbox_folder / "levering-2.csv")
    retry = CliRunner().invoke(cli, ["collect", "--partner", PARTNER, "--json"])
    assert retry.exit_code == 0, retry.output
    [again] = json.loads(retry.stdout)["leveringen"]
    assert again["status"] == "dubbel" and again["crisis"]["toegevoegd"] == 0
    assert _current(home, str(period))[0].id == second.id
    told = crisis_notifications(home.database_url, "0080")
    assert [(n.wijkteam, n.households) for n in told] == [(TEAM, 1), (TEAM, 1)]
    assert f"versie {second.version}" in told[1].body
    mails = [m.as_string() for m in inbox.messages if COORDINATOR in str(m["To"])]
    assert len(mails) == 2
    for value in PERSONAL:
        assert all(value not in text for text in mails) and value not in told[1].body

    # A coordinator records a contact attempt on the crisis line (the portal's own code).
    # The portal's mark, once: after this visit there is nothing new.
    assert "2 nieuwe crisishuishoudens sinds uw laatste bezoek" in coord.get("/lijsten").text
    assert "sinds uw laatste bezoek" not in coord.get("/lijsten").text
    regel = second_lines.index(crisis_household) + 1
    url = f"/lijsten/{second.id}/huishoudens/{regel}"
    page = coord.get(url)
    assert "Crisisstraat" in page.text
    today = today_in("Europe/Amsterdam")
    posted = coord.post(url + "/contactpogingen", data={
        "csrf": csrf_of(page.text), "soort": "Huisbezoek", "bereikt": "nee",
        "datum": today.isoformat(), "dagdeel": "Ochtend"}, follow_redirects=False)
    assert posted.status_code == 303

    # The month's run: the ordinary household now too; the crisis household keeps its case.
    rerun = run_flow(gemeente="0080", period=str(period))
    status = {i["wijkteam"]: (i["status"], i["versie"]) for i in rerun["lijsten"]}
    assert status[TEAM] == ("nieuwe versie", second.version + 1)
    assert "crisis" not in rerun["run"]  # the failed crisis run was not taken over
    monthly, monthly_lines = _current(home, str(period))
    assert {crisis_household, ordinary_household} <= set(monthly_lines)
    [case] = [c for c in cases.cases_between(home.database_url, "0080", str(period),
                                             str(period))
              if c.huishouden_pseudoniem == crisis_household]
    assert case.publication_id == monthly.id
    assert [a.vastgelegd_door for a in case.contactpogingen] == ["coord"]


def test_crisis_runs_and_monthly_runs_never_overlap_nor_take_each_other_over(tmp_path):
    """runs.claim with kinds: a working crisis run holds the month's monthly run off (and the
    other way round); a failed crisis run is never resumed, a failed monthly run only by the
    next monthly run."""
    from sqlalchemy import update

    from vroeg.errors import RunInProgress
    from vroeg.opsdb import db, runs
    from vroeg.opsdb.models import Run
    from vroeg.opsdb.statuses import RunKind, RunStatus

    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    crisis = RunKind.CRISIS
    assert runs.claim(url, "0080", "2026-11", "r1", None, "c1", kind=crisis) == ("c1", False)
    with pytest.raises(RunInProgress):
        runs.claim(url, "0080", "2026-11", "r1", None, "m1")
    runs.finish(url, "c1", RunStatus.MISLUKT, None)
    assert runs.claim(url, "0080", "2026-11", "r1", None, "m1") == ("m1", False)
    with pytest.raises(RunInProgress):
        runs.claim(url, "0080", "2026-11", "r1", None, "c2", kind=crisis)
    runs.finish(url, "m1", RunStatus.MISLUKT, None)
    assert runs.claim(url, "0080", "2026-11", "r1", None, "c2", kind=crisis) == ("c2", False)
    runs.finish(url, "c2", RunStatus.MISLUKT, None)
    # The newest run of the month is a failed crisis run; the monthly run resumes its own.
    assert runs.claim(url, "0080", "2026-11", "r1", None, "m2") == ("m1", True)
    with db.session(url) as s:
        s.execute(update(Run).where(Run.id == "m1").values(status=RunStatus.MISLUKT))
        kinds = {r.id: (r.kind, r.status) for r in s.query(Run)}
    assert kinds == {"c1": ("crisis", "mislukt"), "c2": ("crisis", "mislukt"),
                     "m1": ("maand", "mislukt")}
