"""The rules of a suite as plain data, in Great Expectations' own terms.

A rule is one GX expectation as GX serialises it: its type (`expect_column_values_to_not_be_null`),
its kwargs, its meta (the reason code and the standard column) and its row condition in GX's
serialised form (`{"type": "nullity", "column": {"name": ...}, "is_null": false}`). GX builds its
`ExpectationSuite` from exactly this (quality.gx_engine.gx_suite); the production path compiles
the same data to one polars pass (quality.compiled). Keeping the declaration free of GX objects
means declaring the rules costs no GX import, and both executors read one declaration.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: A row condition in GX's serialised form (great_expectations.expectations.row_conditions).
Condition = Mapping[str, Any]

#: GX's expectation types (the `type` of GX's ExpectColumnValuesToNotBeNull and so on) that the
#: suites use and quality.compiled can run.
NOT_NULL = "expect_column_values_to_not_be_null"
LENGTHS_BETWEEN = "expect_column_value_lengths_to_be_between"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
PAIR_A_GREATER = "expect_column_pair_values_a_to_be_greater_than_b"


def is_not_null(column: str) -> Condition:
    """GX's `Column(column).is_not_null()`."""
    return {"type": "nullity", "column": {"name": column}, "is_null": False}


def equals(column: str, value: Any) -> Condition:
    """GX's `Column(column) == value`."""
    return {"type": "comparison", "column": {"name": column}, "operator": "==", "parameter": value}


def all_of(*conditions: Condition) -> Condition:
    """GX's `a & b & ...` (an AndCondition)."""
    return {"type": "and", "conditions": list(conditions)}


def condition_columns(condition: Condition | None) -> Iterator[str]:
    """The columns a row condition reads."""
    if condition is None:
        return
    if condition["type"] in ("and", "or"):
        for part in condition["conditions"]:
            yield from condition_columns(part)
    else:
        yield condition["column"]["name"]


#: The kwargs that name the columns an expectation reads.
_COLUMN_KWARGS = ("column", "column_A", "column_B")


@dataclass(frozen=True)
class Rule:
    """One expectation: GX's type and kwargs, our reason code and column in its meta."""

    type: str
    kwargs: Mapping[str, Any]
    #: {"reden": reason code, "kolom": the standard column a failing row is reported for}
    meta: Mapping[str, str]
    row_condition: Condition | None = None

    @property
    def reason(self) -> str:
        return self.meta["reden"]

    @property
    def standard_column(self) -> str:
        return self.meta["kolom"]

    def columns(self) -> list[str]:
        """Every column the rule reads, its row condition included."""
        named = [self.kwargs[k] for k in _COLUMN_KWARGS if k in self.kwargs]
        return list(dict.fromkeys(named + list(condition_columns(self.row_condition))))

    def config(self) -> dict[str, Any]:
        """GX's expectation-configuration form: type, kwargs (with the row condition), meta."""
        kwargs = dict(self.kwargs)
        if self.row_condition is not None:
            kwargs["row_condition"] = self.row_condition
        return {"type": self.type, "kwargs": kwargs, "meta": dict(self.meta)}


@dataclass(frozen=True)
class SuiteDeclaration:
    """A named, versioned list of rules: what GX's `ExpectationSuite` holds, as data."""

    name: str
    expectations: tuple[Rule, ...]
    meta: Mapping[str, str] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """Every column the suite's rules read, in first-use order."""
        return list(dict.fromkeys(c for rule in self.expectations for c in rule.columns()))

    def types(self) -> set[str]:
        return {rule.type for rule in self.expectations}
