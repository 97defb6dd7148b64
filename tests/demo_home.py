"""One synthetic demo installation per test session, copied afresh for each test that changes it.

Key rotation, retention, subject access and erasure all need a realistic warehouse, vault,
archive, outbox and audit trail. Running the demo flow costs tens of seconds, so it runs once
(lazily, on the session's Prefect test server) into a snapshot folder, and each test gets a copy:
tests can destroy, re-key and erase without affecting each other.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

_SNAPSHOT: dict[str, object] = {}

MONTHS = 2


def checkpoint(path: Path) -> None:
    """Fold SQLite's WAL into the file so a copy of the file alone is complete."""
    if path.exists():
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()


def pristine() -> tuple[Path, dict]:
    """The snapshot's home folder and the demo's result (runs the demo the first time)."""
    if "root" not in _SNAPSHOT:
        from flows.demo import demo_flow
        from privacy.keys import init_keys
        from vroeg.settings import Home

        root = Path(tempfile.mkdtemp(prefix="vroeg-demo-snapshot-")) / "home"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("VROEG_HOME", str(root))
            mp.delenv("VROEG_KEY_0080", raising=False)
            home = Home(root).ensure()
            init_keys(home, "0080")
            result = demo_flow(gemeente="0080", seed=80, months=MONTHS)
        for name in ("vroeg.sqlite", "vault/0080.sqlite"):
            checkpoint(root / name)
        _SNAPSHOT.update(root=root, result=result)
    return _SNAPSHOT["root"], _SNAPSHOT["result"]


def demo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private copy of the demo installation as VROEG_HOME; returns (Home, demo result)."""
    from vroeg.settings import Home

    root, result = pristine()
    target = tmp_path / "home"
    shutil.copytree(root, target, ignore=shutil.ignore_patterns("*-wal", "*-shm", "*.wal"))
    monkeypatch.setenv("VROEG_HOME", str(target))
    monkeypatch.delenv("VROEG_KEY_0080", raising=False)
    monkeypatch.delenv("VROEG_GEMEENTE", raising=False)
    return Home(target), result


def sample_resident(home) -> dict:
    """A resident with a valid BSN and a listed amount in the demo's last month (synthetic)."""
    import polars as pl

    import connectors
    from vroeg.config import load_municipality

    municipality = load_municipality(home, "0080")
    partner = municipality.partners["zorg-noord"]
    last = sorted((home.root / "demo" / "0080" / "zorg-noord").glob("*.csv"))[-1]
    mapped = connectors.read_delivery(last.read_bytes(), last.name, partner, municipality.partners)
    parsed = connectors.parse(mapped, municipality).filter(
        pl.col("bsn_elfproef") & pl.col("postcode_p").is_not_null()
        & pl.col("wijkteam").is_not_null() & (pl.col("bedrag_p") >= 20000)
        & pl.col("achternaam").is_not_null())
    row = parsed.row(0, named=True)
    addition = f" {row['huisnummertoevoeging']}" if row["huisnummertoevoeging"] else ""
    return {"bsn": row["bsn_p"], "achternaam": row["achternaam"],
            "adres": f"{row['postcode_p']} {row['huisnummer_p']}{addition}",
            "postcode": row["postcode_p"], "wijkteam": row["wijkteam"]}


def resident_households(home, bsn: str) -> set[str]:
    """The household pseudonyms (current key) of a resident's vault records: pseudonyms only."""
    from governance.subject import Query, locate
    from privacy.context import context

    return set(locate(context("0080"), Query(bsn=bsn)).record_households)


def listed_line(home, households: set[str]):
    """(publication, publication_households row) of the newest list one of these households is
    on, or None."""
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication, PublicationHousehold

    with db.session(home.database_url) as s:
        found = s.execute(
            select(Publication, PublicationHousehold)
            .join(PublicationHousehold, PublicationHousehold.publication_id == Publication.id)
            .where(PublicationHousehold.huishouden_pseudoniem.in_(sorted(households)))
            .order_by(Publication.id.desc())).first()
    return tuple(found) if found else None


def record_case(home, publication, line, *, soort: str = "Huisbezoek", closed: bool = False):
    """A contact attempt (and optionally an end result) for a list line, through vroeg.opsdb.cases
    as the portal records them."""
    import datetime as dt

    from vroeg.opsdb import cases

    record = cases.record_contact(
        home.database_url, publication, regel=line.regel, rang=line.rang,
        pseudonym=line.huishouden_pseudoniem, soort=soort, bereikt=True,
        datum=dt.date.today(), dagdeel="Middag", by="coord-test")
    if closed:
        record = cases.record_end_result(
            home.database_url, publication, regel=line.regel, rang=line.rang,
            pseudonym=line.huishouden_pseudoniem, eindresultaat=cases.NO_HELP_NEEDED,
            by="coord-test")
    return record
