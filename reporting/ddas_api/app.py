"""The Starlette application of the DDAS API: `POST /gegevens` and the OpenAPI document.

A request is checked in the order a refusal costs least and says most: the client certificate
(already in the TLS handshake, server.py), the access token, the digest and signature of the
exact body bytes, then the body against the interface's GegevensRequest, then the period and
organisation. Only then is the page built (ddas_pages, in a worker thread: DuckDB and the vault
block), serialised once, signed, its disclosure written to the audit trail, and sent. Every
request, answered or refused, gets a row in the register (vroeg.opsdb.ddas_requests), a line in
the audit trail of each municipality it concerns, and one log line without personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from functools import cache

from cryptography import x509
from jsonschema import validators
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from privacy.audit import STATUS_ERROR, new_trace_id
from reporting import ddas_pages
from reporting.ddas_api import problems, signatures, spec
from reporting.ddas_api.certificates import ChainError, sha256_hex, subject
from reporting.ddas_api.problems import Problem
from reporting.ddas_api.settings import ApiSettings
from reporting.ddas_api.tokens import TokenRefused
from reporting.validate import InvalidExport
from scoring.score import Period
from vroeg.opsdb import ddas_requests
from vroeg.safety import fault_of

log = logging.getLogger("vroeg.ddas_api")

#: A request body is a handful of fields; anything much larger is refused unread.
MAX_BODY = 16_384
#: Columns of the register are 32-bit integers; a page number beyond is kept as this.
_INT_MAX = 2**31 - 1


@cache
def _request_validator():
    schema = json.loads(spec.document())["components"]["schemas"]["GegevensRequest"]
    cls = validators.validator_for({"$schema": "https://json-schema.org/draft/2020-12/schema"})
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@dataclass
class Served:
    """What the app serves: the settings and the municipalities' contexts."""

    settings: ApiSettings
    contexts: list
    supplier: str
    database_url: str


@dataclass
class Trail:
    """What one request leaves behind, filled in as the checks pass."""

    trace: str = field(default_factory=new_trace_id)
    started: float = field(default_factory=time.monotonic)
    row: dict = field(default_factory=dict)
    contexts: list = field(default_factory=list)


def _client(request: Request) -> tuple[str | None, str | None]:
    der = request.scope.get("extensions", {}).get("tls", {}).get("client_cert_der")
    if not der:
        return None, None
    cert = x509.load_der_x509_certificate(der)
    return subject(cert), sha256_hex(cert)


def _parse_request(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise problems.detail(400, "geen-json", "Ongeldig verzoek",
                              "De inhoud van het verzoek is geen JSON.") from None
    errors = sorted(_request_validator().iter_errors(data), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = "/".join(str(p) for p in error.absolute_path) or "het verzoek"
        if error.validator == "additionalProperties":
            text = "Het verzoek bevat velden die de interface niet kent (additionalProperties)."
        elif error.validator == "format":
            text = f"{where} is geen datum in de vorm JJJJ-MM-DD."
        else:
            text = f"{where} voldoet niet aan de interface ({error.validator})."
        raise problems.detail(400, "ongeldig-verzoek", "Ongeldig verzoek", text)
    return data


def _period(data: dict, contexts: list) -> tuple[dt.date, dt.date]:
    """The requested period; without dates the supplier decides: the last complete month (in
    the first municipality's time zone); with one date, its month's other end."""
    start = data.get("aanleverperiodeStartdatum")
    end = data.get("aanleverperiodeEinddatum")
    van = dt.date.fromisoformat(start) if start else None
    tot = dt.date.fromisoformat(end) if end else None
    if van is None and tot is None:
        month = Period.last_complete(contexts[0].municipality.timezone)
        van, tot = month.start, month.end - dt.timedelta(days=1)
    elif van is None:
        van = tot.replace(day=1)
    elif tot is None:
        try:
            following = (van.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            tot = following - dt.timedelta(days=1)
        except OverflowError:  # December of the year 9999
            tot = dt.date.max
    if van > tot:
        raise problems.detail(422, "periode", "Periode niet verwerkbaar",
                              "aanleverperiodeStartdatum ligt na aanleverperiodeEinddatum.")
    return van, tot


def _organisations(served: Served, name: str | None) -> list:
    if name is None:
        return served.contexts
    wanted = name.strip().casefold()
    found = [c for c in served.contexts
             if wanted in (c.municipality.name.casefold(), c.gemeente)]
    if not found:
        raise problems.detail(422, "organisatie", "Organisatie onbekend",
                              "Deze installatie levert niet voor de gevraagde "
                              "aanleverendeOrganisatie.")
    return found


def _respond(served: Served, status: int, payload: dict, media_type: str,
             headers: dict[str, str] | None = None) -> tuple[Response, str]:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    digest_value, signature = served.settings.signer.sign(body)
    response = Response(body, status, media_type=media_type,
                        headers={**(headers or {}), "Digest": digest_value,
                                 signatures.HEADER: signature})
    return response, hashlib.sha256(body).hexdigest()


def _audit(trail: Trail, status: int, attributes: dict) -> None:
    for ctx in trail.contexts:
        with ctx.audit.operation("ddas-api-verzoek", trail.trace, status=status,
                                 **attributes) as op:
            if status >= 400:
                op.status_code = STATUS_ERROR


def _finish(served: Served, trail: Trail, status: int, reason: str | None,
            digest: str | None) -> None:
    row = trail.row
    duration = int((time.monotonic() - trail.started) * 1000)
    ddas_requests.record(served.database_url, trace_id=trail.trace, status=status, fout=reason,
                         response_sha256=digest, duration_ms=duration, **row)
    attributes = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()
                  if v is not None and k not in ("client_sha256",)}
    if reason:
        attributes["fout"] = reason
    if digest:
        attributes["bericht_sha256"] = digest
    _audit(trail, status, attributes)
    log.warning("ddas-api %s %s pagina=%s signalen=%s ms=%s trace=%s", status, reason or "ok",
                row.get("page"), row.get("signalen"), duration, trail.trace)


async def gegevens(request: Request) -> Response:
    served: Served = request.app.state.served
    trail = Trail(contexts=list(served.contexts))
    trail.row["client_subject"], trail.row["client_sha256"] = _client(request)
    try:
        if trail.row["client_subject"] is None:
            raise problems.fsc(401, problems.ACCESS_TOKEN_INVALID, "Geen clientcertificaat",
                               "De verbinding heeft geen clientcertificaat (mTLS).")
        try:
            trail.row["token_subject"] = served.settings.token_check.subject(
                request.headers.get("authorization"))
        except TokenRefused as exc:
            title = "Toegang geweigerd" if exc.status == 403 else "Ongeldige access token"
            raise problems.fsc(exc.status, exc.code, title, exc.reason) from None
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            raise problems.detail(400, "te-groot", "Ongeldig verzoek",
                                  "Het verzoek is groter dan een verzoek om gegevens kan zijn.")
        body = await request.body()
        if len(body) > MAX_BODY:
            raise problems.detail(400, "te-groot", "Ongeldig verzoek",
                                  "Het verzoek is groter dan een verzoek om gegevens kan zijn.")
        signatures_sent = request.headers.getlist(signatures.HEADER)
        digests_sent = request.headers.getlist("digest")
        if len(signatures_sent) > 1 or len(digests_sent) > 1:
            raise problems.detail(400, "handtekening", "Ongeldige handtekening",
                                  "Het verzoek heeft meer dan één handtekening of Digest.")
        try:
            signed = signatures.verify(
                body, digests_sent[0] if digests_sent else None,
                signatures_sent[0] if signatures_sent else None,
                served.settings.cbs_anchors, crls=served.settings.cbs_crls)
        except ChainError as exc:
            raise problems.detail(400, "ondertekenaar", "Ondertekenaar niet vertrouwd",
                                  f"De handtekening is niet te vertrouwen: {exc}.") from None
        except signatures.SignatureError as exc:
            slug = "digest" if "Digest" in str(exc) else "handtekening"
            raise problems.detail(400, slug, "Ongeldige handtekening of digest",
                                  f"Het verzoek is afgewezen: {exc}.") from None
        trail.row["signer_subject"] = subject(signed.signer)
        data = _parse_request(body)
        # JSON Schema counts 2.0 as an integer; the page arithmetic needs a real one.
        page = int(data["page"]) if "page" in data else None
        page_size = int(data["pageSize"]) if "pageSize" in data else None
        trail.row["page"] = None if page is None else min(page, _INT_MAX)
        trail.row["page_size"] = None if page_size is None else min(page_size, _INT_MAX)
        van, tot = _period(data, served.contexts)
        trail.row.update(van=van, tot=tot)
        trail.contexts = _organisations(served, data.get("aanleverendeOrganisatie"))
        if "aanleverendeOrganisatie" in data:
            trail.row["organisatie"] = ", ".join(c.municipality.name
                                                 for c in trail.contexts)[:200]
        why = served.settings.signer_usable()
        if why:
            # Never data that cannot be signed.
            raise problems.fsc(502, problems.SERVICE_UNREACHABLE, "Dienst niet beschikbaar",
                               f"De dienst kan nu niet antwoorden: {why}.")
        try:
            answer = await run_in_threadpool(
                ddas_pages.answer, trail.contexts, van, tot, page, page_size,
                supplier=served.supplier,
                now=dt.datetime.now(dt.UTC), client=trail.row["client_subject"],
                token=trail.row["token_subject"], trace_request=trail.trace)
        except InvalidExport as exc:
            # A defect of ours, not CBS's: the paths and rules (never values) go to the log.
            log.error("ddas-api: pagina voldoet niet aan het schema: %s trace=%s", exc,
                      trail.trace)
            raise problems.fsc(502, problems.SERVICE_UNREACHABLE, "Dienst niet beschikbaar",
                               "De gegevens zijn nu niet te leveren; de oorzaak staat in het "
                               "log van de dienst.") from None
        except Exception as exc:
            fault = fault_of(exc)
            log.error("ddas-api: antwoord niet op te bouwen (%s; %s) trace=%s",
                      type(exc).__name__, fault.cause.value if fault else "onbekend",
                      trail.trace)
            raise problems.fsc(502, problems.SERVICE_UNREACHABLE, "Dienst niet beschikbaar",
                               "De gegevens zijn nu niet op te halen; probeer het later "
                               "opnieuw.") from None
    except Problem as problem:
        response, digest = _respond(served, problem.status, problem.body, problems.MEDIA_TYPE,
                                    problem.headers)
        await run_in_threadpool(_finish, served, trail, problem.status, problem.reason, digest)
        return response
    payload: dict = {"gegevens": answer.document}
    if answer.paginering is not None:
        payload["paginering"] = answer.paginering.as_dict()
    response, digest = _respond(served, 200, payload, "application/json")
    trail.row.update(signalen=answer.signals, zaken=answer.cases,
                     total_records=answer.paginering.total_records if answer.paginering
                     else answer.signals)

    def close() -> None:
        # The disclosure is on record before a byte of it leaves.
        ddas_pages.disclose(answer, digest)
        _finish(served, trail, 200, None, digest)

    await run_in_threadpool(close)
    return response


async def openapi(request: Request) -> Response:
    base = f"{request.url.scheme}://{request.url.netloc}"
    return Response(spec.document(base), media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    served: Served = request.app.state.served
    status = getattr(exc, "status_code", 500)
    if status == 405:
        problem = problems.fsc(405, problems.METHOD_UNSUPPORTED, "Methode niet ondersteund",
                               "Deze dienst kent alleen POST /gegevens.")
    else:
        problem = problems.fsc(404, problems.SERVICE_NOT_FOUND, "Dienst niet gevonden",
                               "Deze dienst kent alleen POST /gegevens.")
    response, digest = _respond(served, problem.status, problem.body, problems.MEDIA_TYPE,
                                {**problem.headers,
                                 **({"Allow": "POST"} if status == 405 else {})})
    trail = Trail(contexts=list(served.contexts))
    trail.row["client_subject"], trail.row["client_sha256"] = _client(request)
    await run_in_threadpool(_finish, served, trail, problem.status, problem.reason, digest)
    return response


def create_app(served: Served) -> Starlette:
    app = Starlette(routes=[Route("/gegevens", gegevens, methods=["POST"]),
                            Route("/openapi.json", openapi, methods=["GET"])],
                    exception_handlers={HTTPException: _http_error})
    app.state.served = served
    return app
