"""The operational database: deliveries, quarantine, validation results, runs, publications, audit.

SQLite by default, PostgreSQL in production; the schema is managed by Alembic migrations in
vroeg/opsdb/migrations (never by create_all on a live database). None of these tables holds
personal data: quarantine rows name the file, row and column, never the value; audit lines carry
the data subject only as an encrypted pseudonym.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    #: ontvangen -> geladen | afgekeurd | onleesbaar | dubbel | mislukt
    status: Mapped[str] = mapped_column(String(16), default="ontvangen", index=True)
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
    #: gestart -> gepubliceerd | mislukt
    status: Mapped[str] = mapped_column(String(16), default="gestart")
    rules_version: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict | None] = mapped_column(JSON)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))


class Publication(Base):
    """A visit list written to a wijkteam's outbox."""

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

    __table_args__ = (Index("ix_publications_team_period", "gemeente", "wijkteam", "period"),)


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
