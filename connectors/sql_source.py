"""Read a partner's database view through SQLAlchemy, into the bytes of a delivery.

A partner that exposes a view is queried with its configured query (bound parameters only, in a
read-only transaction). The result is written as canonical JSON Lines, and those bytes are what is
hashed, archived and read, exactly as for a file: the same rows always give the same bytes, so a
view that has not changed is recognised as a duplicate delivery, and the archive shows what the
query returned.

Canonical means: one JSON object per row, keys in the query's column order, every value as text
(dates ISO, numbers as the database gives them, booleans ja/nee) or null, lines sorted, UTF-8,
"\n" after every line. Sorting makes the bytes independent of the order the database happens to
return rows in, when the query has no ORDER BY.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from decimal import Decimal

from vroeg.config import Partner
from vroeg.errors import DeliveryError

#: Rows fetched from the database per round trip.
FETCH_ROWS = 10_000


class SourceUnavailable(DeliveryError):
    """The partner's database cannot be reached or the query fails: nothing was received."""

    code = "BRON_ONBEREIKBAAR"


@dataclass(frozen=True)
class QueryResult:
    data: bytes
    rows: int
    columns: list[str]


def cell_text(value: object) -> str | None:
    """One database value as text, the way a person would write it in a file."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() and value.tzinfo is None \
            else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def canonical_line(columns: list[str], row) -> str:
    obj = {name: cell_text(value) for name, value in zip(columns, row, strict=True)}
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def source_name(partner: Partner) -> str:
    """The delivery's display name: the partner and the moment of the query."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{partner.id}_{stamp}.jsonl"


def database_url(partner: Partner) -> str:
    assert partner.sql is not None
    url = os.environ.get(partner.sql.url_env)
    if not url:
        raise SourceUnavailable(
            f"partner {partner.id}: de omgevingsvariabele {partner.sql.url_env} met de "
            f"verbinding naar de database van de partner is niet gezet.",
            "BRON_NIET_INGESTELD",
        )
    return url


def _read_only(connection) -> None:
    """Make the transaction read-only at the database, not only by the shape of the query."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")
    elif dialect in ("mysql", "mariadb"):
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    # Other databases: the account the partner gives us should be read-only (documented).


def _timeout(connection, seconds: int) -> None:
    if connection.dialect.name == "postgresql":
        # SET cannot take a bound parameter; the value is an int from validated configuration.
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds) * 1000}")


def query_partner(partner: Partner, gemeente: str, url: str | None = None) -> QueryResult:
    """Run the partner's query read-only and return the canonical JSON Lines of its rows.

    Errors name the partner and the kind of failure, never the database's message: a driver's
    message can quote a row's values or the connection URL with its password.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    assert partner.sql is not None
    url = url or database_url(partner)
    parameters = {"gemeente": gemeente, **partner.sql.parameters}
    try:
        engine = create_engine(url, pool_pre_ping=False)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise SourceUnavailable(
            f"partner {partner.id}: de database-URL in {partner.sql.url_env} is ongeldig "
            f"({type(exc).__name__}).", "BRON_NIET_INGESTELD") from None
    lines: list[str] = []
    columns: list[str] = []
    try:
        with engine.connect() as connection:
            with connection.begin() as transaction:
                _read_only(connection)
                _timeout(connection, partner.sql.timeout_seconds)
                statement = text(partner.sql.query.strip().rstrip(";"))
                names = list(statement.compile().params)
                unknown = [n for n in names if n not in parameters]
                if unknown:
                    raise SourceUnavailable(
                        f"partner {partner.id}: de query gebruikt "
                        f"{', '.join(':' + n for n in unknown)}, maar die parameter staat niet "
                        f"onder sql.parameters in de partnerconfiguratie.", "BRON_NIET_INGESTELD")
                used = {name: parameters[name] for name in names}
                result = connection.execution_options(stream_results=True,
                                                      yield_per=FETCH_ROWS).execute(statement, used)
                columns = list(result.keys())
                for row in result:
                    lines.append(canonical_line(columns, row))
                transaction.rollback()  # read-only: nothing to keep, and nothing may be kept
    except SQLAlchemyError as exc:
        raise SourceUnavailable(
            f"partner {partner.id}: de query op de database van de partner is mislukt "
            f"({type(exc).__name__}). Controleer de verbinding en de query in de "
            f"partnerconfiguratie (vroeg partners check {partner.id}).") from None
    finally:
        engine.dispose()
    lines.sort()
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    return QueryResult(data=data, rows=len(lines), columns=columns)
