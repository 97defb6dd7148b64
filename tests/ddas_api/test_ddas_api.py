"""The DDAS API as CBS meets it (issue 15): one real server process on 127.0.0.1 with the test
set of `vroeg ddas-api test-pki`, on a copy of the demo installation with cases recorded.

CBS's side (tests/ddas_api/cbs.py) connects with its client certificate, presents the token,
signs its request, and checks every answer's digest and PS256 signature itself. It pages through
the demo with a small pageSize and must get exactly the signals and cases of `vroeg export-ddas`
for the same period; every refusal of the issue's point 2 is a test of its own with the status
and FSC code of the interface; Schemathesis sends requests generated from the served document.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
from pathlib import Path

import httpx
import jsonschema
import pytest
from cryptography import x509
from sqlalchemy import select
from typer.testing import CliRunner

from tests.ddas_api import cbs
from tests.reporting.test_reporting import _record_cases, schema_validator

runner = CliRunner()


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """A copy of the demo with one case per end result (as the portal records them), the test
    set, and the period: (home, pki, first day, last day)."""
    from scoring.score import Period
    from tests.demo_home import copy_installation, pristine

    source, result = pristine()
    base = tmp_path_factory.mktemp("ddas-api")
    root = base / "home"
    copy_installation(source, root)
    from vroeg.settings import Home

    home = Home(root)
    period = Period.parse(result["periode"])
    _record_cases(home, period.start)
    pki = cbs.make_test_set(base / "pki")
    first = (period.start - dt.timedelta(days=1)).replace(day=1)
    return home, pki, first, period.end - dt.timedelta(days=1), base


@pytest.fixture(scope="module")
def api(installation):
    home, pki, _, _, base = installation
    with cbs.api_process(home.root, pki, base / "ddas-api.log") as url:
        yield cbs.Cbs(url, pki)


@pytest.fixture(scope="module")
def chain(installation) -> tuple[list[x509.Certificate], x509.Certificate]:
    pki = installation[1]
    folder = Path(pki["ca"]).parent
    return (x509.load_pem_x509_certificates((folder / "ondertekening.pem").read_bytes()),
            x509.load_pem_x509_certificate(Path(pki["ca"]).read_bytes()))


@pytest.fixture(scope="module")
def served_spec(api) -> dict:
    with api.client() as client:
        return client.get("/openapi.json").json()


@pytest.fixture(scope="module")
def exported(installation, tmp_path_factory) -> dict:
    """`vroeg export-ddas` for the same period, on the same installation."""
    from cli import app

    home, _, first, last, _ = installation
    out = tmp_path_factory.mktemp("export") / "levering.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(home.root))
        mp.delenv("VROEG_GEMEENTE", raising=False)
        result = runner.invoke(app, ["export-ddas", "--from", first.isoformat(), "--to",
                                     last.isoformat(), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _schema(spec: dict, name: str) -> jsonschema.Draft202012Validator:
    """A component of the served document, with the document's other components reachable."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _signals(doc: dict) -> list[dict]:
    return sorted((s for item in doc["leveringen"] for s in item["vroegsignalen"]),
                  key=lambda s: s["ID"])


def _cases(doc: dict) -> list[str]:
    return sorted(json.dumps(z, sort_keys=True)
                  for item in doc["leveringen"] for z in item["vroegsignaalzaken"])


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------


def test_cbs_pages_through_the_demo_to_exactly_the_signals_of_the_export(
        api, installation, chain, exported, served_spec):
    _, _, first, last, _ = installation
    total = len(_signals(exported))
    assert total > 100 and _cases(exported)  # a demo of a few hundred signals, with cases
    size = total // 3 + 1  # three pages, the last one short
    window = {"aanleverperiodeStartdatum": first.isoformat(),
              "aanleverperiodeEinddatum": last.isoformat()}
    gegevens = schema_validator()  # the published schema file itself, format checks on
    paginering = _schema(served_spec, "Paginering")
    pages = []
    for page in (1, 2, 3, 4):
        response = api.post({**window, "page": page, "pageSize": size})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        cbs.check_signed(response, *chain)
        answer = response.json()
        gegevens.validate(answer["gegevens"])
        paginering.validate(answer["paginering"])
        assert answer["paginering"] == {"pageSize": size, "currentPage": page,
                                        "totalPages": 3, "totalRecords": total}
        assert answer["gegevens"]["startdatumLevering"] == first.isoformat()
        assert [item["gemeentecode"] for item in answer["gegevens"]["leveringen"]] == ["0080"]
        pages.append(answer["gegevens"])
    assert [len(_signals(p)) for p in pages] == [size, size, total - 2 * size, 0]
    # Together exactly the file's signals and cases, each once.
    assert sorted(s["ID"] for p in pages for s in _signals(p)) == [s["ID"] for s in
                                                                  _signals(exported)]
    assert sorted(c for p in pages for c in _cases(p)) == _cases(exported)
    assert [s for p in pages for s in _signals(p)] != []
    assert sorted(json.dumps(s, sort_keys=True) for p in pages for s in _signals(p)) == \
        sorted(json.dumps(s, sort_keys=True) for s in _signals(exported))

    # No page and no pageSize: everything in one answer, not paged.
    whole = api.post(window)
    assert whole.status_code == 200
    cbs.check_signed(whole, *chain)
    assert "paginering" not in whole.json()
    assert _signals(whole.json()["gegevens"]) == _signals(exported)
    # A pageSize without page: the first page.
    first_page = api.post({**window, "pageSize": size}).json()
    assert first_page["paginering"]["currentPage"] == 1
    assert _signals(first_page["gegevens"]) == _signals(pages[0])


def test_an_organisation_the_installation_serves_is_selected_by_name(api, installation):
    _, _, first, last, _ = installation
    response = api.post({"aanleverperiodeStartdatum": first.isoformat(),
                         "aanleverperiodeEinddatum": last.isoformat(),
                         "aanleverendeOrganisatie": "Leeuwarden (voorbeeldgemeente)",
                         "pageSize": 5})
    assert response.status_code == 200, response.text
    assert response.json()["gegevens"]["leveringen"][0]["aanleverendeOrganisatie"] == {
        "naam": "Leeuwarden (voorbeeldgemeente)"}
    assert len(response.json()["gegevens"]["leveringen"][0]["vroegsignalen"]) == 5


def test_a_page_number_written_as_a_whole_float_is_that_page(api, installation):
    """JSON Schema counts 2.0 as an integer, so the interface allows it."""
    _, _, first, last, _ = installation
    response = api.post({"aanleverperiodeStartdatum": first.isoformat(),
                         "aanleverperiodeEinddatum": last.isoformat(), "page": 2.0,
                         "pageSize": 5.0})
    assert response.status_code == 200, response.text
    assert response.json()["paginering"]["currentPage"] == 2
    assert response.json()["paginering"]["pageSize"] == 5


def test_every_request_is_in_the_register_and_the_audit_trail_without_bsn(
        api, installation, exported):
    from vroeg.opsdb import db, ddas_requests
    from vroeg.opsdb.models import AuditLine

    home, _, first, last, base = installation
    response = api.post({"aanleverperiodeStartdatum": first.isoformat(),
                         "aanleverperiodeEinddatum": last.isoformat(), "page": 2,
                         "pageSize": 40})
    assert response.status_code == 200
    import hashlib

    row = ddas_requests.recent(home.database_url, limit=1)[0]
    assert (row.status, row.page, row.page_size, row.van, row.tot) == (200, 2, 40, first, last)
    assert row.signalen == 40 and row.total_records == len(_signals(exported))
    assert row.response_sha256 == hashlib.sha256(response.content).hexdigest()
    assert "CBS client (test)" in row.client_subject and row.token_subject == "cbs-testset"
    assert "CBS ondertekening (test)" in row.signer_subject
    with db.session(home.database_url) as s:
        lines = s.scalars(select(AuditLine).where(AuditLine.trace_id == row.trace_id)).all()
        disclosed = s.scalars(select(AuditLine).where(
            AuditLine.name == "ddas-verstrekking")).all()
        everything = " ".join(str((a.attributes, a.data_subject_id))
                              for a in s.scalars(select(AuditLine)).all())
    request_line = next(a for a in lines if a.name == "ddas-api-verzoek")
    assert request_line.attributes["bericht_sha256"] == row.response_sha256
    assert request_line.attributes["status"] == 200
    mine = [a for a in disclosed if (a.attributes or {}).get("bericht_sha256")
            == row.response_sha256]
    assert mine and all(a.data_subject_id and a.attributes["doel"] == "proces: ddas-export"
                        for a in mine)
    # No BSN, postcode or signal ID in the register, the audit trail or the server's log.
    clients = [s["client"] for s in _signals(exported)]
    secrets = [c["burgerservicenummer"] for c in clients if "burgerservicenummer" in c]
    secrets += [c["postcode"] for c in clients if "postcode" in c]
    assert secrets
    with db.session(home.database_url) as s:
        register = " ".join(str(vars(r)) for r in ddas_requests.recent(home.database_url, 1000))
    log = (base / "ddas-api.log").read_text()
    assert "ddas-api 200" in log
    for text in (register, everything, log):
        assert not [v for v in secrets if v in text]


# ---------------------------------------------------------------------------------------------
# Refusals (issue 15, point 2), each with the interface's status and FSC code
# ---------------------------------------------------------------------------------------------


def _refused(response: httpx.Response, status: int, spec: dict, chain, *,
             fsc: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if fsc is not None:
        assert response.headers["Fsc-Error-Code"] == fsc
        _schema(spec, "FscError").validate(body)
        assert body["code"] == fsc and body["domain"] == "ERROR_DOMAIN_INWAY"
    else:
        assert "Fsc-Error-Code" not in response.headers
        _schema(spec, "ProblemDetails").validate(body)
    cbs.check_signed(response, *chain)  # refusals carry a digest and a signature too
    return body


@pytest.fixture(scope="module")
def stranger(installation) -> dict:
    """A second, unrelated test set: its certificates, keys and token are trusted nowhere."""
    from reporting.ddas_api import testset

    return testset.make(installation[4] / "vreemd").as_json()


def _issuer(installation):
    from joserfc.jwk import RSAKey

    folder = Path(installation[1]["ca"]).parent
    return RSAKey.import_key(json.loads((folder / "token-uitgever-sleutel.json").read_text()))


WINDOW = {"aanleverperiodeStartdatum": "2026-01-01", "aanleverperiodeEinddatum": "2026-01-31"}


def test_no_client_certificate_is_refused_in_the_handshake(api):
    with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError,
                        ssl.SSLError)):
        with api.client(with_client=False) as client:
            client.post("/gegevens", json=WINDOW)


def test_an_untrusted_client_certificate_is_refused_in_the_handshake(api, stranger):
    context = ssl.create_default_context(cafile=api.pki["ca"])
    context.load_cert_chain(stranger["client_cert"], stranger["client_key"])
    with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError,
                        ssl.SSLError)):
        with httpx.Client(base_url=api.base, verify=context) as client:
            client.post("/gegevens", json=WINDOW)


def test_no_token_is_401_access_token_missing(api, served_spec, chain):
    body = json.dumps(WINDOW).encode()
    with api.client() as client:
        response = client.post("/gegevens", content=body, headers=api.signed(body))
    _refused(response, 401, served_spec, chain, fsc="ERROR_CODE_ACCESS_TOKEN_MISSING")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_of_another_issuer_is_401_access_token_invalid(api, served_spec, chain,
                                                               stranger):
    _refused(api.post(WINDOW, token=stranger["token"]), 401, served_spec, chain,
             fsc="ERROR_CODE_ACCESS_TOKEN_INVALID")


def test_a_token_that_is_no_jwt_is_401_access_token_invalid(api, served_spec, chain):
    _refused(api.post(WINDOW, token="geen.jwt.token"), 401, served_spec, chain,
             fsc="ERROR_CODE_ACCESS_TOKEN_INVALID")


def test_an_expired_token_is_401_access_token_expired(api, served_spec, chain, installation):
    from reporting.ddas_api.testset import issue_token

    token = issue_token(_issuer(installation), lifetime_s=-120)
    _refused(api.post(WINDOW, token=token), 401, served_spec, chain,
             fsc="ERROR_CODE_ACCESS_TOKEN_EXPIRED")


def test_a_token_without_scope_read_is_403(api, served_spec, chain, installation):
    from reporting.ddas_api.testset import issue_token

    token = issue_token(_issuer(installation), scope="write")
    body = _refused(api.post(WINDOW, token=token), 403, served_spec, chain,
                    fsc="ERROR_CODE_ACCESS_TOKEN_INVALID")
    assert "scope" in body["detail"]


def test_a_token_of_another_fsc_group_is_403_wrong_group(api, served_spec, chain, installation):
    from reporting.ddas_api.testset import issue_token

    token = issue_token(_issuer(installation), group="andere-groep")
    _refused(api.post(WINDOW, token=token), 403, served_spec, chain,
             fsc="ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN")


def test_a_request_without_signature_is_400(api, served_spec, chain):
    _refused(api.post(WINDOW, sign=False), 400, served_spec, chain)


def test_a_request_without_digest_is_400(api, served_spec, chain):
    body = json.dumps(WINDOW).encode()
    headers = api.signed(body)
    del headers["Digest"]
    response = api.post(body, sign=False, headers=headers)
    assert "Digest" in _refused(response, 400, served_spec, chain)["detail"]


def test_a_body_changed_after_signing_is_400(api, served_spec, chain):
    body = json.dumps(WINDOW).encode()
    headers = api.signed(body)
    changed = json.dumps({**WINDOW, "page": 2}).encode()
    response = api.post(changed, sign=False, headers=headers)
    assert "Digest" in _refused(response, 400, served_spec, chain)["detail"]


def test_a_signature_over_another_digest_is_400(api, served_spec, chain):
    body = json.dumps(WINDOW).encode()
    other = json.dumps({**WINDOW, "page": 2}).encode()
    headers = {**api.signed(other), "Digest": api.signed(body)["Digest"]}
    response = api.post(body, sign=False, headers=headers)
    assert "klopt niet" in _refused(response, 400, served_spec, chain)["detail"]


def test_a_signature_by_an_untrusted_certificate_is_400(api, served_spec, chain, stranger):
    body = json.dumps(WINDOW).encode()
    headers = api.signed(body, by=cbs.signer(stranger["cbs_signing_cert"],
                                             stranger["cbs_signing_key"]))
    response = api.post(body, sign=False, headers=headers)
    assert "niet te vertrouwen" in _refused(response, 400, served_spec, chain)["detail"]


def test_additional_properties_in_the_request_are_400(api, served_spec, chain):
    body = _refused(api.post({**WINDOW, "bsn": "123456782"}), 400, served_spec, chain)
    assert "additionalProperties" in body["detail"] and "123456782" not in json.dumps(body)


@pytest.mark.parametrize("value", ["2026-02-30", "1-1-2026", "20260101", "gisteren"])
def test_a_date_that_is_no_date_is_400(api, served_spec, chain, value):
    body = _refused(api.post({**WINDOW, "aanleverperiodeStartdatum": value}), 400,
                    served_spec, chain)
    assert "aanleverperiodeStartdatum" in body["detail"]


def test_a_start_after_the_end_is_422(api, served_spec, chain):
    _refused(api.post({"aanleverperiodeStartdatum": "2026-02-01",
                       "aanleverperiodeEinddatum": "2026-01-31"}), 422, served_spec, chain)


def test_another_method_is_405_method_unsupported(api, served_spec, chain):
    with api.client() as client:
        response = client.get("/gegevens", headers={"Authorization": f"Bearer {api.pki['token']}"})
    _refused(response, 405, served_spec, chain, fsc="ERROR_CODE_METHOD_UNSUPPORTED")


def test_another_path_is_404_service_not_found(api, served_spec, chain):
    with api.client() as client:
        response = client.post("/vs", json=WINDOW)
    _refused(response, 404, served_spec, chain, fsc="ERROR_CODE_SERVICE_NOT_FOUND")


def test_refusals_are_in_the_register_with_their_code(api, installation):
    from vroeg.opsdb import ddas_requests

    api.post(WINDOW, token="geen.jwt.token")
    row = ddas_requests.recent(installation[0].database_url, limit=1)[0]
    assert (row.status, row.fout, row.signalen) == (401, "ERROR_CODE_ACCESS_TOKEN_INVALID",
                                                    None)
    assert row.client_subject and row.response_sha256


# ---------------------------------------------------------------------------------------------
# Property-based: Schemathesis against the served document
# ---------------------------------------------------------------------------------------------


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_spec(api, served_spec):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi import checks

    schema = schemathesis.openapi.from_dict(served_spec)
    operation = schema["/gegevens"]["POST"]
    strategy = operation.as_strategy()
    seen: list[int] = []

    @settings(max_examples=15, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case) -> None:
        body = json.dumps(case.body).encode() if case.body is not None else b""
        headers = {"Authorization": f"Bearer {api.pki['token']}", **api.signed(body)}
        with api.client() as client:
            response = client.post("/gegevens", content=body, headers=headers)
        seen.append(response.status_code)
        assert response.status_code < 500, response.text
        case.validate_response(response, checks=[
            checks.status_code_conformance, checks.content_type_conformance,
            checks.response_headers_conformance, checks.response_schema_conformance])

    check()
    assert 200 in seen  # not only refusals
