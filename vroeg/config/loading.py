"""Reading a municipality's configuration from YAML: every problem becomes one ConfigError that
names the file and the key.

Layout (see docs/configuration.md):

    config/<gemeentecode>/gemeente.yaml      the municipality: wijkteams, validation, scoring rules
    config/<gemeentecode>/partners/<id>.yaml one file per signal partner: format and column mapping
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from vroeg.config.base import ConfigError
from vroeg.config.municipality import Municipality
from vroeg.config.partner import Partner
from vroeg.config.partner_types import moved_keys
from vroeg.settings import Home

#: PyYAML's safe loader in C (libyaml, in PyYAML's wheels), else in Python: the same safe subset.
#: Every flow task reads the configuration (privacy.context), and in Python the parsing is most
#: of that cost.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def describe(exc: ValidationError) -> str:
    """Every problem pydantic found, as "key.path: message; ..."."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
    )


def load_partner(path: Path) -> Partner:
    try:
        partner = Partner.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None
    if partner.id != path.stem:
        raise ConfigError(f"{path}: id {partner.id!r} must match the file name {path.stem!r}")
    return partner


def brp_url_variable(code: str) -> str:
    """The environment variable that turns a municipality's BRP link on at a base URL."""
    return f"VROEG_BRP_URL_{code}"


def load_municipality(home: Home, code: str) -> Municipality:
    folder = home.config_dir(code)
    path = folder / "gemeente.yaml"
    if not path.is_file():
        raise ConfigError(
            f"Geen configuratie voor gemeente {code}: {path} ontbreekt. "
            f"Bekende gemeenten: {', '.join(home.municipalities())}."
        )
    data = _read_yaml(path)
    if moved := moved_keys(data):
        raise ConfigError(f"{path}: {moved}")
    if url := os.environ.get(brp_url_variable(code)):
        # The BRP link on, at this base URL, for this process only: the demo's local stand-in
        # (`vroeg demo --brp`), or a test environment, without editing gemeente.yaml. The
        # other brp settings (key, certificate, time-outs) stay as configured.
        data["brp"] = {**(data.get("brp") or {}), "enabled": True, "personen_url": url}
    partners = {}
    for partner_path in sorted((folder / "partners").glob("*.yaml")):
        partner = load_partner(partner_path)
        partners[partner.id] = partner
    try:
        municipality = Municipality.model_validate({**data, "partners": partners})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None
    if municipality.code != code:
        raise ConfigError(f"{path}: code {municipality.code!r} does not match folder {code!r}")
    return municipality
