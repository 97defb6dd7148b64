"""The national DDAS Vroegsignalering exchange model (v1.2), kept verbatim in vroeg/ddas/.

The schema's enumerations are the project's vocabulary: partner types, statuses, contact kinds,
end results. They are read from the schema file, not copied, so there is one source of truth.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).parent / "ddas" / "v1.2" / "json_schema_Uitwisselmodel.json"
#: The interface CBS calls (OpenAPI 3.1, "DDAS Gegevens Uitwissel API - VS"), kept verbatim too;
#: reporting/ddas_api serves it.
API_SPEC_PATH = SCHEMA_PATH.parent / "DDAS-VS.yaml"


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def enum(name: str) -> tuple[str, ...]:
    """The values of one `Enum...` definition, e.g. enum("EnumSignaalpartner")."""
    return tuple(schema()["$defs"][name]["enum"])


def signaalpartners() -> tuple[str, ...]:
    return enum("EnumSignaalpartner")


#: The vocabularies every part records in, named once (cases, the export, the portal).
PARTNER_TYPES: tuple[str, ...] = signaalpartners()
SIGNAL_STATUSES: tuple[str, ...] = enum("EnumSignaalstatus")
CONTACT_KINDS: tuple[str, ...] = enum("EnumContactsoort")
PARTS_OF_DAY: tuple[str, ...] = enum("EnumDagdeel")
END_RESULTS: tuple[str, ...] = enum("EnumEindresultaat")
