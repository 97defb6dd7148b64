"""`vroeg monitor`: gather the facts, compute the figures, write CSV and SVG charts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from reporting import monitor
from reporting.charts import charts
from reporting.records import gather, month
from vroeg.files import write_atomic
from vroeg.formats import date_nl


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def compute(ctx, van: dt.date, tot: dt.date) -> list[monitor.Figures]:
    municipality = ctx.municipality
    back = municipality.matching.consecutive_months
    # The months before the window are read too: a signal early in the window can be
    # opeenvolgend on one before it.
    facts = gather(ctx, _months_back(van, back), tot)
    cases = [c for c in facts.cases if month(van) <= c.case.period <= month(tot)]
    return monitor.figures(
        facts.signals, cases, van, tot, inhabitants=municipality.inhabitants,
        team_inhabitants={t.code: t.inhabitants for t in municipality.wijkteams},
        consecutive_months=back)


def csv_bytes(all_figures: list[monitor.Figures]) -> bytes:
    """';', decimal comma and a UTF-8 BOM, like the visit lists: a Dutch Excel opens it by
    double-click with the figures as numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(("eenheid", "kengetal", "categorie", "waarde"))
    writer.writerows(monitor.rows(all_figures))
    return buffer.getvalue().encode("utf-8-sig")


def write(all_figures: list[monitor.Figures], out_dir: Path, gemeente: str, van: dt.date,
          tot: dt.date) -> list[Path]:
    label = f"{date_nl(van)} t/m {date_nl(tot)}"
    stem = f"monitor_{gemeente}_{van.isoformat()}_{tot.isoformat()}"
    written = [out_dir / f"{stem}.csv"]
    write_atomic(written[0], csv_bytes(all_figures))
    for name, svg in charts(all_figures, label).items():
        path = out_dir / f"{stem}_{name}"
        write_atomic(path, svg.encode("utf-8"))
        written.append(path)
    return written
