"""The session's demo installation: built once through the real flows, copied for every test
(or module) that changes it.

Key rotation, retention, subject access and erasure, crash safety, the portal and the flow checks
all need a realistic warehouse, vault, archive, outbox, audit trail and operational database.
Building one costs tens of seconds, so each snapshot is built once per session (lazily; its flows
run directly, flows.runner.direct_runs, as on the embedded default) into a folder no test
writes to:

- `pristine()`: the demo flow (generate SEED/MONTHS, ingest every delivery, run the last complete
  month);
- `with_extras()`: a copy of it plus two standard-format deliveries tests look for (the canary
  household of test_flows.py and the resident whose name tries formula injection,
  portal_support.FORMULA_NAME), and the period run again, so every wijkteam has a current and an
  earlier list. Used by the flow checks and the portal.

`demo_copy` gives a test a private copy as VROEG_HOME: tests can destroy, re-key and erase without
affecting each other. The operational database records absolute paths (publications' files,
deliveries' archived originals, a run's summary); a copy's are rewritten to point into the copy.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

#: name -> (home folder, what building it returned)
_SNAPSHOTS: dict[str, tuple[Path, dict]] = {}
#: The folders the snapshots were built in; removed when the session ends (they hold synthetic
#: personal data, and a test machine should not collect them).
_FOLDERS: list[Path] = []


def _folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    _FOLDERS.append(folder)
    return folder


def remove_snapshots() -> None:
    """Remove every snapshot this session built (conftest calls it when the session ends)."""
    while _FOLDERS:
        shutil.rmtree(_FOLDERS.pop(), ignore_errors=True)
    _SNAPSHOTS.clear()

SEED = 80
MONTHS = 2

#: (table, column) of the operational database that hold a path inside VROEG_HOME, and those
#: that hold such paths inside JSON (a run's summary names its lists' files).
STORED_PATHS = (("publications", "csv_path"), ("publications", "xlsx_path"),
                ("deliveries", "archive_path"))
STORED_IN_JSON = (("runs", "summary"),)


def checkpoint(path: Path) -> None:
    """Fold SQLite's WAL into the file so a copy of the file alone is complete."""
    if path.exists():
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()


def _as_home(mp: pytest.MonkeyPatch, root: Path) -> None:
    mp.setenv("VROEG_HOME", str(root))
    mp.delenv("VROEG_KEY_0080", raising=False)
    mp.delenv("VROEG_GEMEENTE", raising=False)


def _sealed(name: str, root: Path, result: dict) -> tuple[Path, dict]:
    for database in ("vroeg.sqlite", "vault/0080.sqlite"):
        checkpoint(root / database)
    _SNAPSHOTS[name] = (root, result)
    return root, result


def pristine() -> tuple[Path, dict]:
    """The demo installation's folder and the demo flow's result (built the first time).
    Read it, never write to the folder: `demo_copy`."""
    if "demo" not in _SNAPSHOTS:
        from flows.demo import demo_flow
        from flows.runner import direct_runs
        from privacy.keys import init_keys
        from vroeg.settings import Home

        root = _folder("vroeg-demo-snapshot-") / "home"
        with pytest.MonkeyPatch.context() as mp, direct_runs():
            _as_home(mp, root)
            init_keys(Home(root).ensure(), "0080")
            result = demo_flow(gemeente="0080", seed=SEED, months=MONTHS)
        _sealed("demo", root, result)
    return _SNAPSHOTS["demo"]


def extra_deliveries(folder: Path, period) -> dict[str, Path]:
    """The canary's and the formula resident's deliveries for the period (synthetic)."""
    from tests.builders import row, standard_file
    from tests.flows.test_flows import CANARY
    from tests.portal_support import FORMULA_NAME

    folder.mkdir(parents=True, exist_ok=True)
    canary = folder / "kanarie.csv"
    canary.write_bytes(standard_file([dict(
        CANARY, signaaldatum=(period.start + dt.timedelta(days=9)).isoformat(),
        ontstaansdatum=period.start.replace(day=1).isoformat())]))
    formula = folder / "formule.csv"
    formula.write_bytes(standard_file([row(
        # Arrears older than the convenant's 30-day window for rent, so the row is accepted
        # (issue 3) and counts toward a list (docs/scoring.md).
        signaal_id="FORMULE-1", signaaldatum=(period.start + dt.timedelta(days=5)).isoformat(),
        ontstaansdatum=(period.start - dt.timedelta(days=40)).isoformat(),
        bedrag="95,00", crisis="nee", straatnaam="Proefstraat", postcode="8911 AB",
        huisnummer="99", bsn="", **FORMULA_NAME)]))
    return {"canary": canary, "formula": formula}


def with_extras() -> tuple[Path, dict]:
    """The demo plus the canary and the formula deliveries, the period run again (built the
    first time, from a copy of `pristine()`). The result is the demo's, plus "canary" and
    "formula" (their ingestion summaries) and "rerun" (the second run)."""
    if "extras" not in _SNAPSHOTS:
        from flows.ingest import ingest
        from flows.run import run_flow
        from flows.runner import direct_runs
        from scoring.score import Period

        source, demo = pristine()
        base = _folder("vroeg-demo-extras-")
        root = base / "home"
        copy_installation(source, root)
        result = _moved(demo, str(source), str(root))
        extra = extra_deliveries(base / "extra", Period.parse(result["periode"]))
        with pytest.MonkeyPatch.context() as mp, direct_runs():
            _as_home(mp, root)
            canary, formula = ingest(gemeente="0080",
                                 paths=[str(extra["canary"]), str(extra["formula"])])
            rerun = run_flow(gemeente="0080", period=result["periode"])
        result.update(canary=[canary], formula=[formula], rerun=rerun)
        _sealed("extras", root, result)
    return _SNAPSHOTS["extras"]


def _moved(value, old: str, new: str):
    """`value` with every string that is a path under `old` moved under `new`."""
    if isinstance(value, str) and (value == old or value.startswith(old + "/")):
        return new + value[len(old):]
    if isinstance(value, dict):
        return {k: _moved(v, old, new) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_moved(v, old, new) for v in value)
    return value


def copy_installation(source: Path, target: Path) -> None:
    """Copy a home folder (modes kept: keys stay 0600) and re-point its stored paths."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*-wal", "*-shm", "*.wal"))
    connection = sqlite3.connect(target / "vroeg.sqlite")
    try:
        with connection:
            for table, column in STORED_PATHS:
                connection.execute(
                    f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                    f"WHERE substr({column}, 1, ?) = ?",
                    (str(target), len(str(source)) + 1, len(str(source)) + 1, f"{source}/"))
            for table, column in STORED_IN_JSON:
                connection.execute(f"UPDATE {table} SET {column} = replace({column}, ?, ?)",
                                   (f'"{source}/', f'"{target}/'))
    finally:
        connection.close()


def demo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, extras: bool = False):
    """A private copy of the demo installation (`with_extras()` if asked) as VROEG_HOME; returns
    (Home, its result), the result's paths pointing into the copy."""
    from vroeg.settings import Home

    root, result = with_extras() if extras else pristine()
    target = tmp_path / "home"
    copy_installation(root, target)
    _as_home(monkeypatch, target)
    return Home(target), _moved(result, str(root), str(target))


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
