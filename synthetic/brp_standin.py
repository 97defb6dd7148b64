"""A local stand-in for RvIG's Haal Centraal BRP APIs, for tests and the demo.

It answers `POST /personen` (BRP API Personen v2.7: RaadpleegMetBurgerservicenummer,
ZoekMetPostcodeEnHuisnummer, ZoekMetNummeraanduidingIdentificatie,
ZoekMetAdresseerbaarObjectIdentificatie, with `fields`) and
`POST /bewoningen` (BRP API Bewoning v2.1: BewoningMetPeildatum) from RvIG's official test
persons (vroeg/haalcentraal/testset-persoonslijsten-gba-v-20220502.csv, EUPL-1.2) and from
synthetic residents a caller adds (the demo's addresses). Every request it gets and every answer
it gives is checked against the specs (vroeg.haalcentraal); a request that does not follow them
gets a 400, as the real API answers.

The connector talking to it is the production one (connectors/brp.py); only the URL differs.

    with BrpStandIn(today=date(2026, 12, 1)) as brp:
        brp.url          # http://127.0.0.1:<port>
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from vroeg.haalcentraal import (
    CONTENT_TYPE,
    TEST_PERSONS,
    SpecViolation,
    check_request,
    check_response,
    openapi,
)

_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december")


@dataclass
class Resident:
    """One person list, reduced to what the two APIs can answer here."""

    bsn: str
    voornamen: str
    geslachtsnaam: str
    geboortedatum: str  # YYYYMMDD as LO3 writes it; 00 for an unknown part
    gemeente: str
    voorvoegsel: str = ""
    overlijdensdatum: str = ""
    postcode: str = ""
    huisnummer: int | None = None
    huisletter: str = ""
    toevoeging: str = ""
    woonplaats: str = ""
    adresseerbaar_object: str = ""
    nummeraanduiding: str = ""
    #: Since when the person lives at the address (YYYYMMDD).
    sinds: str = ""

    @property
    def deceased(self) -> bool:
        return bool(self.overlijdensdatum)


def _lo3_date(value: str) -> dict:
    """An LO3 date as the API's AbstractDatum (unknown parts become a year or unknown date)."""
    year, month, day = int(value[:4] or 0), int(value[4:6] or 0), int(value[6:8] or 0)
    if not year:
        return {"type": "DatumOnbekend", "onbekend": True, "langFormaat": "onbekend"}
    if not month:
        return {"type": "JaarDatum", "jaar": year, "langFormaat": str(year)}
    if not day:
        return {"type": "JaarMaandDatum", "jaar": year, "maand": month,
                "langFormaat": f"{_MONTHS[month - 1]} {year}"}
    return {"type": "Datum", "datum": f"{year:04d}-{month:02d}-{day:02d}",
            "langFormaat": f"{day} {_MONTHS[month - 1]} {year}"}


def _age(born: str, today: dt.date) -> int | None:
    year, month, day = int(born[:4] or 0), int(born[4:6] or 0), int(born[6:8] or 0)
    if not (year and month and day):
        return None
    return today.year - year - ((today.month, today.day) < (month, day))


def read_test_persons(path: Path = TEST_PERSONS) -> list[Resident]:
    """The current category values of each of RvIG's test person lists (a row whose first cell
    names the list; the rows below it are history and related lists, not read here)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter=";")
        header = next(rows)
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            index.setdefault(name, i)
        people = []
        for row in rows:
            if not row or not row[0].startswith("Lg"):
                continue

            def get(key: str, row: list[str] = row) -> str:
                i = index[key]
                return row[i].strip() if i < len(row) else ""

            if not get("01.01.20"):
                continue
            number = get("08.11.20")
            people.append(Resident(
                bsn=get("01.01.20"), voornamen=get("01.02.10"), voorvoegsel=get("01.02.30"),
                geslachtsnaam=get("01.02.40"), geboortedatum=get("01.03.10"),
                gemeente=get("08.09.10"), overlijdensdatum=get("06.08.10"),
                postcode=get("08.11.60"), huisnummer=int(number) if number.isdigit() else None,
                huisletter=get("08.11.30"), toevoeging=get("08.11.40"),
                woonplaats=get("08.11.70"), adresseerbaar_object=get("08.11.80"),
                nummeraanduiding=get("08.11.90"), sinds=get("08.10.30")))
    return people


#: Keys the API always gives with any part of an object that has them: the kind of a
#: polymorphic object (a date, a residence) and a date's long form.
_ALWAYS = ("type", "langFormaat")


def _pick(record: dict, fields: list[str]) -> dict:
    """Only the asked fields (dotted paths), as the API's `fields` does."""
    out: dict = {}
    for path in fields:
        source, target = record, out
        parts = path.split(".")
        for i, part in enumerate(parts):
            if not isinstance(source, dict) or part not in source:
                break
            if i == len(parts) - 1:
                target[part] = copy.deepcopy(source[part])
            else:
                source = source[part]
                target = target.setdefault(part, {})
                if isinstance(source, dict):
                    target.update({k: source[k] for k in _ALWAYS if k in source})
    return _prune(out)


def _prune(value: dict) -> dict:
    return {k: (_prune(v) if isinstance(v, dict) else v) for k, v in value.items()
            if not (isinstance(v, dict) and not _prune(v))}


@dataclass
class Register:
    """The stand-in's population: test persons plus synthetic residents."""

    people: list[Resident]
    today: dt.date
    municipalities: dict[str, str] = field(default_factory=lambda: {
        "0080": "Leeuwarden", "0363": "Amsterdam", "0599": "Rotterdam", "0518": "s-Gravenhage",
        "1999": "Registratie Niet Ingezetenen (RNI)"})

    def record(self, person: Resident) -> dict:
        """The person as the API's Persoon (every field this stand-in knows)."""
        naam = {"voornamen": person.voornamen, "geslachtsnaam": person.geslachtsnaam}
        if person.voorvoegsel:
            naam["voorvoegsel"] = person.voorvoegsel
        record: dict = {"burgerservicenummer": person.bsn, "naam": naam,
                        "geboorte": {"datum": _lo3_date(person.geboortedatum)},
                        "gemeenteVanInschrijving": {
                            "code": person.gemeente,
                            "omschrijving": self.municipalities.get(person.gemeente,
                                                                    "Onbekend")}}
        age = _age(person.geboortedatum, self.today)
        if age is not None and not person.deceased:
            record["leeftijd"] = age
        if person.deceased:
            record["overlijden"] = {"datum": _lo3_date(person.overlijdensdatum)}
        if person.postcode and person.huisnummer:
            address: dict = {"postcode": person.postcode, "huisnummer": person.huisnummer}
            if person.huisletter:
                address["huisletter"] = person.huisletter
            if person.toevoeging:
                address["huisnummertoevoeging"] = person.toevoeging
            stay: dict = {"type": "Adres", "verblijfadres": address}
            if person.adresseerbaar_object:
                stay["adresseerbaarObjectIdentificatie"] = person.adresseerbaar_object
            if person.nummeraanduiding:
                stay["nummeraanduidingIdentificatie"] = person.nummeraanduiding
            record["verblijfplaats"] = stay
        return record

    def _at(self, match, with_deceased: bool) -> list[Resident]:
        return [p for p in self.people if match(p) and (with_deceased or not p.deceased)]

    def personen(self, query: dict) -> dict:
        kind, fields = query["type"], query["fields"]
        with_deceased = bool(query.get("inclusiefOverledenPersonen"))
        if kind == "RaadpleegMetBurgerservicenummer":
            wanted = set(query["burgerservicenummer"])
            found = [p for p in self.people if p.bsn in wanted]
        elif kind == "ZoekMetPostcodeEnHuisnummer":
            postcode = query["postcode"].replace(" ", "").upper()
            letter = query.get("huisletter", "").lower()
            addition = query.get("huisnummertoevoeging", "").lower()
            found = self._at(lambda p: (
                p.postcode.upper() == postcode and p.huisnummer == query["huisnummer"]
                and (not letter or p.huisletter.lower() == letter)
                and (not addition or p.toevoeging.lower() == addition)), with_deceased)
        elif kind == "ZoekMetNummeraanduidingIdentificatie":
            found = self._at(lambda p: p.nummeraanduiding == query[
                "nummeraanduidingIdentificatie"], with_deceased)
        elif kind == "ZoekMetAdresseerbaarObjectIdentificatie":
            found = self._at(lambda p: p.adresseerbaar_object == query[
                "adresseerbaarObjectIdentificatie"], with_deceased)
        else:
            raise LookupError(kind)
        return {"type": kind, "personen": [_pick(self.record(p), fields) for p in found]}

    def bewoningen(self, query: dict) -> dict:
        """BewoningMetPeildatum: who lived at the address object on the day (registered since
        on or before it, and alive)."""
        if query["type"] != "BewoningMetPeildatum":
            raise LookupError(query["type"])
        day = query["peildatum"].replace("-", "")
        residents = [p for p in self.people
                     if p.adresseerbaar_object == query["adresseerbaarObjectIdentificatie"]
                     and (not p.sinds or p.sinds <= day)
                     and not (p.deceased and p.overlijdensdatum <= day)]
        return {"bewoningen": [{
            "adresseerbaarObjectIdentificatie": query["adresseerbaarObjectIdentificatie"],
            "periode": {"datumVan": query["peildatum"], "datumTot": query["peildatum"]},
            "bewoners": [{"burgerservicenummer": p.bsn} for p in residents],
            "mogelijkeBewoners": [],
        }]} if residents else {"bewoningen": []}


def _error(status: int, title: str, detail: str) -> bytes:
    return json.dumps({"type": "https://datatracker.ietf.org/doc/html/rfc7231", "title": title,
                       "status": status, "detail": detail, "code": "paramsValidation"
                       if status == 400 else "serverError"}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # no request lines on stderr (they hold no data,
        pass                                # but tests and the demo print nothing unasked)

    def do_POST(self) -> None:  # the name http.server calls
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        api = {"/personen": "personen", "/bewoningen": "bewoning"}.get(self.path.rstrip("/"))
        if api is None:
            return self._send(404, _error(404, "Niet gevonden", "Onbekend pad."))
        if self.server.fault == "stilte":
            self.close_connection = True
            return self._send(503, _error(503, "Niet beschikbaar", "Even niet."))
        if self.server.api_key and self.headers.get("X-API-KEY") != self.server.api_key:
            return self._send(401, _error(401, "Niet geautoriseerd", "Geen geldige sleutel."))
        try:
            check_request(api, body)
        except SpecViolation:
            return self._send(400, _error(400, "Een of meerdere parameters zijn niet correct",
                                          "De vraag volgt de specificatie niet."))
        query = json.loads(body)
        # What was asked (the kind and the fields, never the values): tests check minimisation.
        self.server.asked.append((query.get("type", ""), tuple(query.get("fields", ()))))
        register = self.server.register
        try:
            answer = register.personen(query) if api == "personen" \
                else register.bewoningen(query)
        except LookupError:
            return self._send(400, _error(400, "Een of meerdere parameters zijn niet correct",
                                          "Deze vraagsoort kent de stand-in niet."))
        if self.server.fault == "ongeldig":
            # An answer against the spec: a BSN with letters, a date that is none.
            answer = {"type": query.get("type", ""),
                      "personen": [{"burgerservicenummer": "12345678X",
                                    "geboorte": {"datum": {"type": "Datum", "datum": "gisteren",
                                                           "langFormaat": "gisteren"}}}]}
        data = json.dumps(answer, ensure_ascii=False).encode()
        if self.server.fault != "ongeldig":
            # The stand-in never gives an answer the spec does not allow.
            try:
                check_response(api, body, 200, data)
            except SpecViolation as exc:
                self.server.violations.append(str(exc))
                return self._send(500, _error(500, "Interne fout", "Antwoord niet volgens de "
                                                                   "specificatie."))
        self._send(200, data)

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE if status == 200
                         else "application/problem+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    register: Register
    api_key: str | None = None
    #: None; "ongeldig": answers that break the spec; "stilte": 503 on every question.
    fault: str | None = None
    #: Answers it would have given against the spec (a test fails on any).
    violations: list[str]
    #: (query type, fields) of every question that followed the spec.
    asked: list[tuple[str, tuple[str, ...]]]


class BrpStandIn:
    """The stand-in on 127.0.0.1 (a free port), in a thread of this process."""

    def __init__(self, *, today: dt.date, residents: Sequence[Resident] = (),
                 api_key: str | None = None, port: int = 0) -> None:
        # The specs are read once, before the first question (it takes a second or two).
        openapi("personen")
        openapi("bewoning")
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.register = Register([*read_test_persons(), *residents], today)
        self.server.api_key = api_key
        self.server.violations = []
        self.server.asked = []
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="brp-stand-in")

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def register(self) -> Register:
        return self.server.register

    @property
    def violations(self) -> list[str]:
        return self.server.violations

    @property
    def asked(self) -> list[tuple[str, tuple[str, ...]]]:
        return self.server.asked

    def set_fault(self, fault: str | None) -> None:
        self.server.fault = fault

    def start(self) -> BrpStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> BrpStandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
