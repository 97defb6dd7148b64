"""The OpenAPI document the server serves at /openapi.json: the interface as published
(vroeg/ddas/v1.2/DDAS-VS.yaml), with the exchange model it refers to by URL put in place.

The published document names the payload schema by its URL on GitHub; a client without internet
(or one that should not depend on it) cannot resolve that. Its `$defs` become components of
their own and its references follow, so the served document stands alone and says exactly what
the published one says. Our server's own address replaces the listed servers.
"""

from __future__ import annotations

import copy
import json
from functools import cache

import yaml

from vroeg import ddas


def _moved(value, prefix: str):
    if isinstance(value, dict):
        return {k: (prefix + v[len("#/$defs/"):] if k == "$ref" and isinstance(v, str)
                    and v.startswith("#/$defs/") else _moved(v, prefix))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, prefix) for v in value]
    return value


@cache
def _document() -> dict:
    spec = yaml.safe_load(ddas.API_SPEC_PATH.read_text(encoding="utf-8"))
    model = copy.deepcopy(ddas.schema())
    definitions = model.pop("$defs", {})
    for key in ("$schema", "$id"):
        model.pop(key, None)
    schemas = spec["components"]["schemas"]
    prefix = "#/components/schemas/"
    clash = set(definitions) & set(schemas)
    assert not clash, clash  # a future schema version with a clashing name must be looked at
    schemas["Uitwisselmodel"] = _moved(model, prefix)
    for name, definition in definitions.items():
        schemas[name] = _moved(definition, prefix)
    return spec


def document(base_url: str | None = None) -> bytes:
    spec = copy.deepcopy(_document())
    if base_url:
        spec["servers"] = [{"url": base_url, "description": "Deze installatie"}]
    return json.dumps(spec, ensure_ascii=False).encode("utf-8")
