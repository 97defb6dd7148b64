"""Charts for data officers as hand-written SVG: counts only, no personal data, no dependencies.

SVG is text the server writes; every label is XML-escaped, nothing executes (no script, no
external references), and the portal's Content Security Policy applies to it as to any page.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

#: One colour per DDAS partner type; others get grey. Chosen to stay apart in grey-scale print.
COLOURS = {
    "Zorg": "#1f77b4", "Energie": "#ff7f0e", "Huur": "#2ca02c", "Water": "#17becf",
    "CAK Zorgverzekeringen": "#9467bd", "CAK Eigen bijdrage": "#8c564b", "DUO": "#e377c2",
    "Belastingdienst": "#7f7f7f", "Dienst Toeslagen": "#bcbd22", "Hypotheek": "#d62728",
    "Overige": "#aaaaaa",
}
FONT = 'font-family="sans-serif" font-size="12"'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title, {chr(34): "&quot;"})}">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def _nice_max(value: int) -> int:
    """A round upper bound for an axis (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if value <= m * step:
                return m * step
        step *= 10


#: Width of one character of FONT, generously (sans-serif digits are about 0.56 em): labels are
#: spaced by it so that month labels and totals never run together.
CHAR_W = 0.62 * 12


def text_width(text: str) -> float:
    return len(text) * CHAR_W


def axis_ticks(ymax: int) -> list[int]:
    """Whole-number ticks from 0 to ymax, at most five steps, each value once (ymax=2 gave
    0, 0, 1, 1, 2 when it was cut in quarters)."""
    steps = next(n for n in (4, 5, 2, 1) if ymax % n == 0)
    return [ymax * i // steps for i in range(steps + 1)]


def signals_per_month(counts: list[tuple[str, str, int]], title: str) -> str:
    """Stacked bars: one bar per month, one segment per partner type. counts: (maand, type, n).

    Each month gets a slot wide enough for its label and its total, so the labels stay apart
    however many months there are; the chart is at least 880 wide so that it fills a card
    (the page scales it to the card's width)."""
    months = sorted({m for m, _, _ in counts})
    types = sorted({t for _, t, _ in counts}, key=lambda t: (t not in COLOURS, t))
    table = {(m, t): n for m, t, n in counts}
    totals = {m: sum(table.get((m, t), 0) for t in types) for m in months}
    left, top, plot_h, bar_w = 56, 30, 240, 36
    widest = max([text_width(m) for m in months] + [text_width(str(n)) for n in totals.values()]
                 + [0])
    slot = max(bar_w + 14, widest + 12)
    legend_w = 30 + max([text_width(t) for t in types] + [0])
    width = int(max(880, left + len(months) * slot + legend_w))
    height = top + plot_h + 50
    body = [f'<text x="{left}" y="18" {FONT} font-weight="bold">{escape(title)}</text>']
    if not months:
        body.append(f'<text x="{left}" y="{top + 40}" {FONT}>Nog geen signalen geladen.</text>')
        return _svg(width, height, title, body)
    ymax = _nice_max(max(totals.values()))
    for value in axis_ticks(ymax):
        y = top + plot_h - plot_h * value / ymax
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + len(months) * slot:.1f}" '
                    f'y2="{y:.1f}" stroke="#dddddd"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" {FONT} text-anchor="end" '
                    f'class="tick-y">{value}</text>')
    for i, month in enumerate(months):
        centre = left + slot / 2 + i * slot
        x = centre - bar_w / 2
        y = top + plot_h
        for t in types:
            n = table.get((month, t), 0)
            if not n:
                continue
            h = plot_h * n / ymax
            y -= h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w}" height="{h:.1f}" '
                        f'fill="{COLOURS.get(t, "#aaaaaa")}"><title>{escape(month)} '
                        f'{escape(t)}: {n}</title></rect>')
        body.append(f'<text x="{centre:.1f}" y="{top + plot_h + 16}" {FONT} '
                    f'text-anchor="middle" class="tick-x">{escape(month)}</text>')
        body.append(f'<text x="{centre:.1f}" y="{y - 4:.1f}" {FONT} '
                    f'text-anchor="middle">{totals[month]}</text>')
    legend_x = left + len(months) * slot + 20
    for i, t in enumerate(types):
        y = top + 10 + i * 20
        body.append(f'<rect x="{legend_x:.1f}" y="{y - 10}" width="12" height="12" '
                    f'fill="{COLOURS.get(t, "#aaaaaa")}"/>')
        body.append(f'<text x="{legend_x + 18:.1f}" y="{y}" {FONT}>{escape(t)}</text>')
    return _svg(width, height, title, body)


_TOP, _ROW_H = 34, 26


def _row_canvas(title: str, rows: int, width: int) -> tuple[int, int, list[str]]:
    """Width, height and title of a chart with one horizontal bar per row."""
    height = _TOP + max(rows, 1) * _ROW_H + 40
    return width, height, [f'<text x="10" y="18" {FONT} font-weight="bold">{escape(title)}</text>']


@dataclass(frozen=True)
class TeamSize:
    name: str
    households: int
    capacity: int | None


def list_sizes(teams: list[TeamSize], title: str) -> str:
    """Horizontal bars: households on each team's current list, with its capacity as a mark."""
    left, top, row_h, plot_w = 250, _TOP, _ROW_H, 380
    width, height, body = _row_canvas(title, len(teams), left + plot_w + 90)
    if not teams:
        body.append(f'<text x="10" y="{top + 20}" {FONT}>Nog geen lijsten gepubliceerd.</text>')
        return _svg(width, height, title, body)
    xmax = _nice_max(max([t.households for t in teams] + [t.capacity or 0 for t in teams]))
    for i, team in enumerate(teams):
        y = top + i * row_h
        w = plot_w * team.households / xmax
        over = team.capacity is not None and team.households > team.capacity
        name = team.name if len(team.name) <= 36 else team.name[:35] + "…"
        body.append(f'<text x="{left - 8}" y="{y + 15}" {FONT} text-anchor="end">'
                    f'{escape(name)}</text>')
        body.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="{"#d62728" if over else "#1f77b4"}"><title>{escape(team.name)}: '
                    f'{team.households} huishoudens</title></rect>')
        label = str(team.households) + (f" / {team.capacity}" if team.capacity is not None else "")
        body.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}" {FONT}>{label}</text>')
        if team.capacity is not None:
            cx = left + plot_w * team.capacity / xmax
            body.append(f'<line x1="{cx:.1f}" y1="{y}" x2="{cx:.1f}" y2="{y + row_h - 2}" '
                        f'stroke="#000000" stroke-width="2"><title>capaciteit {team.capacity}'
                        f'</title></line>')
    foot = top + len(teams) * row_h + 22
    body.append(f'<text x="{left}" y="{foot}" {FONT}>Balk: huishoudens op de huidige lijst; '
                f'streep: capaciteit per periode.</text>')
    return _svg(width, height, title, body)


def bars(items: list[tuple[str, float]], title: str, *, unit: str = "", decimals: int = 0,
         foot: str = "") -> str:
    """Horizontal bars, one per (label, value): a figure per wijkteam or per end result."""
    left, top, row_h, plot_w = 330, _TOP, _ROW_H, 320
    width, height, body = _row_canvas(title, len(items), left + plot_w + 110)
    if not items:
        body.append(f'<text x="10" y="{top + 20}" {FONT}>Geen gegevens in deze periode.</text>')
        return _svg(width, height, title, body)
    top_value = max(v for _, v in items)
    xmax = _nice_max(int(top_value) + (0 if float(top_value).is_integer() else 1))
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = plot_w * value / xmax
        shown = label if len(label) <= 48 else label[:47] + "…"
        text = f"{value:.{decimals}f}{unit}"
        body.append(f'<text x="{left - 8}" y="{y + 15}" {FONT} text-anchor="end">'
                    f'{escape(shown)}</text>')
        body.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="#1f77b4"><title>{escape(label)}: {escape(text)}</title></rect>')
        body.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}" {FONT}>{escape(text)}</text>')
    if foot:
        body.append(f'<text x="10" y="{top + len(items) * row_h + 22}" {FONT}>'
                    f'{escape(foot)}</text>')
    return _svg(width, height, title, body)
