"""A signal partner's file, partners/<id>.yaml: how its deliveries arrive and map onto the
standard format (docs/configuration.md, "The partner registry")."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from vroeg import ddas, schema
from vroeg.config.base import Section


class ColumnSpec(Section):
    """How one standard field is filled from a partner's file.

    Exactly one source: `column` (one source column), `columns` (several, joined by `separator`),
    or `value` (a fixed value). Optional refinements apply in this order: `pattern` (a regular
    expression; its first group is kept), `map` (replace whole values), `unit` (amounts in cents).
    """

    column: str | None = None
    columns: list[str] | None = None
    separator: str = " "
    value: str | None = None
    pattern: str | None = None
    map: dict[str, str] | None = None
    unit: Literal["euro", "cent"] = "euro"
    date_formats: list[str] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        sources = [self.column is not None, self.columns is not None, self.value is not None]
        if sum(sources) != 1:
            raise ValueError("give exactly one of column, columns or value")
        if self.pattern is not None:
            try:
                compiled = re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a regular expression: {exc}") from None
            if compiled.groups < 1:
                raise ValueError("pattern needs one group ( ... ) that holds the value to keep")
        return self

    @property
    def source_columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        return list(self.columns or [])


class CsvOptions(Section):
    #: One character; "\t" for tab.
    delimiter: str = Field(";", min_length=1, max_length=1)
    #: The quote character; "" when the partner never quotes (every quote is then plain text).
    quote: str = Field('"', max_length=1)
    #: Python codec name (utf-8, cp1252, latin-1, utf-16, ...); utf-8 also accepts a BOM; "auto"
    #: reads UTF-8 when the file is valid UTF-8 and Windows-1252 otherwise. A BOM always wins.
    encoding: str = "utf-8"

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str) -> str:
        import codecs

        if value.lower() != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r} (for example utf-8, cp1252, "
                                 f"latin-1, utf-16, or auto)") from None
        return value

    @model_validator(mode="after")
    def _distinct(self) -> CsvOptions:
        if self.quote and self.quote == self.delimiter:
            raise ValueError("quote and delimiter must differ")
        if self.delimiter in "\r\n" or self.quote in ("\r", "\n"):
            raise ValueError("a line break cannot be the delimiter or quote")
        return self


class InboxOptions(Section):
    """How the inbox folder $VROEG_HOME/inbox/<gemeente>/<partner>/ is scanned."""

    #: Only files whose name matches this glob pattern are taken (others are left alone).
    pattern: str = "*"
    #: Files changed less than this many seconds ago may still be being written: left for the
    #: next scan. Uploaders that write to a temporary name and rename (sftp, rsync) need no wait.
    min_age_seconds: int = Field(60, ge=0)


class SqlSource(Section):
    """A partner that exposes a view: a query run read-only through SQLAlchemy.

    The connection URL holds a password, so it never lives in configuration: `url_env` names the
    environment variable that holds it (for example VROEG_SQL_WONEN_NOORD).
    """

    url_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")
    #: One SELECT (or WITH ... SELECT) statement. Values come in as bound parameters
    #: (:name), never formatted into the text.
    query: str
    #: Bound parameters for the query; :gemeente is always available (the municipality's code).
    parameters: dict[str, str | int | float | bool] = Field(default_factory=dict)
    #: Seconds the database may take before the query is cancelled (PostgreSQL).
    timeout_seconds: int = Field(300, gt=0)

    @field_validator("query")
    @classmethod
    def _one_select(cls, value: str) -> str:
        body = value.strip().rstrip(";").strip()
        first = body.split(None, 1)[0].lower() if body else ""
        if first not in ("select", "with"):
            raise ValueError("query must be one SELECT (or WITH ... SELECT) statement")
        if ";" in _without_literals(body):
            raise ValueError("query must be one statement (no ';' between statements)")
        return value


def _without_literals(sql: str) -> str:
    """SQL text with quoted literals and identifiers removed (for the one-statement check)."""
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", "", sql)


class SheetOptions(Section):
    #: Sheet to read; None reads the first sheet.
    sheet: str | None = None
    #: 1-based row that holds the column names (rows above it are titles and are skipped).
    header_row: int = Field(1, ge=1)


class Partner(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,60}$")
    name: str
    partner_type: str
    #: file: given on the command line (vroeg ingest); inbox: dropped in the partner's inbox
    #: folder and picked up by `vroeg collect`; sql: read from the partner's database view.
    channel: Literal["file", "inbox", "sql"] = "file"
    format: Literal["csv", "xlsx", "json"] = "csv"
    csv: CsvOptions = CsvOptions()
    spreadsheet: SheetOptions = SheetOptions()
    inbox: InboxOptions = InboxOptions()
    sql: SqlSource | None = None
    #: Decimal mark of amounts: "," or "."; "auto" accepts both 1234,56 and 1234.56.
    decimal: Literal[",", ".", "auto"] = "auto"
    #: Thousands separator the partner writes in amounts (1.234,56); None when it writes none.
    #: Must differ from the decimal mark; only correctly grouped amounts are accepted.
    thousands: Literal[".", ",", " ", "'"] | None = None
    #: strftime formats tried in order; "excel" reads Excel serial day numbers (46000).
    date_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d"])
    #: "standard" when the file is in the standard format; else standard field -> source.
    columns: Literal["standard"] | dict[str, str | ColumnSpec] = "standard"
    #: The partner delivers at least this often (days); longer without a delivery notifies the
    #: data officer (None: no expectation).
    expected_interval_days: int | None = Field(None, ge=1)

    @field_validator("partner_type")
    @classmethod
    def _ddas_type(cls, value: str) -> str:
        if value not in ddas.signaalpartners():
            raise ValueError(
                f"partner_type {value!r} is not a DDAS EnumSignaalpartner value "
                f"({', '.join(ddas.signaalpartners())})"
            )
        return value

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one date format")
        for fmt in value:
            if fmt != "excel" and "%" not in fmt:
                raise ValueError(f"date format {fmt!r} is not a strftime format like %d-%m-%Y "
                                 f"(or 'excel')")
        return value

    @model_validator(mode="after")
    def _channel(self) -> Partner:
        if self.channel == "sql" and self.sql is None:
            raise ValueError("channel sql needs a `sql:` section (url_env and query)")
        if self.channel != "sql" and self.sql is not None:
            raise ValueError("a `sql:` section is only used with channel: sql")
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError("thousands separator and decimal mark must differ")
        if self.thousands is not None and self.decimal == "auto":
            raise ValueError("with a thousands separator, set decimal to ',' or '.'")
        return self

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value):
        if isinstance(value, dict):
            unknown = set(value) - set(schema.STANDARD_COLUMNS)
            if unknown:
                raise ValueError(f"unknown standard fields {sorted(unknown)}")
        return value

    def column_specs(self) -> dict[str, ColumnSpec]:
        """The mapping with shorthand strings expanded; fixed partner fields filled in."""
        if self.columns == "standard":
            specs = {name: ColumnSpec(column=name) for name in schema.STANDARD_COLUMNS}
        else:
            specs = {
                name: spec if isinstance(spec, ColumnSpec) else ColumnSpec(column=spec)
                for name, spec in self.columns.items()
            }
            # The partner's identity is known from its configuration when the file lacks it.
            specs.setdefault("partner_type", ColumnSpec(value=self.partner_type))
            specs.setdefault("partner_naam", ColumnSpec(value=self.name))
        return specs

    def unmapped_required(self) -> list[str]:
        """Standard fields that need a value in every row but have no source in the mapping."""
        specs = self.column_specs()
        return [name for name in schema.REQUIRED_VALUES if name not in specs]


#: The standard format as a partner: used when a file is ingested without --partner.
STANDARD_PARTNER_ID = "standaard"


def standard_partner() -> Partner:
    """The format that is always accepted: partner identity is read from each row."""
    return Partner(id=STANDARD_PARTNER_ID, name="Standaardformaat", partner_type="Overige")

