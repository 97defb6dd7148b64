"""The SVG charts: axes a reader can read (issue 18, point 5)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from publishing import charts

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}text"))


def test_month_labels_never_run_together_and_ticks_are_each_value_once():
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    counts = [(m, "Huur", 12_345 + i) for i, m in enumerate(months)] + [
        (m, "Energie", 7) for m in months]
    svg = charts.signals_per_month(counts, "Signalen per maand")
    labels = [t for t in _texts(svg) if t.text in months]
    assert [t.text for t in labels] == months
    centres = [float(t.get("x")) for t in labels]
    # Centred labels of equal width w stay apart when their centres are more than w apart
    # (plus a margin); w is measured generously for a 12 px sans-serif font.
    width = max(len(m) for m in months) * 0.6 * 12
    assert min(b - a for a, b in zip(centres, centres[1:], strict=False)) >= width + 4
    # The totals above the bars (five digits here) get the same room.
    assert min(b - a for a, b in zip(centres, centres[1:], strict=False)) >= 5 * 0.6 * 12 + 4
    root = ET.fromstring(svg)
    assert float(root.get("width")) >= centres[-1] + width / 2


def test_value_axis_names_each_tick_once_even_for_small_counts():
    for most in (1, 2, 3, 5, 7, 10, 20, 50, 1234):
        svg = charts.signals_per_month([("2026-03", "Huur", most)], "Signalen")
        # The value axis: the labels right-aligned against it.
        ticks = [int(t.text) for t in _texts(svg) if t.get("text-anchor") == "end"]
        assert ticks == sorted(set(ticks)) and ticks[0] == 0 and ticks[-1] >= most, (most, ticks)


def test_a_chart_of_a_few_months_is_wide_enough_to_fill_a_card():
    svg = charts.signals_per_month([("2026-03", "Huur", 4)], "Signalen")
    assert float(ET.fromstring(svg).get("width")) >= 880
