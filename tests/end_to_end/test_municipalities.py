"""Many municipalities in one installation (issue 7): each has its own configuration, warehouse,
vault, keys, archive, outbox and audit scope, and nothing joins or leaks across them.

Two municipalities receive a delivery with the same resident (same BSN, same address) and one
resident of their own. The test then tries to cross over: joins on pseudonyms, opening one's
vault with the other's key, looking for one's resident in the other's lists and audit trail.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from tests.builders import row, standard_file

OTHER = "0081"
TODAY = "2026-11-22"
PERIOD = "2026-10"


def add_municipality(home, code: str, name: str) -> Path:
    """A second municipality's own configuration: the sample's, under its own code and name."""
    from vroeg.settings import SHIPPED_CONFIG

    folder = home.root / "config" / code
    shutil.copytree(SHIPPED_CONFIG / "0080", folder)
    path = folder / "gemeente.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('code: "0080"', f'code: "{code}"').replace(
        "name: Leeuwarden (voorbeeldgemeente)", f"name: {name}")
    path.write_text(text, encoding="utf-8")
    return folder


def delivery(folder: Path, own_name: str, own_bsn: str) -> Path:
    from tests.flows.test_flows import _valid_bsn

    shared = row(signaal_id="GEDEELD-1", bsn=_valid_bsn("9999881"), achternaam="Gedeeldhuis",
                 huisnummer="5", signaaldatum="2026-10-12", bedrag="800,00")
    own = row(signaal_id="EIGEN-1", bsn=own_bsn, achternaam=own_name, huisnummer="9",
              straatnaam=f"{own_name}straat", signaaldatum="2026-10-13", bedrag="900,00")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "levering.csv"
    path.write_bytes(standard_file([shared, own]))
    return path


@pytest.fixture(scope="module")
def region(direct_flows, tmp_path_factory):
    """One installation with 0080 and 0081, each ingested and run (directly, flows.runner)."""
    from flows.ingest import ingest
    from flows.run import run_flow
    from privacy.keys import init_keys
    from tests.flows.test_flows import _valid_bsn
    from vroeg.settings import Home

    root = tmp_path_factory.mktemp("region") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(root))
        mp.delenv("VROEG_GEMEENTE", raising=False)
        home = Home(root).ensure()
        add_municipality(home, OTHER, "Buurgemeente (voorbeeld)")
        results = {}
        for code, name, prefix in (("0080", "Alleenhierxq", "9999882"),
                                   (OTHER, "Alleendaarzq", "9999883")):
            init_keys(home, code)
            path = delivery(root.parent / "in" / code, name, _valid_bsn(prefix))
            ingested = ingest(gemeente=code, paths=[str(path)], today=TODAY)
            run = run_flow(gemeente=code, period=PERIOD)
            results[code] = {"ingested": ingested, "run": run, "own": name}
        yield home, results


def warehouse_column(home, code: str, column: str) -> set[str]:
    import duckdb

    con = duckdb.connect(str(home.warehouse_path(code)), read_only=True)
    try:
        return {r[0] for r in con.execute(f"SELECT {column} FROM signals").fetchall()}
    finally:
        con.close()


def listed_names(home, code: str) -> set[str]:
    names = set()
    for path in home.outbox_dir(code).rglob("*.csv"):
        for line in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")),
                                   delimiter=";"):
            names.add(line.get("naam", ""))
    return names


def test_each_municipality_has_its_own_stores(region):
    home, results = region
    for code in ("0080", OTHER):
        assert results[code]["ingested"][0]["status"] == "geladen"
        assert results[code]["ingested"][0]["rijen_geladen"] == 2
        assert home.warehouse_path(code).exists()
        assert (home.root / "vault" / f"{code}.sqlite").exists()
        assert home.key_file(code).exists()
        assert any(home.archive_dir(code).iterdir())
        assert list(home.outbox_dir(code).rglob("*.csv"))
    assert home.warehouse_path("0080") != home.warehouse_path(OTHER)
    assert home.key_file("0080").read_bytes() != home.key_file(OTHER).read_bytes()


def test_the_same_resident_gets_unrelated_pseudonyms(region):
    """A join on pseudonyms across the two warehouses finds nothing, not even the resident
    both municipalities know (same BSN, same address)."""
    home, _ = region
    for column in ("signaal_pseudoniem", "huishouden_pseudoniem", "persoon_pseudoniem"):
        ours, theirs = (warehouse_column(home, c, column) for c in ("0080", OTHER))
        assert len(ours) == 2 and len(theirs) == 2
        assert not ours & theirs, column


def test_lists_hold_only_the_municipalitys_own_residents(region):
    home, results = region
    ours, theirs = listed_names(home, "0080"), listed_names(home, OTHER)
    assert any("Alleenhierxq" in n for n in ours)
    assert any("Alleendaarzq" in n for n in theirs)
    assert not any("Alleendaarzq" in n for n in ours)
    assert not any("Alleenhierxq" in n for n in theirs)
    # Every list file lies in its own municipality's outbox.
    for code in ("0080", OTHER):
        for item in results[code]["run"]["lijsten"]:
            assert Path(item["csv"]).is_relative_to(home.outbox_dir(code))


def test_one_municipalitys_key_cannot_open_the_others_vault(region):
    """Even with the other's vault file in hand, a municipality's key opens nothing: records
    are sealed under the municipality's own key and bound to its code."""
    from cryptography.exceptions import InvalidTag

    from privacy.audit import Audit, new_trace_id
    from privacy.keys import load_keys
    from privacy.vault import Vault

    home, _ = region
    households = warehouse_column(home, "0080", "huishouden_pseudoniem")
    their_keys = load_keys(home, OTHER)
    foreign = Vault(home.vault_url("0080"), their_keys)
    with pytest.raises(InvalidTag):
        foreign.reidentify(households, purpose="isolatietest", audit=Audit(
            home.database_url, their_keys), trace_id=new_trace_id())


def test_subject_access_finds_only_the_municipalitys_own_records(region):
    from governance.subject import Query, locate
    from privacy.context import context
    from tests.flows.test_flows import _valid_bsn

    home, _ = region
    shared = _valid_bsn("9999881")
    for code, other in (("0080", OTHER), (OTHER, "0080")):
        found = set(locate(context(code), Query(bsn=shared)).record_households)
        assert found
        assert found <= warehouse_column(home, code, "huishouden_pseudoniem")
        assert not found & warehouse_column(home, other,
                                                              "huishouden_pseudoniem")


def test_audit_trails_are_kept_and_verified_per_municipality(region):
    from sqlalchemy import select

    from privacy.chain import verify
    from privacy.keys import load_keys
    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine, Delivery, Publication, Run

    home, results = region
    with db.session(home.database_url) as s:
        for code in ("0080", OTHER):
            runs = set(s.scalars(select(Run.id).where(Run.gemeente == code)))
            assert runs == {results[code]["run"]["run"]}
            assert {p.gemeente for p in s.scalars(select(Publication).where(
                Publication.run_id.in_(runs)))} == {code}
            deliveries = set(s.scalars(select(Delivery.id).where(Delivery.gemeente == code)))
            assert deliveries == {results[code]["ingested"][0]["levering"]}
            lines = s.scalars(select(AuditLine).where(AuditLine.gemeente == code)).all()
            assert lines
            # A line of one municipality never names the other's delivery or run.
            foreign = OTHER if code == "0080" else "0080"
            text = " ".join(str(line.attributes) for line in lines)
            assert results[foreign]["run"]["run"] not in text
            assert results[foreign]["ingested"][0]["levering"] not in text
    for code in ("0080", OTHER):
        assert verify(home.database_url, load_keys(home, code), code).ok
    # The other municipality's key does not verify this one's chain.
    assert not verify(home.database_url, load_keys(home, OTHER), "0080").ok
