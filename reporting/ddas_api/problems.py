"""Refusals as the interface defines them: `application/problem+json`, with an FSC error body and
the `Fsc-Error-Code` header for the FSC cases (401, 403, 404, 405, 502), and RFC 9457 problem
details for the others (400, 422). Titles and details are Dutch and never repeat a value of the
request (it may carry anything)."""

from __future__ import annotations

from dataclasses import dataclass, field

MEDIA_TYPE = "application/problem+json"

# The FSC error codes the interface lists (Fsc-Error-Code).
ACCESS_TOKEN_MISSING = "ERROR_CODE_ACCESS_TOKEN_MISSING"
ACCESS_TOKEN_INVALID = "ERROR_CODE_ACCESS_TOKEN_INVALID"
ACCESS_TOKEN_EXPIRED = "ERROR_CODE_ACCESS_TOKEN_EXPIRED"
WRONG_GROUP_ID_IN_TOKEN = "ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN"
SERVICE_NOT_FOUND = "ERROR_CODE_SERVICE_NOT_FOUND"
SERVICE_UNREACHABLE = "ERROR_CODE_SERVICE_UNREACHABLE"
METHOD_UNSUPPORTED = "ERROR_CODE_METHOD_UNSUPPORTED"

#: The problem type URIs of the non-FSC refusals (RFC 9457 `type`).
TYPE_PREFIX = "urn:vroegsignalering:ddas-api:probleem:"


@dataclass(frozen=True)
class Problem(Exception):
    """A refusal: status, body and headers. `reason` is what the register keeps (an FSC code or
    a short slug of ours), never a value of the request."""

    status: int
    body: dict
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


def fsc(status: int, code: str, title: str, detail: str) -> Problem:
    headers = {"Fsc-Error-Code": code}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Problem(status, {"code": code, "domain": "ERROR_DOMAIN_INWAY", "title": title,
                            "detail": detail, "status": status}, code, headers)


def detail(status: int, slug: str, title: str, text: str) -> Problem:
    return Problem(status, {"type": TYPE_PREFIX + slug, "title": title, "status": status,
                            "detail": text, "instance": "/gegevens"}, slug)
