"""Helpers for tests that ingest deliveries: own partner configurations, the step functions
without Prefect, the conservation identity checked in the summary and in the operational DB."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.builders import TODAY
from vroeg.settings import SHIPPED_CONFIG


def own_config(home) -> Path:
    """A copy of the sample municipality's configuration in VROEG_HOME (used instead of it)."""
    folder = home.root / "config" / "0080"
    if not folder.exists():
        shutil.copytree(SHIPPED_CONFIG / "0080", folder)
    return folder


def inbox_partner(partner_id: str, name: str, partner_type: str = "Huur",
                  min_age_seconds: int = 0) -> str:
    """The configuration of a partner delivering standard-format CSV files by inbox."""
    return (f"id: {partner_id}\nname: {name}\npartner_type: {partner_type}\nchannel: inbox\n"
            f"format: csv\ninbox: {{pattern: \"*.csv\", min_age_seconds: {min_age_seconds}}}\n"
            "columns: standard\n")


def add_partner(home, partner_id: str, yaml_text: str) -> Path:
    """Onboarding by configuration alone: write partners/<id>.yaml into the home's config."""
    path = own_config(home) / "partners" / f"{partner_id}.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    return path


def ingest_steps(path: Path | str, partner_id: str | None = None, *, filename: str | None = None,
                 today=TODAY) -> dict:
    """One file through every ingestion step, as plain functions (no Prefect)."""
    from flows.ingest import STEPS, ingest_one

    return ingest_one("0080", str(path), partner_id, today.isoformat(), steps=STEPS,
                      filename=filename)


def assert_conserved(summary: dict, home=None) -> None:
    """read = loaded + quarantined + duplicates, in the summary and in the delivery record."""
    assert summary["klopt"], summary
    assert summary["rijen_gelezen"] == (summary["rijen_geladen"] + summary["rijen_quarantaine"]
                                        + summary["rijen_dubbel"]), summary
    assert summary["waarvan_nieuw"] + summary["waarvan_bijgewerkt"] == summary["rijen_geladen"]
    if summary.get("levering") is None:
        assert summary["status"] in ("geweigerd", "leeg") and summary["rijen_gelezen"] == 0
        return
    from sqlalchemy import func, select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Delivery, QuarantineRecord

    url = home.database_url if home is not None else None
    if url is None:
        from vroeg.settings import Home

        url = Home.from_env().database_url
    with db.session(url) as s:
        d = s.get(Delivery, summary["levering"])
        assert d is not None and d.status == summary["status"]
        assert (d.rows_read, d.rows_loaded, d.rows_quarantined, d.rows_duplicate) == (
            summary["rijen_gelezen"], summary["rijen_geladen"], summary["rijen_quarantaine"],
            summary["rijen_dubbel"])
        assert d.rows_read == d.rows_loaded + d.rows_quarantined + d.rows_duplicate
        rows = s.scalar(select(func.count(func.distinct(QuarantineRecord.row)))
                        .where(QuarantineRecord.delivery_id == d.id,
                               QuarantineRecord.row.is_not(None)))
        whole_file = s.scalar(select(func.count()).select_from(QuarantineRecord)
                              .where(QuarantineRecord.delivery_id == d.id,
                                     QuarantineRecord.row.is_(None)))
    if d.status in ("afgekeurd", "onleesbaar"):
        assert whole_file >= 1  # one entry for the file says why every row is quarantined
    else:
        assert rows == d.rows_quarantined  # every quarantined row has its reason


def signal_count(home) -> int:
    import duckdb

    path = home.warehouse_path("0080")
    if not path.exists():
        return 0
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM signals").fetchone()[0]
    finally:
        con.close()
