"""The audit trail, after the Logboek Dataverwerkingen standard (MinBZK).

One line per bulk processing step (counts and hashes in `attributes`) and one line per data subject
for every re-identification. The subject is identified by its pseudonym, encrypted under the
municipality's audit key, so the trail itself is no new source of identities.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privacy.keys import KeyRing
from vroeg.opsdb import db
from vroeg.opsdb.models import AuditLine

STATUS_UNKNOWN, STATUS_OK, STATUS_ERROR = 0, 1, 2


def processing_activity(gemeente: str) -> str:
    """The entry in the register of processing activities (GDPR art. 30) these lines refer to."""
    return f"urn:vroegsignalering:{gemeente}:verwerkingsactiviteit:vroegsignalering"


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_operation_id() -> str:
    return secrets.token_hex(8)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Operation:
    name: str
    trace_id: str
    operation_id: str
    parent_operation_id: str | None
    start_time: dt.datetime
    attributes: dict = field(default_factory=dict)
    status_code: int = STATUS_OK


class Audit:
    def __init__(self, database_url: str, keys: KeyRing):
        self._url = database_url
        self._gemeente = keys.gemeente
        self._aead = AESGCM(keys.derive("audit"))

    def encrypt_subject(self, subject: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, subject.encode(), self._gemeente.encode())
        return base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt_subject(self, token: str) -> str:
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], self._gemeente.encode()).decode()

    @contextmanager
    def operation(self, name: str, trace_id: str, parent: str | None = None,
                  **attributes) -> Iterator[Operation]:
        """One bulk line: written when the block ends, with status error if it raised."""
        op = Operation(name, trace_id, new_operation_id(), parent, _now(), dict(attributes))
        try:
            yield op
        except BaseException:
            op.status_code = STATUS_ERROR
            raise
        finally:
            self._write([self._line(op, _now(), None)])

    def subjects(self, name: str, trace_id: str, parent: str | None, subjects: list[str],
                 **attributes) -> None:
        """One line per data subject, all in one transaction (each write confirmed by commit)."""
        now = _now()
        lines = []
        for subject in subjects:
            op = Operation(name, trace_id, new_operation_id(), parent, now, dict(attributes))
            lines.append(self._line(op, now, self.encrypt_subject(subject)))
        self._write(lines)

    def _line(self, op: Operation, end: dt.datetime, subject: str | None) -> AuditLine:
        return AuditLine(
            gemeente=self._gemeente,
            trace_id=op.trace_id,
            operation_id=op.operation_id,
            parent_operation_id=op.parent_operation_id,
            name=op.name,
            start_time=op.start_time,
            end_time=end,
            status_code=op.status_code,
            processing_activity_id=processing_activity(self._gemeente),
            data_subject_id=subject,
            attributes=op.attributes or None,
        )

    def _write(self, lines: list[AuditLine]) -> None:
        if not lines:
            return
        with db.session(self._url) as s:
            s.add_all(lines)
