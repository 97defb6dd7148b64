"""Everything a step needs for one municipality, assembled from VROEG_HOME and the environment.

Flows and tasks receive only the municipality code (and paths and ids); they build this context
themselves. Keys and configuration are therefore never flow parameters, so never in Prefect's
database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from privacy.audit import Audit
from privacy.keys import KeyRing, load_keys
from privacy.vault import Vault
from vroeg.config import Municipality, load_municipality
from vroeg.settings import Home, default_gemeente


@dataclass
class Context:
    home: Home
    municipality: Municipality

    @property
    def gemeente(self) -> str:
        return self.municipality.code

    @cached_property
    def keys(self) -> KeyRing:
        return load_keys(self.home, self.gemeente)

    @property
    def database_url(self) -> str:
        return self.home.database_url

    @cached_property
    def audit(self) -> Audit:
        return Audit(self.database_url, self.keys)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.home.vault_url(self.gemeente), self.keys)

    @property
    def warehouse_path(self):
        return self.home.warehouse_path(self.gemeente)


def context(gemeente: str | None = None) -> Context:
    """The context of a municipality; refuses (KeyProblem) when its key is missing or unsafe, or
    while a key rotation is unfinished, so no step starts without a usable key."""
    home = Home.from_env().ensure()
    code = gemeente or default_gemeente(home)
    ctx = Context(home=home, municipality=load_municipality(home, code))
    ctx.keys  # noqa: B018 - load (and check) the key now
    return ctx
