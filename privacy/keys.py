"""The municipality's secret key: where it comes from, and the sub-keys derived from it.

One 256-bit master key per municipality, never in configuration or the repository. It comes from
the environment (VROEG_KEY_<gemeentecode>, base64) or from a key file in $VROEG_HOME/keys/ that only
its owner may read. Separate keys for pseudonyms, the vault and the archive are derived from it with
HKDF, so a leak of one derived key does not expose the others, and every derived key is bound to
the municipality (its pseudonymisation domain): the same person has unrelated pseudonyms in two
municipalities.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vroeg.settings import Home

KEY_BYTES = 32
PURPOSES = ("pseudoniem", "kluis", "archief", "audit")


class KeyProblem(Exception):
    """The key is missing or unsafe; the message says what to do."""


@dataclass(frozen=True)
class KeyRing:
    gemeente: str
    version: int
    master: bytes = field(repr=False)
    development: bool = False

    def derive(self, purpose: str) -> bytes:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        info = f"vroegsignalering/{self.gemeente}/{purpose}/v{self.version}".encode()
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
            self.master
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str, source: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise KeyProblem(f"{source}: de sleutel is geen geldige base64-tekst.") from None
    if len(raw) != KEY_BYTES:
        raise KeyProblem(f"{source}: de sleutel moet {KEY_BYTES} bytes zijn, niet {len(raw)}.")
    return raw


def env_var(gemeente: str) -> str:
    return f"VROEG_KEY_{gemeente}"


def load_keys(home: Home, gemeente: str) -> KeyRing:
    """The current key of a municipality, from the environment or its key file."""
    env = os.environ.get(env_var(gemeente))
    if env:
        version = int(os.environ.get(f"VROEG_KEY_VERSION_{gemeente}", "1"))
        return KeyRing(gemeente, version, _unb64(env, env_var(gemeente)))
    path = home.key_file(gemeente)
    if not path.exists():
        raise KeyProblem(
            f"Geen sleutel voor gemeente {gemeente}. Maak er een met 'vroeg keys init' "
            f"(schrijft {path}) of zet {env_var(gemeente)} in de omgeving."
        )
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(
            f"{path} is leesbaar voor anderen (rechten {stat.filemode(mode)}). "
            f"Beperk de rechten met: chmod 600 {path}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = int(data["current"])
        master = _unb64(data["keys"][str(version)], str(path))
    except (OSError, ValueError, KeyError, TypeError):
        raise KeyProblem(f"{path} is geen geldig sleutelbestand.") from None
    if data.get("gemeente") != gemeente:
        raise KeyProblem(f"{path} hoort bij gemeente {data.get('gemeente')}, niet bij {gemeente}.")
    return KeyRing(gemeente, version, master, bool(data.get("development")))


def init_keys(home: Home, gemeente: str, *, development: bool = False) -> Path:
    """Create a new key file (mode 0600). Refuses to overwrite: a lost key loses every pseudonym."""
    path = home.key_file(gemeente)
    if path.exists():
        raise KeyProblem(f"{path} bestaat al; een sleutel wordt nooit overschreven.")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    document = {
        "gemeente": gemeente,
        "current": 1,
        "keys": {"1": _b64(secrets.token_bytes(KEY_BYTES))},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "development": development,
    }
    # O_EXCL: two processes initialising at once cannot both win; 0600 from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
    return path
