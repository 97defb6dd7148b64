"""Search a folder for personal values: in clear text, in common encodings, inside archives and
compressed files, and inside DuckDB databases (whose string compression hides clear text from a
byte search). Used by the canary test (tests/test_no_leaks.py).
"""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import lzma
import shutil
import tempfile
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    where: str
    canary: str
    encoding: str


def _base64_needles(value: bytes) -> list[bytes]:
    """The base64 text of `value` wherever it starts in a larger blob: one needle per alignment
    (0, 1 or 2 bytes before it in its 3-byte group), without the characters it shares with its
    neighbours."""
    needles = []
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + value)
        start = -(-pad * 8 // 6)  # first character made only of value's bits
        end = (pad + len(value)) * 8 // 6
        needle = encoded[start:end]
        if len(needle) >= 6:
            needles += [needle, needle.replace(b"+", b"-").replace(b"/", b"_")]
    return needles


def needles(value: str) -> list[tuple[str, bytes, bool]]:
    """(encoding, needle, case-insensitive) for one canary value."""
    lower = value.lower()
    out: list[tuple[str, bytes, bool]] = [
        ("klare tekst", lower.encode(), True),
        ("UTF-16 LE", lower.encode("utf-16-le"), True),
        ("UTF-16 BE", lower.encode("utf-16-be"), True),
        ("hex", value.encode().hex().encode(), True),
        ("hex (UTF-16 LE)", value.encode("utf-16-le").hex().encode(), True),
    ]
    for variant in {value, lower, value.upper()}:
        out += [("base64", n, False) for n in _base64_needles(variant.encode())]
    for quoted in {urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}:
        if quoted != value:
            out.append(("URL-gecodeerd", quoted.lower().encode(), True))
    return out


def scan_bytes(data: bytes, canaries: list[str], where: str) -> list[Finding]:
    lowered = data.lower()
    found = []
    for canary in canaries:
        for encoding, needle, insensitive in needles(canary):
            if needle in (lowered if insensitive else data):
                found.append(Finding(where, canary, encoding))
                break
    return found


def _unpacked(data: bytes) -> list[tuple[str, bytes]]:
    """Members of a zip (xlsx), and the content of gzip, bz2 and xz data."""
    out = []
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for name in archive.namelist():
                    out.append((f"!{name}", archive.read(name)))
        except zipfile.BadZipFile:
            pass
    for magic, opener, label in ((b"\x1f\x8b", gzip.decompress, "gzip"),
                                 (b"BZh", bz2.decompress, "bz2"),
                                 (b"\xfd7zXZ\x00", lzma.decompress, "xz")):
        if data.startswith(magic):
            try:
                out.append((f"!{label}", opener(data)))
            except (OSError, EOFError, ValueError, lzma.LZMAError):
                pass
    return out


def _is_duckdb(data: bytes) -> bool:
    return data[8:12] == b"DUCK"


def scan_duckdb(path: Path, canaries: list[str]) -> list[Finding]:
    """Every column of every table, cast to text: what DuckDB's compression hides from bytes."""
    import duckdb

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.duckdb"
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        con = duckdb.connect(str(copy))
        try:
            columns = con.execute(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                "WHERE table_catalog = current_database()").fetchall()
            found = []
            for schema, table, column in columns:
                values = con.execute(
                    f'SELECT DISTINCT lower(CAST("{column}" AS VARCHAR)) FROM "{schema}"."{table}"'
                ).fetchall()
                text = "\n".join(v for (v,) in values if v)
                for canary in canaries:
                    if canary.lower() in text:
                        found.append(Finding(f"{path}#{table}.{column}", canary, "DuckDB-kolom"))
            return found
        finally:
            con.close()


def scan_sqlite(path: Path, canaries: list[str]) -> list[Finding]:
    """Every column of every table of a SQLite database, as text: which table and column hold a
    value (a byte search says only which file). Read from a copy, with its write-ahead log."""
    import sqlite3

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        for suffix in ("", "-wal"):
            if path.with_name(path.name + suffix).exists():
                shutil.copyfile(path.with_name(path.name + suffix),
                                copy.with_name(copy.name + suffix))
        con = sqlite3.connect(copy)
        try:
            found = []
            tables = [t for (t,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for column in [c[1] for c in con.execute(f'PRAGMA table_info("{table}")')]:
                    values = con.execute(
                        f'SELECT DISTINCT lower(CAST("{column}" AS TEXT)) FROM "{table}"')
                    text = "\n".join(v for (v,) in values if v)
                    for canary in canaries:
                        if canary.lower() in text:
                            found.append(Finding(f"{path}#{table}.{column}", canary,
                                                 "SQLite-kolom"))
            return found
        finally:
            con.close()


def scan_tree(root: Path, canaries: list[str], *, skip: set[Path] = frozenset()) -> tuple[
        list[Finding], int]:
    """(findings, number of files searched) for every file under root, except those in skip."""
    findings: list[Finding] = []
    searched = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or any(path.is_relative_to(s) for s in skip):
            continue
        searched += 1
        try:
            data = path.read_bytes()
        except OSError:
            continue
        findings += _scan_nested(data, canaries, str(path), depth=0)
        if _is_duckdb(data):
            findings += scan_duckdb(path, canaries)
    return findings, searched


def _scan_nested(data: bytes, canaries: list[str], where: str, depth: int) -> list[Finding]:
    found = scan_bytes(data, canaries, where)
    if depth < 3:
        for suffix, inner in _unpacked(data):
            found += _scan_nested(inner, canaries, where + suffix, depth + 1)
    return found
