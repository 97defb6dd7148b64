"""The Haal Centraal BRP APIs of RvIG, kept verbatim: BRP API Personen v2.7 and BRP API Bewoning
v2.1 (OpenAPI 3.1), and RvIG's test persons of the BRP proef environment (LO3 person lists), all
EUPL-1.2 (LICENCE-EUPL-1.2.md beside this file; how they are used: docs/scoring.md, section 8).

One home for "is this what the spec says": the connector (connectors/brp.py) checks every answer
it gets against the spec before it believes it, and the local stand-in (synthetic/brp_standin.py)
checks every request it gets and every answer it gives, with the same function.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from openapi_core import OpenAPI

FOLDER = Path(__file__).parent
SPECS = {"personen": FOLDER / "personen-openapi-v2.7.yaml",
         "bewoning": FOLDER / "bewoning-openapi.yaml"}
TEST_PERSONS = FOLDER / "testset-persoonslijsten-gba-v-20220502.csv"
#: The paths of the two APIs that the connector and the stand-in use.
PATHS = {"personen": "/personen", "bewoning": "/bewoningen"}
CONTENT_TYPE = "application/json; charset=utf-8"
#: The host the specs are checked against: their servers are replaced by "/", so the check is
#: about paths and bodies, whatever base URL a municipality configures.
_HOST = "http://brp.invalid"


class SpecViolation(ValueError):
    """A request or an answer that does not follow the Haal Centraal spec; the message names the
    API and what is wrong, never a value (values may be personal data)."""


def _enforce_discriminators(spec: dict) -> dict:
    """The spec with its discriminators binding.

    In OpenAPI 3.1 a discriminator is an annotation: a validator checks an answer against the
    base schema only (PersonenQueryResponse: just a `type`), so a person with a BSN of letters
    would pass. For each base schema with a mapping, a schema `<base>Concreet` is added that
    checks the base, a known `type`, and the schema the mapping names for it; every reference
    to the base, except those inside the mapped schemas themselves (they extend the base), is
    pointed to it.
    """
    schemas = spec["components"]["schemas"]
    bases = {name: schema["discriminator"] for name, schema in schemas.items()
             if "mapping" in schema.get("discriminator", {})}
    for name, discriminator in bases.items():
        prop, mapping = discriminator["propertyName"], discriminator["mapping"]
        # No $ref beside other keys: the spec's tooling follows such a $ref and drops them.
        schemas[f"{name}Concreet"] = {"allOf": [
            {"$ref": f"#/components/schemas/{name}"},
            {"required": [prop], "properties": {prop: {"enum": list(mapping)}}},
            *({"if": {"properties": {prop: {"const": value}}, "required": [prop]},
               "then": {"$ref": target}} for value, target in mapping.items()),
        ]}
    extending = {target.rsplit("/", 1)[1] for d in bases.values()
                 for target in d["mapping"].values()}

    def redirect(node, inside: str | None):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            base = ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None
            if base in bases and inside not in extending and inside != f"{base}Concreet":
                node["$ref"] = f"#/components/schemas/{base}Concreet"
            for value in node.values():
                redirect(value, inside)
        elif isinstance(node, list):
            for value in node:
                redirect(value, inside)

    for name, schema in schemas.items():
        redirect(schema, name)
    redirect(spec["paths"], None)
    return spec


@cache
def openapi(api: str) -> OpenAPI:
    # openapi-core (a quarter of a second to import) only when the BRP is asked: a run with the
    # link off, and every other command, does without it.
    from openapi_core import Config, OpenAPI

    spec = yaml.safe_load(SPECS[api].read_text(encoding="utf-8"))
    spec["servers"] = [{"url": "/"}]
    # Error answers are RFC 7807 problem documents, which openapi-core does not read by itself.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(_enforce_discriminators(spec), config=config)


@dataclass
class _Request:
    body: bytes
    path: str
    host_url: str = _HOST
    method: str = "post"
    content_type: str = CONTENT_TYPE
    parameters: Any = field(default_factory=lambda: _no_parameters())


@dataclass
class _Response:
    data: bytes
    status_code: int = 200
    content_type: str = CONTENT_TYPE
    headers: Any = field(default_factory=lambda: _headers())


def _no_parameters() -> Any:
    from openapi_core.datatypes import RequestParameters
    from werkzeug.datastructures import Headers, ImmutableMultiDict

    return RequestParameters(path={}, query=ImmutableMultiDict(), header=Headers(),
                             cookie=ImmutableMultiDict())


def _headers() -> Any:
    from werkzeug.datastructures import Headers

    return Headers()


def _why(exc: Exception) -> str:
    """The kind of problem and where, without the offending value."""
    causes = []
    current: BaseException | None = exc
    while current is not None and len(causes) < 4:
        for error in getattr(current, "schema_errors", ()) or ():
            path = "/".join(str(p) for p in error.absolute_path) or "(antwoord)"
            causes.append(f"{path}: {error.validator}")
        current = current.__cause__
    return "; ".join(causes) or type(exc).__name__


def check_request(api: str, body: bytes) -> None:
    """Raise SpecViolation when a request body does not follow the API's spec."""
    try:
        openapi(api).validate_request(_Request(body, PATHS[api]))
    except Exception as exc:  # openapi-core raises several kinds; all mean "not per spec"
        raise SpecViolation(f"BRP API {api}: vraag niet volgens de specificatie ({_why(exc)})"
                            ) from None


def check_response(api: str, request_body: bytes, status: int, body: bytes,
                   content_type: str = CONTENT_TYPE) -> dict:
    """The answer as data, or SpecViolation when it does not follow the API's spec."""
    try:
        openapi(api).validate_response(_Request(request_body, PATHS[api]),
                                       _Response(body, status, content_type))
        return json.loads(body)
    except Exception as exc:
        raise SpecViolation(f"BRP API {api}: antwoord (HTTP {status}) niet volgens de "
                            f"specificatie ({_why(exc)})") from None
