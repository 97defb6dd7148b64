"""The delivery archive: every original file kept unchanged, encrypted at rest, named by SHA-256.

A raw delivery is full of personal data, so it is sealed with the municipality's archive key
before it touches the disk. The format is a simple chunked AEAD stream: a header, then 1 MiB chunks,
each AES-GCM sealed with a nonce from a random prefix and the chunk counter, and the chunk index
plus a last-chunk flag in the associated data, so chunks cannot be reordered, dropped or cut off.
Decryption gives back the exact original bytes, whose SHA-256 is the file's name.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privacy.keys import KeyProblem, KeyRing
from vroeg.files import PRIVATE_FILE, name_file, private_dir

MAGIC = b"VROEGARCH1"
CHUNK = 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_path(root: Path, digest: str) -> Path:
    return root / digest[:2] / f"{digest}.bin"


def _aad(digest: str, index: int, last: bool) -> bytes:
    return digest.encode() + struct.pack(">IB", index, 1 if last else 0)


def store(root: Path, data: bytes, keys: KeyRing) -> tuple[str, Path]:
    """Seal `data` into the archive (once per content); returns its SHA-256 and path."""
    digest = sha256(data)
    path = archive_path(root, digest)
    if path.exists():
        return digest, path
    private_dir(path.parent)
    _write(path, data, digest, keys)
    return digest, path


def _write(path: Path, data: bytes, digest: str, keys: KeyRing) -> None:
    aead = AESGCM(keys.derive("archief"))
    prefix = os.urandom(8)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    chunks = max(1, -(-len(data) // CHUNK))
    try:
        # Created 0600 whatever the umask: an original delivery, even sealed, is the owner's only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack(">I", keys.version) + prefix)
            for index in range(chunks):
                piece = data[index * CHUNK:(index + 1) * CHUNK]
                nonce = prefix + struct.pack(">I", index)
                out.write(aead.encrypt(nonce, piece, _aad(digest, index, index == chunks - 1)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)  # atomic: a reader sees the whole archive or none
    except OSError as exc:
        name_file(exc, path)
        raise
    finally:
        # A write that failed (a full disk) leaves no half-sealed file behind.
        tmp.unlink(missing_ok=True)


def version_of(path: Path) -> int:
    """The key version an archive file is sealed with (read from its header)."""
    with open(path, "rb") as handle:
        head = handle.read(len(MAGIC) + 4)
    if not head.startswith(MAGIC) or len(head) < len(MAGIC) + 4:
        raise ValueError(f"{path.name} is geen archiefbestand")
    return struct.unpack(">I", head[len(MAGIC):])[0]


def reseal(path: Path, keys: KeyRing) -> bool:
    """Re-encrypt an archive file under `keys` (key rotation); False when it already was.

    Atomic per file: a rotation interrupted half-way leaves each file whole, under the old key or
    the new one, and `load` reads either.
    """
    if version_of(path) == keys.version:
        return False
    data = load(path, keys)
    _write(path, data, path.stem, keys)
    return True


def load(path: Path, keys: KeyRing) -> bytes:
    """The original bytes; raises if the archive was altered or belongs to another key."""
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise ValueError(f"{path.name} is geen archiefbestand")
    offset = len(MAGIC)
    (version,) = struct.unpack(">I", raw[offset:offset + 4])
    try:
        sealed_with = keys.at(version)  # any version the key ring holds (before a rotation)
    except KeyProblem:
        raise ValueError(f"{path.name} is versleuteld met sleutelversie {version}") from None
    prefix = raw[offset + 4:offset + 12]
    body = raw[offset + 12:]
    digest = path.stem
    aead = AESGCM(sealed_with.derive("archief"))
    sealed_chunk = CHUNK + 16
    chunks = max(1, -(-len(body) // sealed_chunk))
    out = bytearray()
    for index in range(chunks):
        piece = body[index * sealed_chunk:(index + 1) * sealed_chunk]
        nonce = prefix + struct.pack(">I", index)
        out += aead.decrypt(nonce, piece, _aad(digest, index, index == chunks - 1))
    if sha256(bytes(out)) != digest:
        raise ValueError(f"{path.name}: inhoud klopt niet met de SHA-256")
    return bytes(out)
