"""The whole pipeline through Prefect (one test server per session), on synthetic deliveries.

One demo run is shared by the tests in this module (a copy of the session's demo installation,
tests/demo_home.py): deliveries generated, ingested and nine lists published once, then checked
from several sides.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from tests.builders import row, standard_file
from tests.demo_home import MONTHS, demo_copy
from vroeg.bsn import first_valid

pytestmark = pytest.mark.prefect

#: A household whose every identifying value is unique in the data set, so that finding it
#: anywhere but in its visit list is an unambiguous leak.
CANARY = row(
    signaal_id="CANARY-1",
    partner_type="Energie",
    partner_naam="Zorgverzekeraar Noord",
    bedrag="999,99",
    crisis="ja",
    bsn="999990020",  # placeholder, replaced below by a valid one
    voornamen="Kanariepiet",
    tussenvoegsel="",
    achternaam="Zzkanariexq",
    straatnaam="Kanariegeelstraat",
    postcode="8911 KZ",
    huisnummer="77",
    huisnummertoevoeging="q",
    telefoon="0612398745",
    email="kanarie.zzq@example.org",
)


#: A valid (elfproef) BSN of our own from a seven-digit prefix; other test modules import it.
_valid_bsn = first_valid


CANARY["bsn"] = _valid_bsn("9999977")


@pytest.fixture(scope="module")
def demo(prefect_server, tmp_path_factory):
    """The session's demo, in a copy of its own (one test here ingests again), plus one canary
    delivery for the period and the period run again, through Prefect: the flows of this module
    are the ones Prefect runs and records (tests/demo_home.py's `add_extras`)."""
    from scoring.score import Period
    from tests.demo_home import add_extras

    base = tmp_path_factory.mktemp("demo-home")
    with pytest.MonkeyPatch.context() as mp:
        home, result = demo_copy(base, mp)
        result = add_extras(home.root, result, base / "extra")
        yield {"home": home, "result": result, "canary": result["canary"], "run": result["rerun"],
               "period": Period.parse(result["periode"])}


def test_demo_ingests_every_delivery_and_conserves_rows(demo):
    deliveries = demo["result"]["leveringen"]
    assert len(deliveries) == 4 * MONTHS  # four partners, every month
    for d in deliveries:
        assert d["status"] == "geladen", d
        assert d["klopt"], d
        assert d["rijen_gelezen"] == d["rijen_geladen"] + d["rijen_quarantaine"] + d["rijen_dubbel"]
    # The generator plants a few bad rows; they are quarantined, not lost and not loaded.
    assert sum(d["rijen_quarantaine"] for d in deliveries) > 0
    assert sum(d["rijen_geladen"] for d in deliveries) > 1000


def test_nine_visit_lists_one_per_wijkteam(demo):
    from vroeg.config import load_municipality

    municipality = load_municipality(demo["home"], "0080")
    run = demo["run"]
    assert [item["wijkteam"] for item in run["lijsten"]] == [t.code for t in municipality.wijkteams]
    assert len(run["lijsten"]) == 9
    total = 0
    for item in run["lijsten"]:
        csv_path, xlsx_path = Path(item["csv"]), Path(item["xlsx"])
        assert csv_path.parent == demo["home"].outbox_dir("0080") / item["wijkteam"]
        assert xlsx_path.exists()
        raw = csv_path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        visits = [r for r in rows if r["sectie"] == "bezoeklijst"]
        assert len(visits) == item["huishoudens"] > 0
        assert len(rows) - len(visits) == item["wachtlijst"]
        assert [int(r["rang"]) for r in rows] == list(range(1, len(rows) + 1))
        # The bezoeklijst first (crisis households at its top), then the wachtlijst; each by score.
        keys = [(r["sectie"] == "bezoeklijst", r["crisis"] == "ja", int(r["score"])) for r in rows]
        assert keys == sorted(keys, reverse=True)
        assert all(r["naam"] and r["straatnaam"] and r["postcode"] and r["redenen"] for r in rows)
        total += len(visits)
    assert total == run["op_lijst"]


def test_canary_household_is_listed_with_its_reasons(demo):
    assert demo["canary"][0]["status"] == "geladen"
    centrum = next(i for i in demo["run"]["lijsten"] if i["wijkteam"] == "wt-centrum")
    text = Path(centrum["csv"]).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    canary = next(r for r in rows if r["naam"] == "Kanariepiet Zzkanariexq")
    assert canary["crisis"] == "ja"
    assert canary["rang"] == "1" or rows[0]["crisis"] == "ja"
    assert canary["straatnaam"] == "Kanariegeelstraat"
    assert canary["postcode"] == "8911KZ" and canary["huisnummer"] == "77"
    assert canary["telefoon"] == "0612398745"
    assert "Crisissignaal" in canary["redenen"] and "energieachterstand" in canary["redenen"]


def _identity_values(home) -> set[str]:
    """Every identity value the demo's input files held, as read by the connectors."""
    import connectors
    from vroeg.config import load_municipality, standard_partner
    from vroeg.schema import IDENTITY_FIELDS

    municipality = load_municipality(home, "0080")
    values: set[str] = set()
    for path in sorted((home.root / "demo" / "0080").rglob("*.*")):
        partner = municipality.partners[path.parent.name]
        mapped = connectors.read_delivery(path.read_bytes(), path.name, partner,
                                          municipality.partners)
        for column in IDENTITY_FIELDS:
            values.update(v for v in mapped.frame[column].drop_nulls().to_list() if len(v) >= 4)
    mapped = connectors.read_delivery(standard_file([CANARY]), "c.csv", standard_partner())
    for column in IDENTITY_FIELDS:
        values.update(v for v in mapped.frame[column].drop_nulls().to_list() if len(v) >= 4)
    # Postcodes as the warehouse would have normalised them, too.
    values.update(v.replace(" ", "").upper() for v in list(values) if len(v) in (6, 7))
    values.discard("Leeuwarden")  # the municipality's name is not personal
    return values


def test_warehouse_holds_no_identity_in_clear_text(demo):
    """No name, BSN, phone, e-mail, street or full postcode from the input is in the warehouse."""
    home = demo["home"]
    pii = _identity_values(home)
    assert len(pii) > 1000 and "Zzkanariexq" in pii and CANARY["bsn"] in pii
    path = home.warehouse_path("0080")
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type LIKE 'VARCHAR%' OR data_type LIKE 'STRUCT%'"
        ).fetchall()
        assert ("signals", "huishouden_pseudoniem") in columns
        seen: set[str] = set()
        for table, column in columns:
            for (value,) in con.execute(
                    f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall():
                if value is not None:
                    seen.add(value)
                    seen.update(value.replace("[", " ").replace("]", " ").replace(",", " ").split())
    finally:
        con.close()
    assert seen, "the warehouse should hold data"
    leaked = sorted(pii & seen)
    assert not leaked, f"{len(leaked)} identity values found in the warehouse"
    # And in the file's bytes (checkpointed, uncompressed or not), for the canary's values.
    data = path.read_bytes() + (path.with_suffix(".duckdb.wal").read_bytes()
                                if path.with_suffix(".duckdb.wal").exists() else b"")
    for value in (CANARY["achternaam"], CANARY["bsn"], CANARY["telefoon"], CANARY["straatnaam"],
                  "8911KZ", "8911 KZ", CANARY["email"]):
        assert value.encode() not in data, value


def test_only_listed_households_are_reidentified_and_each_is_logged(demo):
    from sqlalchemy import func, select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    home = demo["home"]
    with db.session(home.database_url) as s:
        per_run = s.execute(
            select(AuditLine.attributes, func.count())
            .where(AuditLine.name == "heridentificatie")
            .group_by(AuditLine.attributes)
        ).all()
        lines = s.scalars(select(AuditLine).where(AuditLine.name == "heridentificatie")).all()
    run_id = demo["run"]["run"]
    this_run = [line for line in lines if line.attributes["run"] == run_id]
    # The bezoeklijst and the wachtlijst are published, so both are re-identified (and logged);
    # the re-run publishes (and so re-identifies) only the lists its new signals changed.
    changed = [i for i in demo["run"]["lijsten"] if i["status"] != "ongewijzigd"]
    assert [i["wijkteam"] for i in changed] == ["wt-centrum"]  # the canary's team
    assert len(this_run) == sum(i["huishoudens"] + i["wachtlijst"] for i in changed)
    assert {line.attributes["sectie"] for line in this_run} <= {"bezoeklijst", "wachtlijst"}
    assert per_run
    # The subject is stored encrypted, never as the bare pseudonym.
    assert all(line.data_subject_id and not line.data_subject_id.startswith("k1_")
               for line in this_run)


def test_same_delivery_twice_is_a_duplicate_and_loads_nothing(demo, prefect_server):
    from flows.ingest import ingest

    home = demo["home"]
    first = sorted((home.root / "demo" / "0080" / "zorg-noord").glob("*.csv"))[0]
    path = home.warehouse_path("0080")

    def signal_count() -> int:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute("SELECT count(*) FROM signals").fetchone()[0]
        finally:
            con.close()

    before = signal_count()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(home.root))
        again = ingest(gemeente="0080", paths=[str(first)], partner_id="zorg-noord")[0]
    assert again["status"] == "dubbel"
    assert again["rijen_geladen"] == 0
    assert again["rijen_dubbel"] == again["rijen_gelezen"] > 0
    assert again["dubbel_van"]
    assert signal_count() == before


def test_prefect_recorded_the_runs_without_parameters_of_people(demo):
    """Flow runs are in Prefect; their parameters are codes and ids only (never a path or a file
    name: partners name their files, issue 19)."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    async def runs():
        async with get_client() as client:
            return await client.read_flow_runs(limit=200, sort=FlowRunSort.START_TIME_DESC)

    flow_runs = asyncio.run(runs())
    names = {r.name for r in flow_runs}
    assert len(flow_runs) >= 2 and names  # at least this module's ingestion and run
    for r in flow_runs:
        text = repr(r.parameters)
        assert "Zzkanariexq" not in text and CANARY["bsn"] not in text
        assert set(r.parameters) <= {"gemeente", "receipts", "partner_id", "today", "period",
                                     "seed", "months", "dry_run", "overrides", "crisis"}
        for receipt in r.parameters.get("receipts") or []:
            assert set(receipt) == {"delivery_id", "trace_id"}, receipt
        # What-if overrides are rules (weights), never people.
        assert not set(r.parameters.get("overrides") or {}) - {"scoring", "matching",
                                                               "capacity", "wijkteams"}
