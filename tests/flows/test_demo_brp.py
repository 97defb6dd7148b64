"""`vroeg demo --brp`: the demo with the local BRP stand-in, as a user runs it (in this process,
flows run directly), a small one: one month of 60 signals.

The stand-in registers the generator's synthetic residents (synthetic/brp_residents.py) and
serves on a free port for the length of the run; the summary shows what the BRP changed
(households merged through the address object among it), and the warehouse holds the BRP's
facts for the run. gemeente.yaml is not touched: the link is on for the demo's process only.
"""

from __future__ import annotations

import os
import re
import socket

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from vroeg.config import brp_url_variable

runner = CliRunner()


def _row(output: str, label: str) -> int:
    match = re.search(rf"│ {re.escape(label)}\s*│\s*(\d+) │", output)
    assert match, f"{label!r} not in the summary"
    return int(match.group(1))


def test_the_demo_with_the_brp_shows_what_the_brp_changed_and_leaves_no_link_behind(
        home, direct_flows):
    from vroeg.config import load_municipality

    result = runner.invoke(app, ["demo", "--brp", "--months", "1", "--signals-per-month", "60",
                                 "--seed", "79"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    output = result.output
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        run_id, asked, dead, moved, elsewhere, minors = con.execute(
            "SELECT run_id, count(*), count(*) FILTER (WHERE overleden), "
            "count(*) FILTER (WHERE buiten_gemeente), "
            "count(*) FILTER (WHERE NOT ingeschreven_op_adres AND NOT overleden "
            "AND NOT buiten_gemeente), count(*) FILTER (WHERE minderjarigen > 0) "
            "FROM brp_facts GROUP BY run_id").fetchone()
        excluded_by_brp, merged = con.execute(
            "SELECT count(*) FILTER (WHERE uitsluiting LIKE 'BRP:%'), sum(samengevoegd) "
            "FROM household_scores WHERE run_id = ?", [run_id]).fetchone()
    finally:
        con.close()
    # Every counted signal was asked about, and the register's deceased, moved and
    # elsewhere-registered residents and its children show up in the run.
    assert _row(output, "BRP: signalen nagevraagd") == asked > 0
    assert _row(output, "  uitgesloten: overleden") == dead > 0
    assert _row(output, "  uitgesloten: buiten de gemeente") == moved > 0
    assert excluded_by_brp > 0
    assert _row(output, "  niet ingeschreven op dit adres (reden)") == elsewhere
    assert _row(output, "  met minderjarigen in het huishouden") == minors > 0
    # Partners without a BSN spell some addresses their own way (synthetic.generator
    # SPELLING_VARIANTS, GROUND_FLOOR_VARIANT): the BRP's address object merges at least one
    # household (issue 16: the default demo showed none).
    assert _row(output, "  huishoudens samengevoegd (adresseerbaar object)") == merged > 0
    assert _row(output, "  vragen aan de BRP") >= asked
    # The link was on for the demo only, and the stand-in is gone.
    assert brp_url_variable("0080") not in os.environ
    assert not load_municipality(home, "0080").brp.enabled
    assert not (home.root / "config").exists()  # the shipped configuration, untouched
    port = int(re.search(r"BRP-stand-in op http://127\.0\.0\.1:(\d+)", output).group(1))
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
