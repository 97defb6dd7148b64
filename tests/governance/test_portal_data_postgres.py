"""Privacy work on the portal's tables on a real PostgreSQL server (production's operational
database): key rotation's `portaal` step, retention of cases and of the lists' household
pseudonyms, erasure's removal of a household's cases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

pytestmark = pytest.mark.postgres


def _portal_rows(url: str) -> int:
    """A published list of three households (on a file that is not in the outbox), and cases
    with contact attempts for two of them; returns the publication id."""
    from vroeg.opsdb import cases, db
    from vroeg.opsdb.models import Publication, PublicationHousehold, Run

    with db.session(url) as s:
        s.add(Run(id="r1", gemeente="0080", period="2026-10", rules_version="v"))
        s.flush()
        publication = Publication(run_id="r1", gemeente="0080", wijkteam="wt-centrum",
                                  period="2026-10", households=3, csv_path="weg.csv",
                                  xlsx_path="weg.xlsx", csv_sha256="0" * 64)
        s.add(publication)
        s.flush()
        for regel, household in enumerate(("k1_aa", "k1_bb", "k1_cc"), start=1):
            s.add(PublicationHousehold(publication_id=publication.id, regel=regel, rang=regel,
                                       huishouden_pseudoniem=household))
    for regel, household in ((1, "k1_aa"), (3, "k1_cc")):
        cases.record_contact(url, publication, regel=regel, rang=regel, pseudonym=household,
                             soort="Brief", bereikt=False, datum=dt.date(2026, 11, 3),
                             dagdeel="Ochtend", by="pg.user", today=dt.date(2026, 11, 22))
    return publication.id


def test_rotation_rekeys_the_portals_pseudonyms_on_postgresql(pg_schema_url, home,
                                                              monkeypatch):
    from governance import rotation
    from privacy.keys import load_keys
    from privacy.vault import Vault, rekey_map
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Case, PublicationHousehold

    monkeypatch.setenv("VROEG_DATABASE_URL", pg_schema_url)
    _portal_rows(pg_schema_url)
    # The vault's rotation map as the vault step leaves it; k1_cc has no vault record any more.
    vault = Vault(home.vault_url("0080"), load_keys(home, "0080"))
    with vault.engine.begin() as connection:
        connection.execute(insert(rekey_map), [
            {"oud_signaal": f"s{i}", "nieuw_signaal": f"t{i}", "oud_huishouden": old,
             "nieuw_huishouden": new, "oud_persoon": f"p{i}", "nieuw_persoon": f"q{i}",
             "naar_versie": 2}
            for i, (old, new) in enumerate((("k1_aa", "k2_xa"), ("k1_aa", "k2_xa"),
                                            ("k1_bb", "k2_xb")))])
    state = rotation.State(0, "0080", 1, 2, "pakhuis")

    def pseudonyms():
        with db.session(pg_schema_url) as s:
            return (sorted(s.scalars(select(PublicationHousehold.huishouden_pseudoniem))),
                    sorted(s.scalars(select(Case.huishouden_pseudoniem))))

    assert rotation.rekey_opsdb(home, state) == {
        "lijsthuishoudens": 2, "lijsthuishoudens_zonder_kluisrecord": 1,
        "zaken": 1, "zaken_zonder_kluisrecord": 1}
    assert pseudonyms() == (["k1_cc", "k2_xa", "k2_xb"], ["k1_cc", "k2_xa"])
    # Again (a resumed rotation): nothing left to move, nothing changed.
    assert rotation.rekey_opsdb(home, state)["lijsthuishoudens"] == 0
    assert pseudonyms() == (["k1_cc", "k2_xa", "k2_xb"], ["k1_cc", "k2_xa"])


def test_retention_and_erasure_of_the_portals_rows_on_postgresql(pg_schema_url, home,
                                                                 monkeypatch):
    from governance import retention, retention_run
    from privacy.context import context
    from vroeg.opsdb import cases, db
    from vroeg.opsdb.models import ContactAttempt, PublicationHousehold

    monkeypatch.setenv("VROEG_DATABASE_URL", pg_schema_url)
    _portal_rows(pg_schema_url)
    ctx = context("0080")
    assert cases.delete_cases_of_households(pg_schema_url, "0080", ["k1_cc"]) == (1, 1)

    terms = ctx.municipality.privacy.retention_days.model_copy(update={"cases": 0})
    cut = retention.Cutoffs.at(terms)
    # The list's files are not in the outbox: its household pseudonyms go, whatever the term.
    assert retention.lists(ctx, cut, dry_run=True)["lijsthuishoudens"] == 3
    assert retention.cases(ctx, cut, dry_run=True) == {"zaken": 1, "contactpogingen": 1,
                                                       "huishoudens": 1}
    for store in ("lists", "cases"):
        retention_run.apply(ctx, store, cut, dry_run=False, trace_id="p" * 32)
    with db.session(pg_schema_url) as s:
        assert s.scalars(select(PublicationHousehold)).all() == []
        assert s.scalars(select(ContactAttempt)).all() == []
    lines = ctx.audit.read(names=["verwijdering"])
    assert sorted((line["betrokkene"], tuple(line["attributen"]["opslagen"]))
                  for line in lines) == [
        ("k1_aa", ("outbox",)), ("k1_aa", ("zaken",)), ("k1_bb", ("outbox",)),
        ("k1_cc", ("outbox",))]
