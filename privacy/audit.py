"""The audit trail, after the Logboek Dataverwerkingen standard (MinBZK).

One line per bulk processing step (counts, hashes of input and output, rule and key versions in
`attributes`) and one line per data subject for every processing of one person's or household's
data: re-identification, publication, subject access, erasure, deletion at the end of a retention
term (and, with the portal, download and correction). The subject is identified by its pseudonym,
encrypted under the municipality's audit key, so the trail itself is no new source of identities.

Lines are appended to a per-municipality hash chain (privacy/chain.py); the operational database
refuses to update or delete them (migration i5_0001).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import secrets
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import polars as pl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from privacy import chain
from privacy.keys import KeyProblem, KeyRing
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


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: Digests of frames hashed in this process, by id(frame): (weak reference, shape, digest).
_frame_digests: dict[int, tuple[weakref.ref, tuple, str]] = {}


def frame_sha256(frame: pl.DataFrame) -> str:
    """SHA-256 of a frame's content (as CSV with a header): the same rows give the same hash.

    Recorded in bulk audit lines as the hash of a step's input and output, so a step can be
    shown to have received exactly what the step before produced. A hash over many rows is no
    way back to any of them.

    Each frame is hashed once per process: a step's output is the next step's input, so the
    flows ask for the same frame's digest twice (1-2 s each for a million rows). The pipeline
    never changes a frame in place (polars operations return new frames); as a guard, a frame
    whose shape or columns changed since it was hashed is hashed again.
    """
    shape = (frame.height, tuple(frame.schema.items()))
    cached = _frame_digests.get(id(frame))
    if cached is not None and cached[0]() is frame and cached[1] == shape:
        return cached[2]
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    digest = hashlib.sha256(buffer.getbuffer()).hexdigest()
    key = id(frame)
    _frame_digests[key] = (weakref.ref(frame, lambda _gone: _frame_digests.pop(key, None)),
                           shape, digest)
    return digest


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
        self._keys = keys
        self._gemeente = keys.gemeente
        self._aeads: dict[int, AESGCM] = {}

    @property
    def gemeente(self) -> str:
        return self._gemeente

    def _aead(self, version: int) -> AESGCM:
        if version not in self._aeads:
            self._aeads[version] = AESGCM(self._keys.at(version).derive("audit"))
        return self._aeads[version]

    def encrypt_subject(self, subject: str) -> str:
        """"<key version>." + base64(nonce + AES-GCM ciphertext); a new nonce every time, so
        equal subjects give unequal tokens and lines cannot be linked without the key."""
        nonce = os.urandom(12)
        sealed = self._aead(self._keys.version).encrypt(nonce, subject.encode(),
                                                        self._gemeente.encode())
        return f"{self._keys.version}." + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt_subject(self, token: str) -> str:
        version_text, dot, body = token.partition(".")
        version, body = (int(version_text), body) if dot else (1, token)  # before versioning
        raw = base64.b64decode(body)
        return self._aead(version).decrypt(raw[:12], raw[12:], self._gemeente.encode()).decode()

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
        shared = dict(attributes)  # the same for every line (and normalised once when chained)
        lines = []
        for subject in subjects:
            op = Operation(name, trace_id, new_operation_id(), parent, now, shared)
            lines.append(self._line(op, now, self.encrypt_subject(subject)))
        self._write(lines)

    def operation_with_subjects(self, name: str, trace_id: str, subject_name: str,
                                subjects: list[str], parent: str | None = None, *,
                                bulk: dict | None = None, **attributes) -> str:
        """One bulk line and, under it, one line per data subject, in one chain append (one
        transaction, one commit): a portal view of a list of thousands of households takes the
        database's write lock once, not twice, and its lines are confirmed together or not at
        all. `bulk`: attributes of the bulk line only (e.g. counts). Returns the bulk line's
        operation id."""
        now = _now()
        op = Operation(name, trace_id, new_operation_id(), parent, now,
                       {**(bulk or {}), **attributes})
        shared = dict(attributes)  # the same for every subject line (normalised once)
        lines = [self._line(op, now, None)]
        for subject in subjects:
            child = Operation(subject_name, trace_id, new_operation_id(), op.operation_id, now,
                              shared)
            lines.append(self._line(child, now, self.encrypt_subject(subject)))
        self._write(lines)
        return op.operation_id

    def _line(self, op: Operation, end: dt.datetime, subject: str | None) -> dict:
        return {
            "gemeente": self._gemeente,
            "trace_id": op.trace_id,
            "operation_id": op.operation_id,
            "parent_operation_id": op.parent_operation_id,
            "name": op.name,
            "start_time": op.start_time,
            "end_time": end,
            "status_code": op.status_code,
            "processing_activity_id": processing_activity(self._gemeente),
            "data_subject_id": subject,
            "attributes": op.attributes or None,
        }

    def _write(self, lines: list[dict]) -> None:
        chain.append(self._url, self._keys, lines)

    # --------------------------------------------------------------------------------------------
    # Reading (the privacy officer's `vroeg audit` and subject access)
    # --------------------------------------------------------------------------------------------

    def read(self, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
             names: Iterable[str] = (), wijkteam: str | None = None,
             subjects: set[str] | None = None, limit: int | None = None) -> list[dict]:
        """Lines of this municipality, oldest first, filtered; subjects decrypted to pseudonyms.

        `subjects`: pseudonyms (household or person, any key version); a line matches when its
        decrypted subject is one of them or, for a person-level line "<person>@<household>",
        when either part is.
        """
        names = list(names)
        query = select(AuditLine).where(AuditLine.gemeente == self._gemeente)
        if since is not None:
            query = query.where(AuditLine.end_time >= since)
        if until is not None:
            query = query.where(AuditLine.start_time < until)
        if names:
            query = query.where(AuditLine.name.in_(names))
        if subjects is not None:
            query = query.where(AuditLine.data_subject_id.is_not(None))
        query = query.order_by(AuditLine.seq.is_(None).desc(), AuditLine.seq, AuditLine.id)
        out: list[dict] = []
        with db.session(self._url) as s:
            for line in s.scalars(query).yield_per(5000):
                attributes = line.attributes or {}
                if wijkteam is not None and attributes.get("wijkteam") != wijkteam:
                    continue
                subject = None
                if line.data_subject_id:
                    try:
                        subject = self.decrypt_subject(line.data_subject_id)
                    except (InvalidTag, KeyProblem, ValueError):
                        subject = "(niet te ontsleutelen)"
                if subjects is not None and not (subject and set(subject.split("@")) & subjects):
                    continue
                out.append({
                    "positie": line.seq, "trace_id": line.trace_id,
                    "operation_id": line.operation_id,
                    "parent_operation_id": line.parent_operation_id, "naam": line.name,
                    "start": line.start_time, "einde": line.end_time,
                    "status": line.status_code,
                    "verwerkingsactiviteit": line.processing_activity_id,
                    "betrokkene": subject, "attributen": attributes,
                })
                if limit is not None and len(out) >= limit:
                    break
        return out
