"""Re-delivering any sample file changes nothing in the warehouse: not the files as they are
(recognised by SHA-256), and not the same signals in a file with other bytes (recognised per
signal). Through the step functions, all 24 committed sample deliveries."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests import REPO_ROOT
from tests.builders import TODAY
from tests.ingesting import assert_conserved, ingest_steps

SAMPLES = REPO_ROOT / "data_samples" / "0080"


def _in_delivery_order() -> list[Path]:
    """Month by month, as partners deliver them."""
    return sorted(SAMPLES.rglob("*_*.*"), key=lambda p: (p.stem.rsplit("_", 1)[1], p.parent.name))


def snapshot(home) -> dict:
    """Row counts and a checksum over every column of the warehouse's fact tables."""
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        out = {}
        for table, key in (("signals", "signaal_pseudoniem"),
                           ("signal_updates", "signaal_pseudoniem, bijgewerkt_op")):
            out[table] = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' "
                f"ORDER BY {key}), '')) FROM {table} AS t").fetchone()
        return out
    finally:
        con.close()


def test_redelivering_every_sample_changes_nothing(home, tmp_path):
    files = _in_delivery_order()
    assert len(files) == 24
    first = [ingest_steps(path, path.parent.name, today=TODAY) for path in files]
    for summary in first:
        assert summary["status"] == "geladen", summary
        assert_conserved(summary, home)
    assert sum(s["rijen_quarantaine"] for s in first) == 18  # data_samples/README.md
    before = snapshot(home)
    assert before["signals"][0] == sum(s["waarvan_nieuw"] for s in first)

    from privacy.context import context

    vault_before = context("0080").vault.count()
    again = [ingest_steps(path, path.parent.name, today=TODAY) for path in files]
    for summary, earlier in zip(again, first, strict=True):
        assert summary["status"] == "dubbel" and summary["dubbel_van"] == earlier["levering"]
        assert summary["rijen_dubbel"] == summary["rijen_gelezen"] == earlier["rijen_gelezen"]
        assert_conserved(summary, home)
    assert snapshot(home) == before

    # The same signals in other bytes (a CSV saved again with other line endings, without a
    # byte-order mark): a new delivery whose every valid row is a recognised duplicate.
    for name in ("zorg-noord/zorg-noord_2026-10.csv",
                 "energie-fryslan/energie-fryslan_2026-07.csv"):
        original = SAMPLES / name
        resaved = tmp_path / original.name
        data = original.read_bytes().removeprefix(b"\xef\xbb\xbf")
        data = data.replace(b"\r\n", b"\n") if b"\r\n" in data else data.replace(b"\n", b"\r\n")
        assert data != original.read_bytes()
        resaved.write_bytes(data)
        summary = ingest_steps(resaved, original.parent.name, today=TODAY)
        assert summary["status"] == "geladen" and summary["rijen_geladen"] == 0
        assert summary["rijen_dubbel"] + summary["rijen_quarantaine"] == summary["rijen_gelezen"]
        assert_conserved(summary, home)
    assert snapshot(home) == before
    assert context("0080").vault.count() == vault_before
