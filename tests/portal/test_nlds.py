"""The NL Design System's files the portal serves: each listed with its package, version and
licence (portal/static/nlds/README.md), each linked from every page, none fetched elsewhere."""

from __future__ import annotations

import re

from tests import REPO_ROOT

NLDS = REPO_ROOT / "portal" / "static" / "nlds"
BASE = REPO_ROOT / "portal" / "templates" / "base.html"
#: A README row: | `file` (`file in the package`) | `package` | version | licence |
ROW = re.compile(r"^\| `(?P<file>[^`]+)` \(`[^`]+`\) \| `(?P<package>@[^`]+)` \| "
                 r"(?P<version>\d+\.\d+\.\d+) \| (?P<licence>[^|]+) \|$", re.M)


def test_every_vendored_file_is_listed_with_version_and_licence_and_linked():
    listed = {m["file"]: m for m in ROW.finditer((NLDS / "README.md").read_text("utf-8"))}
    present = {p.relative_to(NLDS).as_posix() for p in NLDS.rglob("*.css")}
    assert present == set(listed), (present ^ set(listed))
    assert {m["licence"].strip() for m in listed.values()} == {"EUPL-1.2"}
    assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in (NLDS / "LICENSE-EUPL-1.2.md").read_text(
        "utf-8")
    base = BASE.read_text("utf-8")
    names = re.search(r"{% for component in \(([^)]*)\) %}", base)[1]
    linked = {f"components/{n}.css" for n in re.findall(r'"([a-z0-9-]+)"', names)}
    linked.add(re.search(r'href="/static/nlds/([^"]+\.css)"', base)[1])
    assert linked == present, (linked ^ present)


def test_no_style_or_script_from_elsewhere():
    """Served by the portal itself: no CDN, no inline script or style element."""
    for template in (REPO_ROOT / "portal" / "templates").rglob("*.html"):
        text = template.read_text("utf-8")
        assert not re.search(r'(href|src)="(https?:)?//', text), template
        assert "<style" not in text and not re.search(r"<script(?![^>]*\bsrc=)", text), template
