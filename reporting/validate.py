"""The DDAS schema check: jsonschema with the draft the schema declares, format checks on.

Format checks matter: without them "2026-02-30" passes as a `date` and "2026-10-01 12:00" as a
`date-time` (jsonschema only checks formats when given a format checker; date-time needs the
rfc3339-validator package, which is in requirements.lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jsonschema import validators

from vroeg import ddas


@dataclass(frozen=True)
class SchemaProblem:
    """One violation: where (a JSON pointer like /leveringen/0/vroegsignaalzaken/3/resultaat)
    and what the schema says. The message never repeats the offending value: it may be a BSN."""

    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.rule}"


class InvalidExport(ValueError):
    """The document does not satisfy the DDAS schema; nothing was written."""

    def __init__(self, problems: list[SchemaProblem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (en nog {len(problems) - 5})" if len(problems) > 5 else ""
        super().__init__(f"De DDAS-export voldoet niet aan het schema: {shown}{more}")


@cache
def validator():
    schema = ddas.schema()
    cls = validators.validator_for(schema)  # Draft202012Validator for v1.2
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _pointer(parts) -> str:
    return "".join(f"/{p}" for p in parts)


def problems(document: dict) -> list[SchemaProblem]:
    """Every violation, in document order."""
    found = []
    def position(error) -> list[tuple[int, int | str]]:
        # Array indices in numeric order (/vroegsignalen/2 before /vroegsignalen/10).
        return [(0, p) if isinstance(p, int) else (1, p) for p in error.absolute_path]

    for error in sorted(validator().iter_errors(document), key=position):
        # The validator's own message quotes the instance (a BSN, an address): name the rule
        # that failed and the schema keyword's value instead.
        if error.validator == "oneOf":
            rule = "moet precies één identificatie hebben (BSN, of postcode en huisnummer)"
        elif error.validator == "required":
            missing = [r for r in error.validator_value if r not in (error.instance or {})]
            rule = f"verplicht veld ontbreekt: {', '.join(missing)}"
        elif error.validator == "additionalProperties":
            extra = sorted(set(error.instance or {}) - set(error.schema.get("properties", {})))
            rule = f"veld niet toegestaan: {', '.join(extra)}"
        elif error.validator == "enum":
            rule = "waarde staat niet in de lijst van het schema"
        elif error.validator == "format":
            rule = f"geen geldige {error.validator_value}"
        else:
            rule = f"schending van '{error.validator}' ({error.validator_value!r})"
        found.append(SchemaProblem(_pointer(error.absolute_path), rule))
    return found


def check(document: dict) -> None:
    """Raise InvalidExport with the schema error paths when the document is not valid."""
    found = problems(document)
    if found:
        raise InvalidExport(found)
