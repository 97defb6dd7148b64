"""Where the time goes inside each step: py-spy samples of the steps phase, summarised per step.

`python -m bench --profile` runs the steps phase under `py-spy record --format raw` (py-spy is in
the `bench` extra). Each sample is a stack; the frame in bench/steps.py says which step it was
taken in (by the line of its `with meter.step(...)` block), and the frames below it say where.
Per step we report the functions with the most samples *inclusive* (time in the function and what
it calls) and *self* (time in the function's own code, including the C code it calls directly,
since py-spy is run without --native).
"""

from __future__ import annotations

import ast
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

STEPS_FILE = Path(__file__).with_name("steps.py")
_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*?):(?P<line>\d+)\)$")


def available() -> str | None:
    return shutil.which("py-spy") or (
        str(Path(__import__("sys").executable).with_name("py-spy"))
        if Path(__import__("sys").executable).with_name("py-spy").exists() else None)


def command(py_spy: str, output: Path, rate: int = 100) -> list[str]:
    return [py_spy, "record", "--format", "raw", "--rate", str(rate), "--output", str(output),
            "--nonblocking", "--"]


def _step_lines() -> list[tuple[int, int, str]]:
    """(first line, last line, step) of every top-level `with meter.step("name")` in steps.py."""
    tree = ast.parse(STEPS_FILE.read_text(encoding="utf-8"))
    blocks = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.With):
            continue
        for item in node.items:
            call = item.context_expr
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "step" and call.args
                    and isinstance(call.args[0], ast.Constant)):
                blocks.append((node.lineno, node.end_lineno, call.args[0].value))
    return blocks


def _short(frame: str) -> str:
    """'validate (/x/quality/validate.py:151)' -> 'validate (quality/validate.py)'."""
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m.group("file")
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        parts = Path(path).parts
        path = "/".join(parts[-2:])
    return f"{m.group('func')} ({path})"


def summarise(raw: Path, top: int = 10, rate: int = 100) -> dict:
    blocks = [b for b in _step_lines() if "." not in b[2]]  # top-level steps only
    inclusive: dict[str, Counter] = defaultdict(Counter)
    selfish: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack_text.split(";")
        step, below = None, []
        for i, frame in enumerate(frames):
            m = _FRAME.match(frame)
            if m and m.group("file").endswith("bench/steps.py") and m.group("func") == "run":
                lineno = int(m.group("line"))
                inner = [b for b in blocks if b[0] <= lineno <= b[1]]
                if inner:
                    step = max(inner, key=lambda b: b[0])[2]
                    below = frames[i + 1:]
        if step is None or not below:
            continue
        totals[step] += count
        for frame in dict.fromkeys(_short(f) for f in below):
            inclusive[step][frame] += count
        selfish[step][_short(below[-1])] += count
    seconds = 1.0 / rate
    out = {}
    for step, samples in totals.most_common():
        out[step] = {
            "samples": samples,
            "seconds": round(samples * seconds, 2),
            "inclusive": [{"frame": f, "share": round(c / samples, 3),
                           "seconds": round(c * seconds, 2)}
                          for f, c in inclusive[step].most_common(top)],
            "self": [{"frame": f, "share": round(c / samples, 3), "seconds": round(c * seconds, 2)}
                     for f, c in selfish[step].most_common(top)],
        }
    return out


def print_summary(console, summary: dict, top: int = 4) -> None:
    from rich.table import Table

    table = Table(title="Hot spots per step (py-spy; self = own code and the C code it calls)",
                  title_justify="left")
    for col in ("step", "sampled s", "share", "s", "function (file)"):
        table.add_column(col, justify="left" if col in ("step", "function (file)") else "right")
    for step, data in summary.items():
        for n, item in enumerate(data["self"][:top]):
            table.add_row(step if n == 0 else "", f"{data['seconds']:.1f}" if n == 0 else "",
                          f"{item['share']:.0%}", f"{item['seconds']:.1f}", item["frame"])
    console.print(table)
