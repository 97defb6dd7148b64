"""The BRP connector against the local stand-in, over real HTTP on 127.0.0.1.

The stand-in (synthetic/brp_standin.py) answers BRP API Personen v2.7 and Bewoning v2.1 from
RvIG's official test persons (EUPL-1.2) and from synthetic residents at Leeuwarden addresses;
it checks every request and answer against the specs. The client is the production one
(connectors/brp.py); only its URL points at the stand-in. One stand-in (a thread) per module.

The test persons used, as the test set has them:
- 999993112 Wilma van Zon (1970-04-07), 1014AW 14-H in Amsterdam (0363), uses her partner's
  name ("den Braber-van Zon"); lives with Gerrit den Braber and two children born 2009 and 2018;
- 999990147 Buidel, died 26-05-2018 (Rotterdam);
- 999993653 Suzanne Moulin, registered in Rotterdam (0599);
- 999990469 Hélen van Jansons (1948-01-04), 2811AB 12;
- 999991413 Pâte-de-Loupé d'Angelo-Huis in 't Veld (1998-06-07), 3344EM 21.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from connectors.brp import (
    BSN_FIELDS,
    RESIDENT_FIELDS,
    BrpClient,
    BrpFacts,
    Signalled,
    check_signals,
    fold,
    is_business,
    surname_parts,
)
from synthetic.brp_standin import BrpStandIn, Resident
from tests import REPO_ROOT
from vroeg.bsn import first_valid
from vroeg.config import Brp
from vroeg.haalcentraal import SpecViolation, check_response

TODAY = dt.date(2026, 12, 1)

#: Synthetic residents at a Leeuwarden address (wijkteam Centrum): two adults and a minor.
FENNA = first_valid("9999701")
LEEUWARDEN = [
    Resident(bsn=FENNA, voornamen="Fenna", geslachtsnaam="Dijkstra", geboortedatum="19880312",
             gemeente="0080", postcode="8911AB", huisnummer=12, woonplaats="Leeuwarden",
             adresseerbaar_object="0080010000123456", nummeraanduiding="0080200000123456",
             sinds="20200101"),
    Resident(bsn=first_valid("9999702"), voornamen="Sjoerd", voorvoegsel="de",
             geslachtsnaam="Boer", geboortedatum="19860101", gemeente="0080", postcode="8911AB",
             huisnummer=12, woonplaats="Leeuwarden", adresseerbaar_object="0080010000123456",
             nummeraanduiding="0080200000123456", sinds="20200101"),
    Resident(bsn=first_valid("9999703"), voornamen="Tjitske", voorvoegsel="de",
             geslachtsnaam="Boer", geboortedatum="20150606", gemeente="0080", postcode="8911AB",
             huisnummer=12, woonplaats="Leeuwarden", adresseerbaar_object="0080010000123456",
             nummeraanduiding="0080200000123456", sinds="20200101"),
]


@pytest.fixture(scope="module")
def standin():
    with BrpStandIn(today=TODAY, residents=LEEUWARDEN) as server:
        yield server
    assert not server.violations, server.violations


def settings(standin: BrpStandIn, **changes) -> Brp:
    return Brp(enabled=True, personen_url=standin.url, retries=0, timeout_seconds=20, **changes)


def facts(standin: BrpStandIn, signal: Signalled, gemeente: str = "0080") -> BrpFacts:
    with BrpClient(settings(standin), gemeente) as client:
        return client.facts(signal)


# -- the outcomes the issue asks for ---------------------------------------------------------

def test_a_test_person_registered_in_another_municipality_is_excluded_with_the_reason(standin):
    got = facts(standin, Signalled("8911AB", 12, bsn="999993653"))
    assert got.uitsluiten and got.buiten_gemeente and not got.overleden
    assert got.reden == "ingeschreven buiten de gemeente volgens de BRP"


def test_registered_in_the_municipality_at_another_address_is_a_reason_not_an_exclusion(
        standin):
    # Wilma lives at 1014AW 14-H in Amsterdam; her partner signalled her at another address.
    got = facts(standin, Signalled("1011AB", 1, bsn="999993112"), gemeente="0363")
    assert got.ingeschreven_op_adres is False and not got.uitsluiten
    assert got.reden == "niet ingeschreven op dit adres volgens de BRP"


def test_a_deceased_test_person_is_excluded_with_the_reason(standin):
    got = facts(standin, Signalled("3065PE", 1, bsn="999990147"), gemeente="0599")
    assert got.overleden and got.uitsluiten
    assert got.reden == "overleden volgens de BRP"


def test_a_household_with_minors_is_counted_without_names(standin):
    got = facts(standin, Signalled("1014AW", 14, toevoeging="H", bsn="999993112"),
                gemeente="0363")
    assert (got.ingeschreven_op_adres, got.bewoners, got.minderjarigen) == (True, 4, 2)
    assert got.minderjarigen_in_huishouden is True
    # The synthetic Leeuwarden household: two adults and a child of 11.
    here = facts(standin, Signalled("8911 ab", 12, bsn=FENNA))
    assert (here.ingeschreven_op_adres, here.bewoners, here.minderjarigen) == (True, 3, 1)
    # The facts are counts and yes/no: nothing of a name or a BSN.
    text = json.dumps(here.__dict__)
    assert FENNA not in text and "Dijkstra" not in text and "Boer" not in text


@pytest.mark.parametrize(("voornamen", "voorvoegsel", "achternaam"), [
    ("Hélen", "van", "Jansons"),          # as the BRP writes it
    ("Helen", "", "Jansons"),              # no diacritics, no prefix
    ("HELEN", "", "VAN JANSONS"),          # upper case, prefix in the surname
    ("helen", "v.", "jansons"),            # the prefix abbreviated
])
def test_a_name_with_and_without_diacritics_and_prefix_is_found(standin, voornamen,
                                                                 voorvoegsel, achternaam):
    signal = Signalled("2811 AB", 12, voornamen=voornamen, voorvoegsel=voorvoegsel,
                       achternaam=achternaam, geboortedatum=dt.date(1948, 1, 4))
    got = facts(standin, signal, gemeente="0599")
    assert got.ingeschreven_op_adres is True and got.reden is None


@pytest.mark.parametrize("achternaam", [
    "den Braber",            # her partner's name, which she uses
    "Den Braber-van Zon",    # partner's name before her own, as the BRP's naamgebruik V
    "Zon",                   # her own name without its prefix
])
def test_a_married_woman_is_found_under_her_partners_or_her_maiden_name(standin, achternaam):
    signal = Signalled("1014AW", 14, toevoeging="H", voornamen="W.", achternaam=achternaam,
                       geboortedatum=dt.date(1970, 4, 7))
    assert facts(standin, signal, gemeente="0363").ingeschreven_op_adres is True


def test_a_double_name_with_apostrophes_and_prefixes_is_found(standin):
    signal = Signalled("3344EM", 21, voornamen="Pate", achternaam="Huis in t Veld",
                       geboortedatum=dt.date(1998, 6, 7))
    assert facts(standin, signal, gemeente="0530").ingeschreven_op_adres is True


def test_someone_else_at_the_address_is_not_registered_there(standin):
    signal = Signalled("1014AW", 14, toevoeging="H", voornamen="Wilma", achternaam="den Braber",
                       geboortedatum=dt.date(1971, 4, 7))   # another date of birth
    got = facts(standin, signal, gemeente="0363")
    assert got.ingeschreven_op_adres is False and not got.uitsluiten
    assert got.reden == "niet ingeschreven op dit adres volgens de BRP"
    assert got.bewoners == 4  # who lives there is still known


def test_a_contract_in_a_business_name_is_reported_not_guessed(standin):
    before = len(standin.asked)
    got = facts(standin, Signalled("8911AB", 12, voornamen="",
                                   achternaam="Dijkstra Schilderwerken B.V."))
    assert got.ingeschreven_op_adres is None and not got.uitsluiten
    assert got.reden == "contract op een bedrijfsnaam: niet in de BRP gezocht"
    assert len(standin.asked) == before  # nothing asked about a business


def test_a_second_spelling_of_the_address_is_placed_at_the_bsns_address_object(standin):
    """Fenna (BSN) at "12"; Sjoerd without a BSN at "12 hs", which the BRP does not know:
    asked who lives at Fenna's address object, he is found there and gets its id. Someone
    else at "12 hs" is not, and no one is placed by name where a BSN placed them elsewhere."""
    before = len(standin.asked)
    signals = {"fenna": Signalled("8911AB", 12, bsn=FENNA),
               "sjoerd": Signalled("8911AB", 12, toevoeging="HS", voornamen="Sjoerd",
                                   voorvoegsel="de", achternaam="Boer",
                                   geboortedatum=dt.date(1986, 1, 1)),
               "vreemde": Signalled("8911AB", 12, toevoeging="HS", voornamen="Karel",
                                    achternaam="Kok", geboortedatum=dt.date(1970, 5, 5))}
    outcome = check_signals(settings(standin), "0080", signals)
    got = outcome.facts
    assert got["fenna"].adresobject == "0080010000123456" and got["fenna"].adres_zoals_brp
    assert (got["sjoerd"].adresobject, got["sjoerd"].ingeschreven_op_adres,
            got["sjoerd"].minderjarigen, got["sjoerd"].adres_zoals_brp) == (
        "0080010000123456", True, 1, False)
    assert got["vreemde"].adresobject is None and got["vreemde"].ingeschreven_op_adres is False
    asked = [kind for kind, _fields in standin.asked[before:]]
    assert asked.count("ZoekMetAdresseerbaarObjectIdentificatie") == 1
    assert outcome.counts()["brp_met_adresobject"] == 2


# -- minimisation, audit, the specs ----------------------------------------------------------

def test_only_the_needed_fields_are_asked_and_every_query_is_an_audit_line(standin):
    before = len(standin.asked)
    signals = {"s1": Signalled("8911AB", 12, bsn=FENNA),
               "s2": Signalled("8911AB", 12, voornamen="Sjoerd", voorvoegsel="de",
                               achternaam="Boer", geboortedatum=dt.date(1986, 1, 1)),
               # A third signal at the address: the BRP is not asked again who lives there.
               "s3": Signalled("8911 ab", 12, voornamen="T.", voorvoegsel="de",
                               achternaam="Boer", geboortedatum=dt.date(2015, 6, 6))}
    outcome = check_signals(settings(standin), "0080", signals)
    asked = standin.asked[before:]
    assert asked == [("RaadpleegMetBurgerservicenummer", BSN_FIELDS),
                     ("ZoekMetNummeraanduidingIdentificatie", RESIDENT_FIELDS),
                     ("ZoekMetPostcodeEnHuisnummer", RESIDENT_FIELDS)]
    assert [(line.vraagsoort, line.personen, line.uitkomst) for line in outcome.lines] == [
        ("RaadpleegMetBurgerservicenummer", 1, "ok"),
        ("ZoekMetNummeraanduidingIdentificatie", 3, "ok"),
        ("ZoekMetPostcodeEnHuisnummer", 3, "ok")]
    assert {line.activiteit for line in outcome.lines} == {"vroegsignalering-brp-controle"}
    assert "Wgs art. 3" in outcome.lines[0].doel
    assert FENNA not in repr(outcome.lines)
    assert outcome.zonder_brp is None
    assert outcome.counts() == {"brp_gevraagd": 3, "brp_overleden": 0, "brp_buiten_gemeente": 0,
                                "brp_niet_op_adres": 0, "brp_bedrijfsnaam": 0,
                                "brp_met_minderjarigen": 3, "brp_met_adresobject": 1}
    # One spelling of the address: nobody is asked who lives at the address object.
    assert not any(kind == "ZoekMetAdresseerbaarObjectIdentificatie" for kind, _ in asked)


def test_the_standins_answers_follow_both_specs(standin):
    """Every answer of the stand-in is checked by the stand-in itself (a violation would be a
    500 and be listed); here two answers are checked again from outside, Bewoning included."""
    queries = {
        "personen": {"type": "ZoekMetPostcodeEnHuisnummer", "postcode": "1014AW",
                     "huisnummer": 14, "fields": ["naam", "geboorte", "leeftijd",
                                                  "verblijfplaats", "overlijden"]},
        "bewoning": {"type": "BewoningMetPeildatum", "peildatum": "2026-11-01",
                     "adresseerbaarObjectIdentificatie": "0080010000123456"},
    }
    paths = {"personen": "/personen", "bewoning": "/bewoningen"}
    for api, query in queries.items():
        body = json.dumps(query).encode()
        response = httpx.post(standin.url + paths[api], content=body,
                              headers={"Content-Type": "application/json; charset=utf-8"})
        assert response.status_code == 200, response.text
        answer = check_response(api, body, 200, response.content,
                                response.headers["content-type"])
        if api == "bewoning":
            assert len(answer["bewoningen"][0]["bewoners"]) == 3
        else:
            assert len(answer["personen"]) == 4
    assert not standin.violations


def test_an_answer_against_the_spec_is_refused_with_a_clear_error(standin):
    standin.set_fault("ongeldig")
    try:
        outcome = check_signals(settings(standin), "0080",
                                {"s": Signalled("8911AB", 12, bsn=FENNA)})
    finally:
        standin.set_fault(None)
    assert outcome.facts == {}
    assert outcome.zonder_brp.startswith("BRP API personen: antwoord (HTTP 200) niet volgens "
                                         "de specificatie (personen/0/burgerservicenummer: "
                                         "pattern")
    assert "De run gaat verder zonder BRP-gegevens." in outcome.zonder_brp
    assert "12345678X" not in outcome.zonder_brp  # the offending value is not repeated
    assert [line.uitkomst for line in outcome.lines] == ["geweigerd"]


def test_a_brp_that_does_not_answer_leaves_the_run_without_brp_facts_and_says_so(standin):
    standin.set_fault("stilte")
    try:
        outcome = check_signals(settings(standin), "0080",
                                {"s": Signalled("8911AB", 12, bsn=FENNA)})
    finally:
        standin.set_fault(None)
    assert outcome.facts == {} and "antwoordt niet (HTTP 503, na 1 poging)" in outcome.zonder_brp
    # Nobody listening at all: a connection error, after the configured retries.
    with httpx.Client() as probe, pytest.raises(httpx.ConnectError):
        probe.post("http://127.0.0.1:9/personen")
    closed = Brp(enabled=True, personen_url="http://127.0.0.1:9", retries=1, timeout_seconds=2)
    outcome = check_signals(closed, "0080", {"s": Signalled("8911AB", 12, bsn=FENNA)})
    assert "antwoordt niet (ConnectError, na 2 pogingen)" in outcome.zonder_brp


def test_a_question_against_the_spec_is_refused_by_the_standin(standin):
    with BrpClient(settings(standin), "0080") as client:
        from connectors.brp import BrpRefused

        with pytest.raises(BrpRefused, match="weigert de vraag RaadpleegMetBurgerservicenummer "
                                             r"\(HTTP 400"):
            client.personen({"type": "RaadpleegMetBurgerservicenummer",
                             "burgerservicenummer": ["12345"], "fields": ["leeftijd"]})


def test_the_api_key_is_sent_from_the_environment(standin, monkeypatch):
    standin.server.api_key = "proef-sleutel"
    try:
        monkeypatch.setenv("VROEG_BRP_SLEUTEL", "proef-sleutel")
        with_key = settings(standin, api_key_env="VROEG_BRP_SLEUTEL")
        outcome = check_signals(with_key, "0080", {"s": Signalled("8911AB", 12, bsn=FENNA)})
        assert outcome.zonder_brp is None and outcome.facts["s"].bewoners == 3
        without = check_signals(settings(standin), "0080",
                                {"s": Signalled("8911AB", 12, bsn=FENNA)})
        assert "HTTP 401" in without.zonder_brp
    finally:
        standin.server.api_key = None


def test_off_by_default_and_minors_points_need_the_link():
    from vroeg.config import load_municipality
    from vroeg.settings import Home

    assert Brp().enabled is False
    outcome = check_signals(Brp(), "0080", {"s": Signalled("8911AB", 12, bsn=FENNA)})
    assert outcome.facts == {} and "staat uit" in outcome.zonder_brp
    with pytest.raises(ValueError, match="personen_url"):
        Brp(enabled=True)
    sample = load_municipality(Home(REPO_ROOT), "0080")
    assert sample.brp.enabled is False and sample.scoring.minors_points == 0
    assert "household_minors" not in sample.scoring.features
    data = sample.model_dump(exclude={"partners"})
    data["scoring"].update(minors_points=10, features=[*data["scoring"]["features"],
                                                       "household_minors"])
    with pytest.raises(ValueError, match="minors_points gebruikt de BRP"):
        type(sample).model_validate(data)
    data["scoring"]["features"].remove("household_minors")
    with pytest.raises(ValueError, match="household_minors"):
        type(sample).model_validate({**data, "brp": {"enabled": True, "personen_url": "x"}})


# -- the name rules, directly ----------------------------------------------------------------

def test_names_fold_diacritics_case_and_prefixes():
    assert fold("Bronwaßer") == "bronwasser" and fold("Bilgiç") == "bilgic"
    assert fold("  Pâte-de-Loupé ") == "pate-de-loupe"
    assert surname_parts("Meijden", "van der") == {"meijden"}
    assert surname_parts("van der Meijden") == {"meijden"}
    assert surname_parts("Jansen-de Vries") == {"jansen", "vries", "jansen vries"}
    assert surname_parts("d'Angelo-Huis in 't Veld") == {"angelo", "huis veld",
                                                         "angelo huis veld"}
    assert is_business("Bakkerij Jansen B.V.") and is_business("Stichting De Boog")
    assert is_business("Jansen en Zn. VOF") and not is_business("Bavo Jansen")
    assert not is_business("de Vries")


def test_a_spec_violation_names_no_value():
    body = json.dumps({"type": "RaadpleegMetBurgerservicenummer",
                       "personen": [{"burgerservicenummer": "999993112",
                                     "leeftijd": 400}]}).encode()
    with pytest.raises(SpecViolation) as caught:
        check_response("personen", b"{}", 200, body)
    assert "leeftijd" in str(caught.value) and "400" not in str(caught.value).replace(
        "HTTP 200", "")
