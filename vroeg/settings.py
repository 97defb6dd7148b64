"""Where state lives: everything under VROEG_HOME (default ./var), one folder per store.

    $VROEG_HOME/
      config/<gemeentecode>/    optional: a municipality's own configuration (else the shipped one)
      keys/<gemeentecode>.key   the municipality's secret key (mode 0600), unless given by env
      archive/<gemeentecode>/   original deliveries, encrypted at rest, named by SHA-256
      warehouse/<code>.duckdb   pseudonymised facts only
      vault/<code>.sqlite       encrypted identity records
      outbox/<code>/<wijkteam>/ published visit lists
      vroeg.sqlite              the operational database (VROEG_DATABASE_URL overrides)
      prefect/                  Prefect's home (its database and logs), so nothing lands in
                                ~/.prefect
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vroeg.files import private_dir

#: The sample municipality shipped with the repository (modelled on Leeuwarden).
DEFAULT_GEMEENTE = "0080"

#: The configuration shipped with the package (the sample municipality), used for a
#: municipality that has no folder of its own under $VROEG_HOME/config.
SHIPPED_CONFIG = Path(__file__).resolve().parent / "config" / "shipped"


@dataclass(frozen=True)
class Home:
    """The state folder of one installation."""

    root: Path

    @classmethod
    def from_env(cls) -> Home:
        return cls(Path(os.environ.get("VROEG_HOME", "./var")).expanduser().resolve())

    def config_dir(self, gemeente: str) -> Path:
        own = self.root / "config" / gemeente
        return own if own.is_dir() else SHIPPED_CONFIG / gemeente

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    def key_file(self, gemeente: str) -> Path:
        return self.keys_dir / f"{gemeente}.key"

    def archive_dir(self, gemeente: str) -> Path:
        return self.root / "archive" / gemeente

    def warehouse_path(self, gemeente: str) -> Path:
        return self.root / "warehouse" / f"{gemeente}.duckdb"

    def vault_url(self, gemeente: str) -> str:
        env = os.environ.get(f"VROEG_VAULT_URL_{gemeente}")
        return env or f"sqlite:///{self.root / 'vault' / f'{gemeente}.sqlite'}"

    def outbox_dir(self, gemeente: str) -> Path:
        return self.root / "outbox" / gemeente

    def inbox_dir(self, gemeente: str) -> Path:
        return self.root / "inbox" / gemeente

    @property
    def database_url(self) -> str:
        return os.environ.get("VROEG_DATABASE_URL") or f"sqlite:///{self.root / 'vroeg.sqlite'}"

    @property
    def prefect_home(self) -> Path:
        return self.root / "prefect"

    def ensure(self) -> Home:
        # 0700 whatever the umask: everything below holds personal data or leads to it.
        private_dir(self.root)
        return self

    def municipalities(self) -> list[str]:
        """Municipalities configured in this home, else the shipped ones."""
        own = self.root / "config"
        codes = sorted(p.name for p in own.iterdir() if p.is_dir()) if own.is_dir() else []
        return codes or sorted(p.name for p in SHIPPED_CONFIG.iterdir() if p.is_dir())


def default_gemeente(home: Home) -> str:
    """VROEG_GEMEENTE, else the only municipality configured, else the sample municipality."""
    env = os.environ.get("VROEG_GEMEENTE")
    if env:
        return env
    codes = home.municipalities()
    return codes[0] if len(codes) == 1 else DEFAULT_GEMEENTE
