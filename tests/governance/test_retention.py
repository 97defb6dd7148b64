"""Retention: each store loses what is past its term, counted without personal data.

Runs on copies of the demo installation (tests/demo_home.py).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli import app
from tests.demo_home import (
    checkpoint,
    demo_copy,
    listed_line,
    record_case,
    resident_households,
    sample_resident,
)
from vroeg.settings import SHIPPED_CONFIG

runner = CliRunner()


def _terms(home, **days: int) -> None:
    """Give the home its own configuration with these retention terms."""
    target = home.root / "config" / "0080"
    shutil.copytree(SHIPPED_CONFIG / "0080", target)
    path = target / "gemeente.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["privacy"]["retention_days"].update(days)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _warehouse_counts(home) -> dict[str, int]:
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("signals", "signal_updates", "household_scores")}
    finally:
        con.close()


def _ops_count(home, model, *where) -> int:
    """Rows of a table (or the value of an aggregate) in the operational database."""
    from vroeg.opsdb import db

    query = (select(func.count()).select_from(model) if isinstance(model, type)
             else select(model))
    with db.session(home.database_url) as s:
        return s.scalar(query.where(*where))


def _first_of_another_list(home, publication_id: int) -> str:
    from vroeg.opsdb import db
    from vroeg.opsdb.models import PublicationHousehold

    with db.session(home.database_url) as s:
        return s.scalars(select(PublicationHousehold.huishouden_pseudoniem)
                         .where(PublicationHousehold.publication_id != publication_id)
                         .order_by(PublicationHousehold.publication_id.desc(),
                                   PublicationHousehold.regel)).first()


def test_default_terms_destroy_nothing_of_a_fresh_installation(tmp_path,
                                                               monkeypatch):
    from flows.retention import retention_flow

    home, _ = demo_copy(tmp_path, monkeypatch)
    result = retention_flow(gemeente="0080")
    assert all(v == 0 for counts in result["opslagen"].values() for v in counts.values()), result
    assert result["termijnen_dagen"]["audit_trail"] == 1825


def test_terms_per_store_published_households_are_kept_longer(tmp_path,
                                                              monkeypatch):
    """Unpublished signals due, published lists not: only never-listed households go."""
    from governance import retention, retention_run
    from privacy.context import context

    home, _ = demo_copy(tmp_path, monkeypatch)
    ctx = context("0080")
    before = _warehouse_counts(home)
    vault_before = ctx.vault.count()
    cut = retention.Cutoffs.at(ctx.municipality.privacy.retention_days.model_copy(update={
        "unpublished_signals": 0}), dt.datetime.now(dt.UTC))
    counts = retention_run.signals(ctx, cut, dry_run=False, trace_id="r" * 32)
    assert 0 < counts["signalen"] < before["signals"]
    assert counts["kluisrecords"] == counts["signalen"]
    assert ctx.vault.count() == vault_before - counts["signalen"]
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        # Every remaining signal belongs to a household that was on a published list.
        unlisted = con.execute(
            "SELECT count(*) FROM signals WHERE huishouden_pseudoniem NOT IN "
            "(SELECT huishouden_pseudoniem FROM household_scores WHERE op_lijst)").fetchone()[0]
        listed_scores = con.execute(
            "SELECT count(*) FROM household_scores WHERE op_lijst").fetchone()[0]
    finally:
        con.close()
    assert unlisted == 0 and listed_scores > 0
    lines = ctx.audit.read(names=["verwijdering"])
    assert len(lines) == counts["betrokkenen"] > 0
    assert all("@" in line["betrokkene"] and line["attributen"]["reden"] == "bewaartermijn"
               for line in lines)


def test_zero_day_terms_empty_every_store_and_subject_access_finds_only_the_deletion(
        tmp_path, monkeypatch):
    from flows.retention import retention_flow
    from privacy import chain
    from privacy.context import context
    from vroeg.opsdb.models import (
        AuditLine,
        Case,
        ContactAttempt,
        Delivery,
        PublicationHousehold,
        QuarantineRecord,
    )

    home, _ = demo_copy(tmp_path, monkeypatch)
    resident = sample_resident(home)
    # The portal's data: cases with contact attempts (one closed), keyed by pseudonym, for the
    # resident's household and for the first household of another list.
    publication, line = listed_line(home, resident_households(home, resident["bsn"]))
    record_case(home, publication, line, closed=True)
    record_case(home, publication, line, soort="Telefoon")
    other = listed_line(home, {_first_of_another_list(home, publication.id)})
    record_case(home, *other)
    pairs = _ops_count(home, PublicationHousehold)
    listed_households = _ops_count(home, func.count(PublicationHousehold.huishouden_pseudoniem
                                                    .distinct()))
    assert _ops_count(home, Case) == 2 and _ops_count(home, ContactAttempt) == 3 and pairs
    _terms(home, deliveries=0, quarantine=0, unpublished_signals=0, published_lists=0, cases=0,
           audit_trail=0)
    ctx = context("0080")
    archived = sorted(home.archive_dir("0080").rglob("*.bin"))
    lists = sorted(p for p in home.outbox_dir("0080").rglob("*") if p.is_file())
    vault_before = ctx.vault.count()
    assert archived and lists and vault_before and _ops_count(home, QuarantineRecord)

    # The status a privacy officer sees counts what a run would destroy, with the stores' own
    # finders, and neither destroys nor logs anything.
    from governance import retention_run

    lines = _ops_count(home, AuditLine)
    status = {st.opslag: st for st in retention_run.status(ctx)}
    assert _ops_count(home, AuditLine) == lines and ctx.vault.count() == vault_before
    assert all(st.oudste is not None and st.laatste_run is None for st in status.values())

    # A dry run says what would go, and destroys nothing.
    dry = retention_flow(gemeente="0080", dry_run=True)["opslagen"]
    assert {store: st.te_vernietigen for store, st in status.items()} == dry
    assert dry["archive"]["archiefbestanden"] == len(archived)
    assert dry["lists"]["lijstbestanden"] == len(lists)
    assert dry["signals"]["kluisrecords"] == vault_before
    assert dry["audit"]["auditregels"] > 0
    assert dry["cases"] == {"zaken": 2, "contactpogingen": 3, "huishoudens": 2}
    assert dry["lists"]["lijsthuishoudens"] == pairs
    assert _ops_count(home, Case) == 2 and _ops_count(home, PublicationHousehold) == pairs
    assert sorted(home.archive_dir("0080").rglob("*.bin")) == archived
    assert ctx.vault.count() == vault_before

    started = dt.datetime.now(dt.UTC)
    result = retention_flow(gemeente="0080")["opslagen"]
    assert result["archive"]["archiefbestanden"] == len(archived)
    assert result["signals"]["kluisrecords"] == vault_before
    assert result["audit"]["auditregels"] == dry["audit"]["auditregels"] + 6  # the dry run's lines

    # Every store is empty of personal data.
    assert list(home.archive_dir("0080").rglob("*")) == [p for p in home.archive_dir(
        "0080").rglob("*") if p.is_dir()]
    assert [p for p in home.outbox_dir("0080").rglob("*") if p.is_file()] == []
    assert _warehouse_counts(home) == {"signals": 0, "signal_updates": 0, "household_scores": 0}
    assert ctx.vault.count() == 0
    # Not even in the files' free pages (the vault zeroes deleted records). The warehouse keeps
    # one thing on purpose: the entries of the exclusion lists still in force (deceased, safety
    # list, ...; scoring/exclusions.py). They have no retention term: they keep people off the
    # lists, are replaced with each list supplied, and are dropped once they can no longer apply.
    import re

    import duckdb

    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        in_force = {p.encode() for (p,) in con.execute(
            "SELECT pseudoniem FROM exclusion_entries").fetchall()}
    finally:
        con.close()
    for store, allowed in ((home.root / "vault" / "0080.sqlite", set()),
                           (home.warehouse_path("0080"), in_force),
                           (home.root / "vroeg.sqlite", set())):
        if store.suffix == ".sqlite":
            checkpoint(store)
        found = set(re.findall(rb"k\d+_[0-9a-f]{32}", store.read_bytes()))
        assert found <= allowed, store
    assert _ops_count(home, QuarantineRecord) == 0
    assert _ops_count(home, Delivery, Delivery.archive_path.is_not(None)) == 0
    assert _ops_count(home, Delivery) > 0  # the registry (counts, no personal data) stays
    after = {st.opslag: st for st in retention_run.status(ctx)}
    for store in ("archive", "quarantine", "lists", "signals", "cases"):
        assert after[store].oudste is None and not any(after[store].te_vernietigen.values())
        assert after[store].laatste_run["proef"] is False
        assert after[store].laatste_run["aantallen"] == result[store]
    # The portal's stores too: cases, their contact attempts, the lists' household pseudonyms.
    assert result["cases"] == dry["cases"]
    assert result["lists"]["lijsthuishoudens"] == pairs
    for model in (Case, ContactAttempt, PublicationHousehold):
        assert _ops_count(home, model) == 0, model
    # One deletion line per household whose list lines or cases went (subjects encrypted).
    deleted = ctx.audit.read(names=["verwijdering"])
    assert sum(["zaken"] == line["attributen"]["opslagen"] for line in deleted) == 2
    assert sum(["outbox"] == line["attributen"]["opslagen"] for line in deleted) == (
        listed_households)
    # The audit trail holds only what this run wrote, and still verifies through the cut.
    from vroeg.opsdb import db

    with db.session(home.database_url) as s:
        oldest = s.scalar(select(func.min(AuditLine.recorded_at)))
    assert oldest.replace(tzinfo=oldest.tzinfo or dt.UTC) >= started
    verified = chain.verify(ctx.database_url, ctx.keys)
    assert verified.ok, verified.problems
    assert verified.cuts == 1 and verified.removed_by_retention > 0
    # The privacy officer's pages built from the trail say it was cut, and from when.
    from tests import portal_support as ps

    ps.add_account(home, "privacy", ["privacy"])
    officer = ps.client_for(ps.app_for(home), "privacy")
    for url in ("/privacy/inzage", "/privacy/logboek"):
        page = officer.get(url)
        assert page.status_code == 200 and "Het logboek is ingekort" in page.text, url
        assert f"({verified.removed_by_retention} regels)" in page.text
    status_page = officer.get("/privacy/bewaartermijnen").text
    assert status_page.count("— (leeg)") == 5  # every store but the trail itself

    # A sample resident: nothing left but the audit lines about the deletion.
    for how in (["--bsn", resident["bsn"]], ["--address", resident["adres"]]):
        answer = runner.invoke(app, ["subject-access", *how, "--json"])
        assert answer.exit_code == 0, answer.output
        report = json.loads(answer.output)
        for section in ("identiteit", "signalen", "wijzigingen", "scores", "bezoeklijsten",
                        "zaken", "leveringen", "originelen_in_archief"):
            assert report[section] == [], (how, section)
        trail = [line for line in report["logboek"] if line["naam"] != "inzageverzoek"
                 and line["attributen"].get("doel") != "inzageverzoek"]
        assert trail and {line["naam"] for line in trail} == {"verwijdering"}, how
        assert {line["attributen"]["reden"] for line in trail} == {"bewaartermijn"}
    text = runner.invoke(app, ["subject-access", "--bsn", resident["bsn"]]).output
    assert "Persoonsgegevens in de kluis: geen." in text and "verwijdering (bewaartermijn)" in text
