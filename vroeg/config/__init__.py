"""Configuration of a municipality and its partners, read from YAML and checked by pydantic.

Layout (see docs/configuration.md):

    config/<gemeentecode>/gemeente.yaml      the municipality: wijkteams, validation, scoring rules
    config/<gemeentecode>/partners/<id>.yaml one file per signal partner: format and column mapping

Unknown keys are errors (extra="forbid"), so a typo in a partner file is reported instead of
silently ignored. Nothing secret lives here: keys come from the environment or a key file.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vroeg import ddas, schema
from vroeg.config.features import AGE_GROUPS, RULES, check_features
from vroeg.config.privacy import PrivacyPolicy
from vroeg.settings import Home


class ConfigError(Exception):
    """A configuration file is missing or invalid; the message says which file and what."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# Municipality
# --------------------------------------------------------------------------------------------

_PC4_RANGE = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


class Wijkteam(_Model):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$", description="Folder-safe team code.")
    name: str
    #: Four-digit postcode areas served, as "8911" or ranges "8912-8914".
    postcodes: list[str]
    #: Households the team can visit per matching period; None: no limit (no waiting list).
    capacity: int | None = Field(None, ge=0)
    #: Exceptions per period ("2026-07": 20 for the summer holidays).
    capacity_by_period: dict[str, int] = Field(default_factory=dict)
    #: Inhabitants of the team's area, for the monitor's signals per 1,000 inhabitants per month
    #: (None: the figure is shown for the municipality only).
    inhabitants: int | None = Field(None, gt=0)

    @field_validator("postcodes")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for item in value:
            m = _PC4_RANGE.match(item)
            if not m or (m.group(2) and m.group(2) < m.group(1)):
                raise ValueError(f"postcode area {item!r} is not 1234 or 1234-1240")
        return value

    @field_validator("capacity_by_period")
    @classmethod
    def _periods(cls, value: dict[str, int]) -> dict[str, int]:
        for period, number in value.items():
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period) or number < 0:
                raise ValueError(f"capacity_by_period: {period!r}: {number} is not JJJJ-MM: n >= 0")
        return value

    def capacity_for(self, period: str) -> int | None:
        return self.capacity_by_period.get(period, self.capacity)

    def pc4_ranges(self) -> list[tuple[int, int]]:
        out = []
        for item in self.postcodes:
            m = _PC4_RANGE.match(item)
            assert m
            lo = int(m.group(1))
            out.append((lo, int(m.group(2) or lo)))
        return out


class PartnerTypeRules(_Model):
    """Rules for the signals of one DDAS partner type, on top of the rules for every signal.

    The window is the number of days between the start of the arrears (ontstaansdatum) and the
    signal (signaaldatum) within which the convenant lets this type of partner signal.
    """

    #: The arrears must be at least this many days old when signalled.
    min_days: int | None = Field(None, ge=0)
    #: ... and at most this many days.
    max_days: int | None = Field(None, ge=0)
    #: Amounts (euros) below this are not a signal under the agreement (DUO: 270).
    min_amount: float | None = Field(None, ge=0)
    #: Amounts (euros) above this are implausible for this type (on top of max_amount).
    max_amount: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> PartnerTypeRules:
        if self.min_days is not None and self.max_days is not None and self.max_days < self.min_days:
            raise ValueError("max_days is smaller than min_days")
        if (self.min_amount is not None and self.max_amount is not None
                and self.max_amount < self.min_amount):
            raise ValueError("max_amount is smaller than min_amount")
        return self

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.min_days, self.max_days, self.min_amount,
                                       self.max_amount))


#: The windows of the Landelijk Convenant Vroegsignalering (docs/domain.md): rent, energy and
#: water from 30 days in arrears; health insurers between 30 and 100 days; the CAK after more
#: than six months; DUO from EUR 270. Other types signal "per agreement": no rules until a
#: municipality sets them.
DEFAULT_PARTNER_TYPE_RULES: dict[str, PartnerTypeRules] = {
    "Huur": PartnerTypeRules(min_days=30),
    "Energie": PartnerTypeRules(min_days=30),
    "Water": PartnerTypeRules(min_days=30),
    "Zorg": PartnerTypeRules(min_days=30, max_days=100),
    "CAK Zorgverzekeringen": PartnerTypeRules(min_days=183),
    "DUO": PartnerTypeRules(min_amount=270),
}


class Validation(_Model):
    #: A file with a larger share of bad rows is rejected whole (and kept in the archive).
    max_bad_share: float = Field(0.5, ge=0, le=1)
    #: Amounts above this are implausible and quarantined (euros).
    max_amount: float = Field(100_000, gt=0)
    #: Signals older than this (signaaldatum) are refused as stale.
    max_signal_age_days: int = Field(400, gt=0)
    #: Rules per DDAS partner type. Entries given here replace the default for that type (an
    #: empty entry `{}` removes it); types not given keep DEFAULT_PARTNER_TYPE_RULES.
    partner_types: dict[str, PartnerTypeRules] = Field(default_factory=dict)
    #: Crisis signals (eviction or disconnection announced, an energy end-of-contract signal)
    #: come outside the window by design: sector rules make partners signal before disconnection.
    window_applies_to_crisis: bool = False

    @field_validator("partner_types")
    @classmethod
    def _known_types(cls, value: dict[str, PartnerTypeRules]) -> dict[str, PartnerTypeRules]:
        unknown = set(value) - set(ddas.signaalpartners())
        if unknown:
            raise ValueError(f"unknown partner types {sorted(unknown)}; use DDAS EnumSignaalpartner")
        return value

    def rules_for(self, partner_type: str) -> PartnerTypeRules | None:
        """The effective rules for one partner type, None when it has none."""
        rules = self.partner_types.get(partner_type, DEFAULT_PARTNER_TYPE_RULES.get(partner_type))
        return None if rules is None or rules.empty else rules

    def effective_partner_types(self) -> dict[str, PartnerTypeRules]:
        return {t: r for t in ddas.signaalpartners() if (r := self.rules_for(t)) is not None}


class SignalRule(_Model):
    """When a signal of one partner type counts toward a visit list (listing, not validation).

    Days are counted from the start of the arrears (ontstaansdatum) to the signal (signaaldatum).
    A signal outside its window, or below its minimum, is kept but does not count; a crisis
    signal always counts (energy and water companies must signal before disconnection even
    outside the window).
    """

    min_days: int | None = Field(None, ge=0)
    max_days: int | None = Field(None, ge=0)
    #: Euros; a smaller signal of this type does not count (DUO: 270 under its agreement).
    minimum_amount: float = Field(0, ge=0)

    @model_validator(mode="after")
    def _window(self) -> SignalRule:
        if self.min_days is not None and self.max_days is not None and self.max_days < self.min_days:
            raise ValueError("max_days is smaller than min_days")
        return self


class AdviceTerms(_Model):
    """The advice term printed per household (column `advies`)."""

    crisis: str = "binnen 3 werkdagen"
    bezoeklijst: str = "binnen 4 weken"
    wachtlijst: str = "als er ruimte is"


def _default_signal_rules() -> dict[str, SignalRule]:
    # The windows of domain.md ("Who signals, and when"); DUO's minimum is from its agreement.
    return {
        "Huur": SignalRule(min_days=30),
        "Energie": SignalRule(min_days=30),
        "Water": SignalRule(min_days=30),
        "Zorg": SignalRule(min_days=30, max_days=100),
        "CAK Zorgverzekeringen": SignalRule(min_days=183),
        "DUO": SignalRule(minimum_amount=270),
    }


class Scoring(_Model):
    """The transparent points model and the listing rules (docs/scoring.md explains each)."""

    #: The attributes the model may read (allow-list, see vroeg/config/features.py). Adding one is a
    #: visible change here, on the algorithm card and in its version.
    features: list[str] = Field(default_factory=lambda: [
        "partner_type", "amount", "arrears_start", "signal_date", "crisis"])
    #: Households whose counted arrears in the period stay below this are not listed (euros).
    minimum_amount: float = Field(75, ge=0)
    #: Per partner type: the window in days and a minimum per signal (see SignalRule).
    signal_rules: dict[str, SignalRule] = Field(default_factory=_default_signal_rules)
    #: For partner types without an entry in signal_rules.
    default_signal_rule: SignalRule = SignalRule()
    #: Points per partner type present among the household's counted signals.
    partner_type_points: dict[str, int] = Field(
        default_factory=lambda: {
            "Huur": 30, "Energie": 20, "Water": 20, "Zorg": 10, "CAK Zorgverzekeringen": 25,
        }
    )
    #: Points for partner types without an entry above.
    other_partner_type_points: int = Field(10, ge=0)
    #: A typical monthly bill per partner type (euros): the amount is weighed in months of bills,
    #: so EUR 100 of water arrears (months) weighs more than EUR 100 of rent (a leftover).
    typical_monthly_bill: dict[str, float] = Field(
        default_factory=lambda: {
            "Huur": 650, "Energie": 180, "Water": 25, "Zorg": 150, "CAK Zorgverzekeringen": 190,
        }
    )
    other_typical_monthly_bill: float = Field(100, gt=0)
    #: Points per monthly bill in arrears (summed over the counted signals), at most the maximum.
    points_per_bill_month: int = Field(4, ge=0)
    amount_points_max: int = Field(30, ge=0)
    #: Points per full month since the oldest counted arrears started, at most the maximum.
    points_per_month_in_arrears: int = Field(2, ge=0)
    arrears_points_max: int = Field(12, ge=0)
    #: Meervoudig: points per partner type beyond the first in the period.
    multiple_points: int = Field(20, ge=0)
    #: Opeenvolgend: a signal at the address in the months before the period.
    consecutive_points: int = Field(15, ge=0)
    #: A crisis signal: eviction or disconnection announced. Crisis households always rank first.
    crisis_points: int = Field(100, ge=0)
    #: Optional age-group rules, off by default; need "age_group" in features.
    age_group_points: dict[str, int] = Field(default_factory=dict)
    #: A lower (or higher) household minimum for a household with someone in the age group.
    age_group_minimum_amount: dict[str, float] = Field(default_factory=dict)
    advice: AdviceTerms = AdviceTerms()

    @field_validator("partner_type_points", "typical_monthly_bill", "signal_rules")
    @classmethod
    def _known_types(cls, value: dict) -> dict:
        unknown = set(value) - set(ddas.signaalpartners())
        if unknown:
            raise ValueError(f"unknown partner types {sorted(unknown)}; use DDAS EnumSignaalpartner")
        return value

    @field_validator("typical_monthly_bill")
    @classmethod
    def _positive_bills(cls, value: dict[str, float]) -> dict[str, float]:
        if any(v <= 0 for v in value.values()):
            raise ValueError("a typical monthly bill must be more than 0")
        return value

    @field_validator("age_group_points", "age_group_minimum_amount")
    @classmethod
    def _age_groups(cls, value: dict) -> dict:
        unknown = set(value) - set(AGE_GROUPS)
        if unknown:
            raise ValueError(f"unknown age groups {sorted(unknown)}; use {', '.join(AGE_GROUPS)}")
        return value

    @model_validator(mode="after")
    def _allowed_features(self) -> Scoring:
        problems = check_features(self.features)
        for rule in RULES.values():
            unlisted = [f for f in rule.features if f not in self.features]
            if unlisted and self.rule_in_use(rule.name):
                problems.append(
                    f"regel '{rule.name}' ({rule.label}) gebruikt kenmerk "
                    f"{', '.join(unlisted)}, dat niet in scoring.features staat; zet het daar "
                    "bewust bij of zet de regel op 0")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def rule_in_use(self, rule: str) -> bool:
        for setting in RULES[rule].settings:
            value = getattr(self, setting)
            # A dict entry is a rule even with 0 points (a minimum of EUR 0 for an age group).
            if value:
                return True
        return False

    def signal_rule(self, partner_type: str) -> SignalRule:
        return self.signal_rules.get(partner_type, self.default_signal_rule)


class Matching(_Model):
    """How signals are grouped into households and periods."""

    #: Length of a matching period in calendar months; a period is named by its last month.
    period_months: int = Field(1, ge=1, le=12)
    #: Opeenvolgend: look back this many months before the period for a signal at the address.
    consecutive_months: int = Field(6, ge=1, le=24)


class Capacity(_Model):
    """How each team's capacity (wijkteams[].capacity) splits the list."""

    #: False: crisis households come on top of the capacity (they cannot wait); True: they use it.
    crisis_counts_toward_capacity: bool = False


#: What an exclusion list is about; each maps to a rule of domain.md.
ExclusionKind = Literal["overleden", "verhuisd", "schuldhulp", "veiligheid", "hoeft-geen-hulp",
                        "overig"]


class ExclusionList(_Model):
    """A list of residents or addresses a municipality supplies; listed ones are not visited.

    Entries are keyed by BSN, by name + date of birth + address, or by address only, and are
    loaded as pseudonyms (the clear file is not kept). See docs/scoring.md, "Uitsluitingen".
    """

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    name: str
    kind: ExclusionKind
    #: persoon: only the listed person's signals are dropped (others at the address still count);
    #: huishouden: the whole household is left off the list.
    scope: Literal["persoon", "huishouden"]
    #: A file relative to the municipality's configuration folder, loaded by each run when it
    #: changed. Leave out to load lists only with `vroeg exclusions load`.
    file: str | None = None
    #: Fed by the portal's cases: every case closed with "hoeft geen hulp" (kind hoeft-geen-hulp
    #: only), read again by each run.
    from_cases: bool = False
    #: Entries apply for this many months from their date (e.g. "hoeft geen hulp": 6).
    valid_months: int | None = Field(None, ge=1)
    #: A run refuses to publish while this list was never loaded (e.g. a safety list).
    required: bool = False
    #: Where the list comes from, for the algorithm card.
    source: str = ""

    @model_validator(mode="after")
    def _cases(self) -> ExclusionList:
        if self.from_cases and (self.kind != "hoeft-geen-hulp" or self.file):
            raise ValueError("from_cases is for a list of kind hoeft-geen-hulp without a file")
        return self


class Schedules(_Model):
    """When `vroeg serve` runs the flows (cron, in the municipality's time zone)."""

    #: Inbox folders and database views: every hour.
    collect: str = "0 * * * *"
    #: Matching and publication of the last complete month: the 5th at 06:00, after the
    #: partners' monthly files (due in the first days of the month) are in.
    run: str = "0 6 5 * *"
    #: Retention terms: every night at 02:30.
    retention: str = "30 2 * * *"


class Notifications(_Model):
    """E-mail to the data officer on a failed or rejected delivery, a flow that failed after its
    retries, or a partner overdue. The password, if the server needs one, comes from the
    environment variable named in `password_env`, never from this file."""

    smtp_host: str | None = None
    smtp_port: int = Field(25, gt=0, lt=65536)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = Field(None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    sender: str = "vroegsignalering@localhost"
    recipients: list[str] = Field(default_factory=list)
    timeout_seconds: int = Field(10, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host and self.recipients)


class Operations(_Model):
    """Scheduled operation (issue 7): schedules and failure notification."""

    schedules: Schedules = Schedules()
    notifications: Notifications = Notifications()


class Municipality(_Model):
    code: str = Field(pattern=r"^\d{4}$", description="CBS gemeentecode, four digits.")
    name: str
    inhabitants: int = Field(gt=0)
    timezone: str = "Europe/Amsterdam"
    wijkteams: list[Wijkteam]
    validation: Validation = Validation()
    scoring: Scoring = Scoring()
    matching: Matching = Matching()
    capacity: Capacity = Capacity()
    exclusions: list[ExclusionList] = Field(default_factory=list)
    #: Retention terms and register facts (vroeg/config/privacy.py).
    privacy: PrivacyPolicy = PrivacyPolicy()
    #: Schedules of `vroeg serve` and failure notification by e-mail.
    operations: Operations = Operations()
    #: Filled in by load_municipality from partners/*.yaml.
    partners: dict[str, Partner] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _teams_disjoint(self) -> Municipality:
        seen: dict[int, str] = {}
        codes = [t.code for t in self.wijkteams]
        if len(set(codes)) != len(codes):
            raise ValueError("wijkteam codes must be unique")
        for team in self.wijkteams:
            for lo, hi in team.pc4_ranges():
                for pc in range(lo, hi + 1):
                    if pc in seen:
                        raise ValueError(f"postcode {pc} is in both {seen[pc]} and {team.code}")
                    seen[pc] = team.code
        lists = [x.code for x in self.exclusions]
        if len(set(lists)) != len(lists):
            raise ValueError("exclusion list codes must be unique")
        return self

    @cached_property
    def pc4_to_team(self) -> dict[int, str]:
        return {
            pc: team.code
            for team in self.wijkteams
            for lo, hi in team.pc4_ranges()
            for pc in range(lo, hi + 1)
        }

    def partner(self, partner_id: str) -> Partner:
        try:
            return self.partners[partner_id]
        except KeyError:
            known = ", ".join(sorted(self.partners)) or "geen"
            raise ConfigError(
                f"Onbekende partner '{partner_id}' voor gemeente {self.code} (bekend: {known})."
            ) from None


# --------------------------------------------------------------------------------------------
# Partners
# --------------------------------------------------------------------------------------------


class ColumnSpec(_Model):
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


class CsvOptions(_Model):
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


class InboxOptions(_Model):
    """How the inbox folder $VROEG_HOME/inbox/<gemeente>/<partner>/ is scanned."""

    #: Only files whose name matches this glob pattern are taken (others are left alone).
    pattern: str = "*"
    #: Files changed less than this many seconds ago may still be being written: left for the
    #: next scan. Uploaders that write to a temporary name and rename (sftp, rsync) need no wait.
    min_age_seconds: int = Field(60, ge=0)


class SqlSource(_Model):
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


class SheetOptions(_Model):
    #: Sheet to read; None reads the first sheet.
    sheet: str | None = None
    #: 1-based row that holds the column names (rows above it are titles and are skipped).
    header_row: int = Field(1, ge=1)


class Partner(_Model):
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


Municipality.model_rebuild()


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


#: PyYAML's safe loader in C (libyaml, in PyYAML's wheels), else in Python: the same safe subset.
#: Every flow task reads the configuration (privacy.context), and in Python the parsing is most
#: of that cost.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
    )


def load_partner(path: Path) -> Partner:
    try:
        partner = Partner.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None
    if partner.id != path.stem:
        raise ConfigError(f"{path}: id {partner.id!r} must match the file name {path.stem!r}")
    return partner


def load_municipality(home: Home, code: str) -> Municipality:
    folder = home.config_dir(code)
    path = folder / "gemeente.yaml"
    if not path.is_file():
        raise ConfigError(
            f"Geen configuratie voor gemeente {code}: {path} ontbreekt. "
            f"Bekende gemeenten: {', '.join(home.municipalities())}."
        )
    data = _read_yaml(path)
    partners = {}
    for partner_path in sorted((folder / "partners").glob("*.yaml")):
        partner = load_partner(partner_path)
        partners[partner.id] = partner
    try:
        municipality = Municipality.model_validate({**data, "partners": partners})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None
    if municipality.code != code:
        raise ConfigError(f"{path}: code {municipality.code!r} does not match folder {code!r}")
    return municipality
