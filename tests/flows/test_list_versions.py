"""Issue 19, point 1: one current, complete list per team and month.

A re-run of a month whose inputs did not change publishes nothing new; a re-run after a late
delivery publishes a new version of the affected team's list that supersedes the earlier one, and
the portal shows the newest as current and the earlier one as replaced (when and why).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from tests.builders import row, standard_file
from tests.demo_home import demo_copy
from tests.portal_support import add_account, app_for, client_for


def _publications(home) -> list:
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication

    with db.session(home.database_url) as s:
        found = s.scalars(select(Publication).order_by(Publication.id)).all()
        s.expunge_all()
        return list(found)


def _outbox(home) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in home.outbox_dir("0080").rglob("*") if p.is_file()}


def test_rerun_without_changes_publishes_nothing_and_a_late_delivery_a_new_version(
        tmp_path, monkeypatch):
    from flows.ingest import ingest
    from flows.run import run_flow
    from scoring.score import Period

    home, result = demo_copy(tmp_path, monkeypatch)
    period = Period.parse(result["periode"])
    before, files = _publications(home), _outbox(home)
    assert len(before) == 9 and all(p.version == 1 and p.superseded_at is None for p in before)

    rerun = run_flow(gemeente="0080", period=str(period))
    assert [i["status"] for i in rerun["lijsten"]] == ["ongewijzigd"] * 9
    assert [i["versie"] for i in rerun["lijsten"]] == [1] * 9
    assert [(p.id, p.superseded_at) for p in _publications(home)] == [
        (p.id, None) for p in before]
    assert _outbox(home) == files  # not one file written again

    # A late delivery for a household of wt-centrum (postcode 8911): only that team changes.
    late = tmp_path / "laat.csv"
    late.write_bytes(standard_file([row(
        signaal_id="LAAT-1", signaaldatum=(period.start + dt.timedelta(days=5)).isoformat(),
        ontstaansdatum=(period.start - dt.timedelta(days=40)).isoformat(), bedrag="950,00",
        straatnaam="Laatstraat", huisnummer="7", postcode="8911 AB")]))
    assert ingest(gemeente="0080", paths=[str(late)])[0]["status"] == "geladen"
    third = run_flow(gemeente="0080", period=str(period))
    status = {i["wijkteam"]: (i["status"], i["versie"]) for i in third["lijsten"]}
    assert status.pop("wt-centrum") == ("nieuwe versie", 2)
    assert set(status.values()) == {("ongewijzigd", 1)}

    after = _publications(home)
    assert len(after) == 10
    old = next(p for p in after if p.wijkteam == "wt-centrum" and p.version == 1)
    new = next(p for p in after if p.wijkteam == "wt-centrum" and p.version == 2)
    assert old.superseded_at is not None and old.superseded_by == new.id
    assert "1 huishouden(s) erbij" in old.superseded_reason
    assert new.superseded_at is None
    for team in {p.wijkteam for p in after}:  # never two current lists of one team and month
        assert sum(1 for p in after if p.wijkteam == team and p.superseded_at is None) == 1

    # The portal: the newest version is the current list, the earlier one is marked replaced.
    add_account(home, "coord", ["coordinator"], ["wt-centrum"])
    client = client_for(app_for(home), "coord")
    overview = client.get("/lijsten").text
    current = re.search(r'Huidige lijst:.*?href="/lijsten/(\d+)"', overview, re.S)
    assert int(current.group(1)) == new.id
    assert "(versie 2)" in current.group(0)
    assert overview.count(">huidig<") == 1 and overview.count(">vervangen<") == 1
    assert old.superseded_reason in overview
    replaced = client.get(f"/lijsten/{old.id}").text
    assert "Vervangen." in replaced and f'href="/lijsten/{new.id}"' in replaced
    assert "Vervangen." not in client.get(f"/lijsten/{new.id}").text
