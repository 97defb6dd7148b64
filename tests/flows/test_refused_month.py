"""Issue 19, point 3: a run for a month that has not ended, or that has no signals, is refused.

The refusal is a clear Dutch message with exit code 1, and writes nothing: no run in the registry,
no scores, no lists in the outbox. A month that does not exist (2026-13) is named as such, not as
a wrong form.
"""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from cli import app
from tests.demo_home import demo_copy

runner = CliRunner()


def _state(home) -> tuple[int, int, list[str]]:
    """(runs, publications, files in the outbox): what a refused run must leave as it was."""
    from sqlalchemy import func, select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication, Run

    with db.session(home.database_url) as s:
        runs = s.scalar(select(func.count()).select_from(Run))
        publications = s.scalar(select(func.count()).select_from(Publication))
    outbox = home.outbox_dir("0080")
    return runs, publications, sorted(str(p) for p in outbox.rglob("*") if p.is_file())


def _next_month(today: dt.date) -> str:
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{first:%Y-%m}"


@pytest.mark.parametrize("period, says", [
    (_next_month(dt.date.today()), "is nog niet voorbij"),
    (f"{dt.date.today():%Y-%m}", "is nog niet voorbij"),  # the month that is still running
    ("2001-01", "heeft geen signalen"),
    ("2026-13", "bestaat niet"),
])
def test_run_for_a_month_without_signals_is_refused_and_writes_nothing(
        tmp_path, monkeypatch, period, says):
    home, _result = demo_copy(tmp_path, monkeypatch)
    before = _state(home)
    result = runner.invoke(app, ["run", "--period", period])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert says in text, text
    assert "JJJJ-MM" not in text or says != "bestaat niet"
    assert _state(home) == before


def test_the_flow_refuses_too(tmp_path, monkeypatch):
    """A scheduled run (vroeg serve) goes through the flow, not the CLI: the same refusal."""
    from flows.run import run_flow
    from scoring.score import PeriodRefused

    home, _result = demo_copy(tmp_path, monkeypatch)
    before = _state(home)
    with pytest.raises(PeriodRefused):
        run_flow(gemeente="0080", period="2001-01")
    assert _state(home) == before


def test_a_month_of_the_demo_is_not_refused(tmp_path, monkeypatch):
    from privacy.context import context
    from scoring.score import Period, check_period

    _home, result = demo_copy(tmp_path, monkeypatch)
    check_period(context("0080").warehouse_path, Period.parse(result["periode"]),
                 dt.date.today())
