"""Errors a data officer sees. Messages are Dutch, name the file and place, and never a value.

Library exceptions (polars, openpyxl, codecs) can quote the offending data in their message, which
would carry personal data into logs and Prefect's database. Every reader therefore converts them
into a DeliveryError at the edge, keeping only the exception type, and raises it `from None`.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A whole delivery cannot be processed. `code` is stable; `message` is for people."""

    code = "BESTAND_ONLEESBAAR"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class DeliveryUnreadable(DeliveryError):
    """The file cannot be decoded or parsed at all (empty, garbage, wrong encoding, not a zip)."""


class DeliveryRejected(DeliveryError):
    """The file was read but is rejected whole (missing columns, too many bad rows)."""

    code = "BESTAND_AFGEKEURD"


class DatabaseMismatch(Exception):
    """The operational database does not match this version's migrations or models
    (vroeg.opsdb.schema_check). The message (Dutch) says what is wrong and what to do; it names
    tables, never data."""


class RunInProgress(RuntimeError):
    """A run of the same municipality and month is still working; the message (Dutch) says
    which run, on which host, and its last sign of life (vroeg.opsdb.runs.claim)."""
