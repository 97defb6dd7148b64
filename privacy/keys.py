"""The municipality's secret key: where it comes from, and the sub-keys derived from it.

One 256-bit master key per municipality, never in configuration or the repository. It comes from
the environment (VROEG_KEY_<gemeentecode>, base64) or from a key file in $VROEG_HOME/keys/ that only
its owner may read. Separate keys for pseudonyms, the vault, the archive and the audit trail are
derived from it with HKDF, so a leak of one derived key does not expose the others, and every
derived key is bound to the municipality (its pseudonymisation domain): the same person has
unrelated pseudonyms in two municipalities.

A key file keeps every version it ever had (`keys: {"1": ..., "2": ...}`): pseudonyms and sealed
records name their version, and audit lines written under an old version must stay verifiable and
searchable. `current` is the version new data is written with; `pending` is set while a rotation
(`vroeg keys rotate`, governance/rotation.py) is re-keying the stores, and while it is set nothing
but the rotation may start.
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

from vroeg.files import private_dir
from vroeg.settings import Home

KEY_BYTES = 32
#: "auditketen" keys the hash chain of the audit trail (privacy/chain.py).
PURPOSES = ("pseudoniem", "kluis", "archief", "audit", "auditketen")


class KeyProblem(Exception):
    """The key is missing or unsafe; the message says what to do."""


@dataclass(frozen=True)
class KeyRing:
    """One municipality's key at one version, with the other versions it knows of.

    `derive` always uses `version`; `at(v)` gives the ring of another version (to read what was
    written before a rotation, or to write under the pending version during one).
    """

    gemeente: str
    version: int
    master: bytes = field(repr=False)
    development: bool = False
    #: Every (version, master key) known, including this one; sorted by version.
    known: tuple[tuple[int, bytes], ...] = field(default=(), repr=False)
    #: Version a rotation is moving to, if one is under way.
    pending: int | None = None

    def derive(self, purpose: str) -> bytes:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        info = f"vroegsignalering/{self.gemeente}/{purpose}/v{self.version}".encode()
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
            self.master
        )

    @property
    def versions(self) -> list[int]:
        return sorted({v for v, _ in self.known} | {self.version})

    def at(self, version: int) -> KeyRing:
        if version == self.version:
            return self
        for v, master in self.known:
            if v == version:
                return KeyRing(self.gemeente, v, master, self.development, self.known, self.pending)
        raise KeyProblem(
            f"Sleutelversie {version} van gemeente {self.gemeente} is niet beschikbaar "
            f"(bekend: {', '.join(map(str, self.versions))})."
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


def _from_env(gemeente: str) -> KeyRing | None:
    """VROEG_KEY_<code> (current) and, for older versions, VROEG_KEY_<code>_V<n>."""
    env = os.environ.get(env_var(gemeente))
    if not env:
        return None
    version = int(os.environ.get(f"VROEG_KEY_VERSION_{gemeente}", "1"))
    master = _unb64(env, env_var(gemeente))
    known = {version: master}
    prefix = f"{env_var(gemeente)}_V"
    for name, value in os.environ.items():
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            known.setdefault(int(name[len(prefix):]), _unb64(value, name))
    return KeyRing(gemeente, version, master, known=tuple(sorted(known.items())))


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(
            f"{path} is leesbaar voor anderen (rechten {stat.filemode(mode)}). "
            f"Beperk de rechten met: chmod 600 {path}"
        )


def read_key_file(home: Home, gemeente: str) -> dict:
    """The key file's document, after checking that it exists, is private and is well-formed."""
    path = home.key_file(gemeente)
    if not path.exists():
        raise KeyProblem(
            f"Geen sleutel voor gemeente {gemeente}. Maak er een met 'vroeg keys init' "
            f"(schrijft {path}) of zet {env_var(gemeente)} in de omgeving."
        )
    _check_private(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        int(data["current"])
        for version, text in data["keys"].items():
            int(version)
            _unb64(text, str(path))
        if data.get("pending") is not None:
            data["keys"][str(int(data["pending"]))]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise KeyProblem(f"{path} is geen geldig sleutelbestand.") from None
    if data.get("gemeente") != gemeente:
        raise KeyProblem(f"{path} hoort bij gemeente {data.get('gemeente')}, niet bij {gemeente}.")
    return data


def load_keys(home: Home, gemeente: str, *, allow_pending: bool = False) -> KeyRing:
    """The current key of a municipality, from the environment or its key file.

    Refuses (KeyProblem, with what to do) when the key is missing, readable by others, malformed,
    or when a key rotation was interrupted: then only the rotation itself (allow_pending) may run.
    """
    from_env = _from_env(gemeente)
    if from_env is not None:
        return from_env
    data = read_key_file(home, gemeente)
    current = int(data["current"])
    pending = int(data["pending"]) if data.get("pending") is not None else None
    if pending is not None and not allow_pending:
        raise KeyProblem(
            f"Een sleutelrotatie van gemeente {gemeente} (versie {current} naar {pending}) is niet "
            f"afgemaakt. Maak haar eerst af met: vroeg keys rotate --gemeente {gemeente}"
        )
    path = str(home.key_file(gemeente))
    known = tuple(sorted((int(v), _unb64(t, path)) for v, t in data["keys"].items()))
    master = dict(known)[current]
    return KeyRing(gemeente, current, master, bool(data.get("development")), known, pending)


def _write_key_file(path: Path, document: dict, *, exclusive: bool) -> None:
    """Write the key file with mode 0600 from the first byte; replace atomically when updating."""
    if exclusive:
        # O_EXCL: two processes initialising at once cannot both win.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
        return
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)  # a crash leaves the old file or the new one, never half of one


def init_keys(home: Home, gemeente: str, *, development: bool = False) -> Path:
    """Create a new key file (mode 0600). Refuses to overwrite: a lost key loses every pseudonym."""
    path = home.key_file(gemeente)
    if path.exists():
        raise KeyProblem(f"{path} bestaat al; een sleutel wordt nooit overschreven.")
    private_dir(path.parent)
    os.chmod(path.parent, 0o700)
    document = {
        "gemeente": gemeente,
        "current": 1,
        "keys": {"1": _b64(secrets.token_bytes(KEY_BYTES))},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "development": development,
    }
    _write_key_file(path, document, exclusive=True)
    return path


def begin_rotation(home: Home, gemeente: str) -> tuple[int, int]:
    """Add a new key version as `pending` (or return the one already pending): (from, to)."""
    if _from_env(gemeente) is not None:
        raise KeyProblem(
            f"De sleutel van gemeente {gemeente} komt uit de omgeving ({env_var(gemeente)}). "
            "Roteren kan alleen met een sleutelbestand: het nieuwe en het oude sleutelmateriaal "
            "moeten samen bewaard worden. Zie docs/privacy.md, 'Sleutelrotatie'."
        )
    data = read_key_file(home, gemeente)
    current = int(data["current"])
    if data.get("pending") is not None:
        return current, int(data["pending"])
    new = max(int(v) for v in data["keys"]) + 1
    data["keys"][str(new)] = _b64(secrets.token_bytes(KEY_BYTES))
    data["pending"] = new
    data.setdefault("history", []).append(
        {"version": new, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    _write_key_file(home.key_file(gemeente), data, exclusive=False)
    return current, new


def finish_rotation(home: Home, gemeente: str, to_version: int) -> None:
    """Make the pending version current. Older versions stay: old audit lines need them."""
    data = read_key_file(home, gemeente)
    if int(data["current"]) == to_version and data.get("pending") is None:
        return  # already done (a resumed rotation)
    if data.get("pending") != to_version:
        raise KeyProblem(f"Sleutelversie {to_version} staat niet klaar in het sleutelbestand.")
    data["current"] = to_version
    data.pop("pending", None)
    _write_key_file(home.key_file(gemeente), data, exclusive=False)
