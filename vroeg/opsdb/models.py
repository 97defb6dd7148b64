"""The operational database: deliveries, quarantine, validation results, runs, publications, audit.

SQLite by default, PostgreSQL in production; the schema is managed by Alembic migrations in
vroeg/opsdb/migrations (never by create_all on a live database). None of these tables holds
personal data: quarantine rows name the file, row and column, never the value; audit lines carry
the data subject only as an encrypted pseudonym.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vroeg.opsdb.statuses import DeliveryStatus, RunKind, RunStatus


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: The deliveries.status column accepts a DeliveryStatus and nothing else.
STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s.value}'" for s in DeliveryStatus))
#: The runs.status column accepts a RunStatus and nothing else (migration i19_0003).
RUN_STATUS_CHECK = "status IN ({})".format(", ".join(f"'{s.value}'" for s in RunStatus))


class Delivery(Base):
    """One file (or query result) received from a partner, and what became of its rows."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    archive_path: Mapped[str | None] = mapped_column(String(1024))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: ontvangen -> geladen | afgekeurd | onleesbaar | dubbel | mislukt (DeliveryStatus; the
    #: database refuses any other value)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.ONTVANGEN, index=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(String(36))
    notes: Mapped[list | None] = mapped_column(JSON)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    #: bestand (command line), inbox (the partner's inbox folder) or sql (the partner's view).
    channel: Mapped[str | None] = mapped_column(String(16))

    quarantine: Mapped[list[QuarantineRecord]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="QuarantineRecord.id"
    )

    __table_args__ = (
        # The same check as migration i13_0001 adds (tests/test_opsdb.py holds them together).
        CheckConstraint(STATUS_CHECK, name="ck_deliveries_status"),
    )


class QuarantineRecord(Base):
    """Why a row (or, with row NULL, the whole file) was not loaded. Never holds the value."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"),
                                             index=True)
    row: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    column: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)

    delivery: Mapped[Delivery] = relationship(back_populates="quarantine")


class ValidationResult(Base):
    """One expectation's counts for one delivery (Great Expectations result without values)."""

    __tablename__ = "validation_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"),
                                             index=True)
    suite_version: Mapped[str] = mapped_column(String(16))
    expectation: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(40))
    column: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
    checked: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    #: The GX suite: the schema suite (signaal-<gemeente>) or a partner type's suite.
    suite: Mapped[str | None] = mapped_column(String(100))


class Run(Base):
    """One matching, scoring and publication run for a municipality and period."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    period: Mapped[str] = mapped_column(String(7))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: A RunStatus: gestart -> gepubliceerd | mislukt | afgebroken (vroeg.opsdb.statuses).
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.GESTART)
    rules_version: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict | None] = mapped_column(JSON)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    #: The process doing the run and its last sign of life (vroeg.opsdb.runs.claim): a run
    #: whose process is gone is taken over by the next run of its month.
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: A RunKind: the monthly run ("maand") or the crisis lane ("crisis", flows.crisis), which
    #: adds crisis households to the period's current lists between monthly runs (issue 17).
    kind: Mapped[str] = mapped_column(String(16), default=RunKind.MAAND, server_default="maand")

    __table_args__ = (
        CheckConstraint(RUN_STATUS_CHECK, name="ck_runs_status"),
    )


class Publication(Base):
    """A visit list written to a wijkteam's outbox: one version of a team's list for a month.

    A re-run of the month whose list content is unchanged (`content_sha256`) publishes nothing;
    a changed one publishes the next `version`, and the one it replaces gets `superseded_at`,
    `superseded_by` and `superseded_reason` (Dutch, shown in the portal). Per team and month at
    most one publication has `superseded_at` NULL: the current one.
    """

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    wijkteam: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    households: Mapped[int] = mapped_column(Integer)
    csv_path: Mapped[str] = mapped_column(String(1024))
    xlsx_path: Mapped[str] = mapped_column(String(1024))
    csv_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    #: 1, 2, ... per gemeente, wijkteam and period (migration i19_0001).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Digest of what decides the list (rules version, ranked households, counted signals);
    #: NULL for lists published before versions existed (a re-run then publishes a new version).
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    superseded_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_publications_team_period", "gemeente", "wijkteam", "period"),)

    @property
    def current(self) -> bool:
        return self.superseded_at is None


class AuditLine(Base):
    """One processing of personal data, after the Logboek Dataverwerkingen standard.

    One line per bulk step (with counts and hashes in `attributes`) and one line per data subject
    for re-identification. `data_subject_id` is the subject's pseudonym, encrypted.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    operation_id: Mapped[str] = mapped_column(String(16))
    parent_operation_id: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), index=True)
    start_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: 0 unknown, 1 ok, 2 error
    status_code: Mapped[int] = mapped_column(Integer)
    processing_activity_id: Mapped[str] = mapped_column(String(255))
    data_subject_id: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict | None] = mapped_column(JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                     server_default=func.now())
    # The hash chain (privacy/chain.py, migration i5_0001). Lines written before the chain
    # existed have NULLs here; every line since has all four.
    #: Position in the municipality's chain: 1, 2, 3, ... without gaps (a gap is a deleted line).
    seq: Mapped[int | None] = mapped_column(BigInteger)
    #: line_hash of the line before (or of the last line removed by retention, or 64 zeros).
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    #: HMAC-SHA256 (chain key of `key_version`) over this line's fields and prev_hash.
    line_hash: Mapped[str | None] = mapped_column(String(64))
    key_version: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ux_audit_log_gemeente_seq", "gemeente", "seq", unique=True),)


# ----------------------------------------------------------------------------------------------
# The portal (issue 6): accounts, sessions, login attempts, the households behind each published
# list, the cases (contact attempts and end results) coordinators record, and chart counts.
# ----------------------------------------------------------------------------------------------

from sqlalchemy import Date, UniqueConstraint  # noqa: E402  (kept with the models that use them


class PublicationHousehold(Base):
    """Which household pseudonym stands on which line of a published list.

    The published files hold names and addresses, not pseudonyms; this sidecar lets the portal
    log every view per household (audit subject = pseudonym) and key cases by pseudonym, never
    by name. `regel` is the 1-based line in the list file as published (an erasure that takes a
    household's row out keeps the other lines' numbers); `rang` is the list's own rank column.
    Rows go with the list's files (retention) and are re-keyed with the vault (key rotation).
    """

    __tablename__ = "publication_households"

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True)
    regel: Mapped[int] = mapped_column(Integer, primary_key=True)
    rang: Mapped[int] = mapped_column(Integer)
    huishouden_pseudoniem: Mapped[str] = mapped_column(String(64), index=True)


class PortalUser(Base):
    """An employee who may sign in to the portal of one municipality. No resident data."""

    __tablename__ = "portal_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(64))
    #: argon2id hash in PHC format (argon2-cffi); the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    #: When the user last opened the list overview: the crisis households the crisis lane added
    #: to their teams' lists since then are marked there (vroeg.opsdb.crisis, issue 17).
    lists_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    roles: Mapped[list[PortalUserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PortalUserRole.role")
    teams: Mapped[list[PortalTeamMembership]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PortalTeamMembership.wijkteam")

    __table_args__ = (UniqueConstraint("gemeente", "name", name="uq_portal_users_gemeente_name"),)


class PortalUserRole(Base):
    """coordinator | privacy | data | admin; an account may hold several."""

    __tablename__ = "portal_user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class PortalTeamMembership(Base):
    """A coordinator's wijkteam: the only lists and households that account may see."""

    __tablename__ = "portal_team_memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"),
                                         primary_key=True)
    wijkteam: Mapped[str] = mapped_column(String(64), primary_key=True)


class PortalSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's random token is stored, so a copy
    of this table cannot be replayed as a session; deleting the row revokes it at once."""

    __tablename__ = "portal_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"),
                                         index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(Base):
    """Every sign-in attempt, kept for throttling (per account and per address) and review."""

    __tablename__ = "portal_login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    #: Refused without checking the password because of too many recent failures.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Case(Base):
    """A vroegsignaalzaak (DDAS): one household in one month of a municipality, and what came
    of it.

    Keyed by municipality, period and household pseudonym (never by name), not by the printed
    copy: every version of the month's lists shows the same case, so what one coordinator
    recorded on version 1 is on version 2 (issue 19). `publication_id`, `run_id`, `wijkteam`,
    `regel` and `rang` describe the newest list the household stands on that month (publishing
    moves them along, vroeg.opsdb.runs.record_publication); a household that moves to another
    team between versions takes its case along, so the team that visits it next sees what was
    already done. `eindresultaat` is a DDAS EnumEindresultaat value; `opgepakt_op` the date of
    the first contact attempt (datumOpgepakt). The publication may be removed by retention; the
    case then keeps its team and period.
    """

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    publication_id: Mapped[int | None] = mapped_column(
        ForeignKey("publications.id", ondelete="SET NULL"), index=True)
    run_id: Mapped[str] = mapped_column(String(40))
    wijkteam: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    regel: Mapped[int] = mapped_column(Integer)
    rang: Mapped[int] = mapped_column(Integer)
    huishouden_pseudoniem: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[str] = mapped_column(String(64))
    opgepakt_op: Mapped[dt.date | None] = mapped_column(Date)
    eindresultaat: Mapped[str | None] = mapped_column(String(80))
    eindresultaat_op: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    eindresultaat_door: Mapped[str | None] = mapped_column(String(64))

    contact_attempts: Mapped[list[ContactAttempt]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin",
        order_by="ContactAttempt.datum, ContactAttempt.id")

    # Migration i19_0002 merged the cases that older versions split per copy.
    __table_args__ = (UniqueConstraint("gemeente", "period", "huishouden_pseudoniem",
                                       name="uq_cases_household_period"),)


class ContactAttempt(Base):
    """A contactpoging (DDAS): kind (EnumContactsoort), reached or not, date, part of day."""

    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    soort: Mapped[str] = mapped_column(String(40))
    bereikt: Mapped[bool] = mapped_column(Boolean)
    datum: Mapped[dt.date] = mapped_column(Date)
    dagdeel: Mapped[str] = mapped_column(String(10))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    case: Mapped[Case] = relationship(back_populates="contact_attempts")


class SignalMonthCount(Base):
    """Signals in the warehouse per month (of signaaldatum) and partner type: counts only.

    Refreshed by the ingestion flow after each load, so that the portal draws its charts from
    the operational database and never opens the warehouse (DuckDB allows one writing process).
    """

    __tablename__ = "signal_month_counts"

    gemeente: Mapped[str] = mapped_column(String(4), primary_key=True)
    maand: Mapped[str] = mapped_column(String(7), primary_key=True)
    partner_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    signalen: Mapped[int] = mapped_column(Integer)
    bijgewerkt_op: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditChainHead(Base):
    """The newest line of each municipality's audit chain; also the lock that orders appends.

    Appending locks this row (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), so
    concurrent writers (several flows, the portal) extend the chain one after the other.
    """

    __tablename__ = "audit_chain_head"

    gemeente: Mapped[str] = mapped_column(String(4), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    line_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditCut(Base):
    """A retention cut of the audit trail: lines up to `upto_seq` were removed, on purpose.

    The first line kept links to `last_hash`, so the remaining chain still verifies; the cut is
    itself sealed with the chain key and linked to the cut before it (append-only, like the log).
    The audit_log trigger only allows deleting lines at or below a recorded cut.
    """

    __tablename__ = "audit_cuts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    #: Last removed chain position (0 when only lines from before the chain were removed).
    upto_seq: Mapped[int] = mapped_column(BigInteger)
    #: Last removed audit_log.id (ids and chain positions rise together).
    upto_id: Mapped[int] = mapped_column(BigInteger)
    #: line_hash of the line at upto_seq: the prev_hash the first kept line must carry.
    last_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[int] = mapped_column(Integer)
    #: Lines recorded before this moment were due (the audit trail's retention term).
    before: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cut_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    key_version: Mapped[int] = mapped_column(Integer)
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class KeyRotation(Base):
    """The durable state of a key rotation (governance/rotation.py), so an interrupted one
    resumes."""

    __tablename__ = "key_rotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    #: bezig -> klaar
    status: Mapped[str] = mapped_column(String(16), default="bezig")
    #: The last step completed: sleutel, kluis, pakhuis, portaal, archief, activeren.
    step: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict | None] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# ----------------------------------------------------------------------------------------------
# Operations (issue 7): notifications to the data officer.
# ----------------------------------------------------------------------------------------------


class Notification(Base):
    """A message to the data officer: a delivery refused or failed, a flow that failed after its
    retries, a partner overdue. Recorded whether or not e-mail is configured (the portal shows
    them); subject and body carry codes, ids, file names and counts, never personal data."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente: Mapped[str] = mapped_column(String(4), index=True)
    #: levering | flow | partner-te-laat | crisis (to a team's coordinators, issue 17)
    kind: Mapped[str] = mapped_column(String(32))
    #: What it is about: a delivery id, a flow run id, a partner id (for repeats and links).
    about: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    #: When the e-mail was accepted by the SMTP server (None: not sent).
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Why it was not sent: "geen e-mail ingesteld" or the error's type.
    send_error: Mapped[str | None] = mapped_column(String(200))
    #: A crisis notification's team and how many households the crisis lane added to its list
    #: (the portal's "n nieuwe crisishuishoudens sinds uw laatste bezoek"); NULL for others.
    wijkteam: Mapped[str | None] = mapped_column(String(64))
    households: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_notifications_kind_team", "gemeente", "kind", "wijkteam"),)


# ----------------------------------------------------------------------------------------------
# The DDAS API (issue 15): every request CBS makes, answered or refused.
# ----------------------------------------------------------------------------------------------


class DdasRequest(Base):
    """One request to `POST /gegevens`, answered or refused. Who asked (certificate and token
    subject), what for (period, organisation, page) and what went back (counts and the SHA-256
    of the body as sent); never a BSN, an address or a signal's content. The organisation is
    kept only when it named one the installation serves (it is the caller's free text)."""

    __tablename__ = "ddas_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now,
                                                     index=True)
    #: The audit trail's trace id of the answer (its lines per municipality share it).
    trace_id: Mapped[str] = mapped_column(String(32))
    #: Subject DN of the client's TLS certificate and its SHA-256 fingerprint (hex).
    client_subject: Mapped[str | None] = mapped_column(String(255))
    client_sha256: Mapped[str | None] = mapped_column(String(64))
    #: `sub` of the access token (when one was valid).
    token_subject: Mapped[str | None] = mapped_column(String(255))
    #: Subject DN of the certificate that signed the request (when its signature was valid).
    signer_subject: Mapped[str | None] = mapped_column(String(255))
    van: Mapped[dt.date | None] = mapped_column(Date)
    tot: Mapped[dt.date | None] = mapped_column(Date)
    organisatie: Mapped[str | None] = mapped_column(String(200))
    page: Mapped[int | None] = mapped_column(Integer)
    page_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer)
    #: Fsc-Error-Code of a refusal, or a short reason of our own (never a value of the request).
    fout: Mapped[str | None] = mapped_column(String(64))
    signalen: Mapped[int | None] = mapped_column(Integer)
    zaken: Mapped[int | None] = mapped_column(Integer)
    total_records: Mapped[int | None] = mapped_column(Integer)
    response_sha256: Mapped[str | None] = mapped_column(String(64))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
