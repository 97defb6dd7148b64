"""Reporting: the DDAS export to CBS (schema-valid, refused when not, logged per household), the
partner feedback (ids and flags only) and the monitor figures (checked against hand counts).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import stat
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from reporting import ddas_export, feedback, mapping, monitor, validate
from reporting.records import CaseFact, Reportable, SignalFact
from tests import REPO_ROOT
from vroeg import ddas
from vroeg.opsdb.cases import CaseRecord, ContactRecord

REPO = REPO_ROOT
runner = CliRunner()


def shared_schema_path() -> Path:
    """The schema as published (../shared/ddas/ beside the main repository), else the verbatim
    copy the code uses; when both exist they must be identical."""
    for parent in REPO.parents:
        candidate = parent / "shared" / "ddas" / "v1.2" / "json_schema_Uitwisselmodel.json"
        if candidate.exists():
            assert candidate.read_bytes() == ddas.SCHEMA_PATH.read_bytes()
            return candidate
    return ddas.SCHEMA_PATH


def schema_validator() -> jsonschema.Draft202012Validator:
    """An independent validator, read from the schema file, with format checks on."""
    schema = json.loads(shared_schema_path().read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


# ---------------------------------------------------------------------------------------------
# Hand-built facts
# ---------------------------------------------------------------------------------------------

D = dt.date


def sig(name: str, household: str, day: dt.date, *, partner_type: str = "Zorg",
        team: str = "wt-a", case: str | None = None, status: str = mapping.NOG_NIET_OPGEPAKT,
        cents: int = 12_345, partner: str = "zorg-noord") -> SignalFact:
    return SignalFact(signaal=name, huishouden=household, partner_id=partner,
                      partner_type=partner_type, signaaldatum=day,
                      ontstaansdatum=day - dt.timedelta(days=40), bedrag_cent=cents,
                      crisis=False, wijkteam=team, status=status, case_id=case)


def case(case_id: str, team: str, signals: tuple[str, ...], *, contacts=(), result=None,
         period: str = "2026-03") -> CaseFact:
    attempts = tuple(ContactRecord(soort, reached, day, "Middag", "coord",
                                   dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
                     for soort, reached, day in contacts)
    record = CaseRecord(
        id=case_id, gemeente="0080", wijkteam=team, period=period, run_id=f"{period}-run",
        publication_id=1, rang=1, huishouden_pseudoniem=f"h-{case_id}",
        aangemaakt_op=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        opgepakt_op=min((d for _, _, d in contacts), default=None), eindresultaat=result,
        eindresultaat_op=None if result is None else dt.datetime(2026, 4, 20, tzinfo=dt.UTC),
        contactpogingen=attempts)
    start = D(2026, 3, 1)
    return CaseFact(case=record, signals=signals, matchingsdatum=D(2026, 4, 2),
                    period_start=start, period_end=D(2026, 3, 31))


def hand_built() -> tuple[list[SignalFact], list[CaseFact]]:
    """Window: March and April 2026. Team wt-a (2,000 inhabitants), team wt-b (unknown).

    household  signals (date, type)                 notes
    h1 (wt-a)  s1 2026-03-03 Zorg, s2 2026-03-20 Huur  meervoudig (2 in March); case c1
    h2 (wt-a)  s0 2025-12-10 Water (before window),    s3 opeenvolgend (December is within 6
               s3 2026-03-15 Energie                   months before March); case c2
    h3 (wt-b)  s4 2026-04-02 Zorg                      opeenvolgend on nothing; no case
    h4 (wt-b)  s5 2026-03-05 Zorg, s6 2026-04-05 Zorg  s6 opeenvolgend (March); case c3 (s5)
    h5 (wt-a)  s7 2025-08-01 Zorg (before window, >6 months before s8), s8 2026-04-30 Water
    """
    signals = [
        sig("s0", "h2", D(2025, 12, 10), partner_type="Water"),
        sig("s1", "h1", D(2026, 3, 3), case="c1"),
        sig("s2", "h1", D(2026, 3, 20), partner_type="Huur", case="c1"),
        sig("s3", "h2", D(2026, 3, 15), partner_type="Energie", case="c2"),
        sig("s4", "h3", D(2026, 4, 2), team="wt-b"),
        sig("s5", "h4", D(2026, 3, 5), team="wt-b", case="c3"),
        sig("s6", "h4", D(2026, 4, 5), team="wt-b"),
        sig("s7", "h5", D(2025, 8, 1)),
        sig("s8", "h5", D(2026, 4, 30), partner_type="Water"),
    ]
    cases = [
        # c1: first contact 2026-04-06, earliest signal 2026-03-03 -> 34 days; reached; closed.
        case("c1", "wt-a", ("s1", "s2"), contacts=[("Brief", False, D(2026, 4, 6)),
                                                   ("Huisbezoek", True, D(2026, 4, 9))],
             result="(Budget)advies en/of quick fix"),
        # c2: first contact 2026-04-04, signal 2026-03-15 -> 20 days; not reached; closed.
        case("c2", "wt-a", ("s3",), contacts=[("Telefoon", False, D(2026, 4, 4))],
             result="Definitief geen contact kunnen krijgen"),
        # c3: first contact 2026-03-25, signal 2026-03-05 -> 20 days; reached; open.
        case("c3", "wt-b", ("s5",), contacts=[("Telefoon", True, D(2026, 3, 25))]),
    ]
    return signals, cases


def test_monitor_figures_of_a_hand_built_data_set_match_hand_counts():
    signals, cases = hand_built()
    figures = monitor.figures(signals, cases, D(2026, 3, 1), D(2026, 4, 30), inhabitants=4000,
                              team_inhabitants={"wt-a": 2000, "wt-b": None},
                              consecutive_months=6)
    by = {f.scope: f for f in figures}
    assert [f.scope for f in figures] == ["gemeente", "wt-a", "wt-b"]

    g = by["gemeente"]
    # In the window: s1 s2 s3 s5 (March), s4 s6 s8 (April) = 7 signals.
    assert g.signals == 7
    assert g.per_month == {"2026-03": 4, "2026-04": 3}
    assert g.per_1000_per_month == {"2026-03": pytest.approx(1.0), "2026-04": pytest.approx(0.75)}
    assert g.per_1000_month_average == pytest.approx(7 * 1000 / 4000 / 2)
    assert g.partner_types == {"Energie": pytest.approx(1 / 7), "Huur": pytest.approx(1 / 7),
                               "Water": pytest.approx(1 / 7), "Zorg": pytest.approx(4 / 7)}
    assert g.meervoudig == pytest.approx(2 / 7)        # s1, s2
    assert g.opeenvolgend == pytest.approx(2 / 7)      # s3 (after s0), s6 (after s5); not s8
    assert g.became_case == pytest.approx(4 / 7)       # s1 s2 s3 s5
    assert g.cases == 3 and g.open_cases == 1
    assert g.reached == pytest.approx(2 / 3)
    assert g.outcomes == {"(Budget)advies en/of quick fix": 1,
                          "Definitief geen contact kunnen krijgen": 1}
    assert g.days_to_contact_median == 20.0            # 34, 20, 20
    assert g.days_to_contact_mean == pytest.approx(74 / 3)

    a = by["wt-a"]
    assert (a.signals, a.per_month) == (4, {"2026-03": 3, "2026-04": 1})
    assert a.per_1000_per_month == {"2026-03": pytest.approx(1.5), "2026-04": pytest.approx(0.5)}
    assert a.per_1000_month_average == pytest.approx(1.0)
    assert a.meervoudig == pytest.approx(2 / 4) and a.opeenvolgend == pytest.approx(1 / 4)
    assert a.became_case == pytest.approx(3 / 4)
    assert (a.cases, a.reached, a.days_to_contact_median) == (2, pytest.approx(0.5), 27.0)

    b = by["wt-b"]
    assert b.signals == 3 and b.per_1000_month_average is None
    assert b.per_1000_per_month == {"2026-03": None, "2026-04": None}
    assert b.partner_types == {"Zorg": pytest.approx(1.0)}
    assert b.meervoudig == 0 and b.opeenvolgend == pytest.approx(1 / 3)
    assert b.became_case == pytest.approx(1 / 3)
    assert (b.cases, b.reached, b.open_cases, b.outcomes) == (1, 1.0, 1, {})
    assert b.days_to_contact_median == 20.0

    rows = monitor.rows(figures)
    assert ("gemeente", "aandeel_meervoudig", "", "0,2857") in rows
    assert ("wt-a", "signalen_per_1000_inwoners_per_maand", "2026-03", "1,5000") in rows


def test_monitor_charts_are_svg_of_counts(tmp_path):
    from reporting import charts, monitor_output

    signals, cases = hand_built()
    figures = monitor.figures(signals, cases, D(2026, 3, 1), D(2026, 4, 30), inhabitants=4000,
                              team_inhabitants={"wt-a": 2000, "wt-b": None})
    drawn = charts.charts(figures, "maart-april 2026")
    assert {"signalen_per_maand.svg", "eindresultaten.svg", "bereik_per_wijkteam.svg",
            "signalen_per_1000_per_wijkteam.svg"} == set(drawn)
    for svg in drawn.values():
        assert svg.startswith("<svg") and "<script" not in svg
    written = monitor_output.write(figures, tmp_path, "0080", D(2026, 3, 1), D(2026, 4, 30))
    assert len(written) == 5 and all(p.exists() for p in written)
    table = list(csv.reader(io.StringIO(written[0].read_text(encoding="utf-8-sig")),
                            delimiter=";"))
    assert table[0] == ["eenheid", "kengetal", "categorie", "waarde"]


# ---------------------------------------------------------------------------------------------
# Mapping, schema check, refusal
# ---------------------------------------------------------------------------------------------


def test_mapping_targets_are_schema_values():
    statuses = set(ddas.enum("EnumSignaalstatus"))
    for household_status in ("uitgesloten", "herhaling", "onder_drempel", "buiten_termijn",
                             "bezoeklijst", None):
        for kind in (*mapping.EXCLUSION_STATUS, None, "iets-anders"):
            for counted in (True, False):
                assert mapping.signal_status(case_status=None, counted=counted,
                                             household_status=household_status,
                                             exclusion_kind=kind) in statuses
    for result in (*ddas.enum("EnumEindresultaat"), None):
        for acted in (True, False):
            assert mapping.case_signal_status(end_result=result, acted=acted) in statuses
    assert mapping.case_signal_status(end_result="Niet opgepakt: onterecht signaal",
                                      acted=True) == "Niet opgepakt: onterecht signaal"
    assert mapping.signal_status(case_status=None, counted=False, household_status="uitgesloten",
                                 exclusion_kind="overleden") == "Inwoner is overleden"
    assert [mapping.whole_euros(c) for c in (0, 49, 50, 12_345, 12_399, 100_000)] == \
        [0, 0, 1, 123, 124, 1000]
    assert mapping.client({"bsn": "123456782", "postcode": "8911 AB"}) == \
        {"burgerservicenummer": "123456782"}
    assert mapping.client({"bsn": None, "postcode": "8911 ab", "huisnummer": "3",
                           "huisnummertoevoeging": "A"}) == \
        {"postcode": "8911AB", "huisnummer": "3", "huisnummertoevoeging": "A"}


def _hand_delivery(bsn: str = "123456782") -> ddas_export.Delivery:
    signals, cases = hand_built()
    window = [s for s in signals if s.signaaldatum >= D(2026, 3, 1)]
    identities = {s.signaal: {"partner_id": s.partner_id, "signaal_id": f"Z-{s.signaal}",
                              "bsn": bsn if s.signaal == "s3" else None, "postcode": "8911AB",
                              "huisnummer": "3", "huisnummertoevoeging": None}
                  for s in window}
    facts = Reportable("0080", D(2026, 3, 1), D(2026, 4, 30), window, cases)
    return ddas_export.Delivery("0080", "Leeuwarden (voorbeeldgemeente)", facts, identities)


def test_a_hand_built_export_is_valid_against_the_schema_file():
    doc = ddas_export.document([_hand_delivery()], D(2026, 3, 1), D(2026, 4, 30),
                               supplier="test", now=dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC))
    schema_validator().validate(doc)
    validate.check(doc)
    levering = doc["leveringen"][0]
    assert doc["aanleverdatumEnTijd"] == "2026-05-01T09:00:00Z"
    assert levering["vroegsignalen"][0]["bedrag"] == 123          # €123.45 -> 123
    assert {"ID": "zorg-noord:Z-s1"} in levering["vroegsignaalzaken"][0]["vroegsignalen"]
    assert levering["vroegsignaalzaken"][0]["contactpogingen"][0] == {
        "soort": "Brief", "bereikt": False, "datum": "2026-04-06", "dagdeel": "Middag"}

    # Several municipalities in one file: one levering each, counted.
    other = ddas_export.Delivery("0081", "Tweede gemeente", _hand_delivery().facts,
                                 _hand_delivery().identities)
    both = ddas_export.document([_hand_delivery(), other], D(2026, 3, 1), D(2026, 4, 30),
                                supplier="test", now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    schema_validator().validate(both)
    assert [(x["teller"], x["gemeentecode"]) for x in both["leveringen"]] == \
        [(1, "0080"), (2, "0081")]


def test_an_export_that_would_break_the_schema_is_refused_and_leaves_no_file(tmp_path):
    # A BSN that lost its leading zero in a partner's spreadsheet: eight digits.
    doc = ddas_export.document([_hand_delivery(bsn="12345678")], D(2026, 3, 1), D(2026, 4, 30),
                               supplier="test", now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    with pytest.raises(jsonschema.ValidationError):
        schema_validator().validate(doc)
    target = tmp_path / "cbs" / "export.json"
    with pytest.raises(validate.InvalidExport) as refused:
        ddas_export.write(target, doc)
    index = next(i for i, s in enumerate(doc["leveringen"][0]["vroegsignalen"])
                 if "burgerservicenummer" in s["client"])
    assert f"/leveringen/0/vroegsignalen/{index}/client" in str(refused.value)
    assert "12345678" not in str(refused.value)              # the message names no value
    assert not target.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no temporary file either

    # A case whose end result is not a schema value: the path names the field.
    good = ddas_export.document([_hand_delivery()], D(2026, 3, 1), D(2026, 4, 30),
                                supplier="test", now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    good["leveringen"][0]["vroegsignaalzaken"][1]["resultaat"] = "Hoeft niet"
    with pytest.raises(validate.InvalidExport) as refused:
        ddas_export.write(target, good)
    assert "/leveringen/0/vroegsignaalzaken/1/resultaat" in str(refused.value)
    assert not target.exists()


def test_feedback_lines_carry_only_ids_and_flags():
    signals, _ = hand_built()
    statuses = {"s1": mapping.OPGEPAKT, "s3": "Niet opgepakt: onterecht signaal"}
    marked = [SignalFact(**{**s.__dict__, "status": statuses.get(s.signaal, s.status)})
              for s in signals]
    ids = {s.signaal: f"ZN-{s.signaal}" for s in marked}
    data = feedback.render(feedback.lines(marked, ids)).decode()
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[0] == ["signaal_id", "terugkoppeling"]
    assert {tuple(r) for r in rows[1:]} == {(f"ZN-{s.signaal}", "opgepakt" if s.signaal == "s1"
                                             else "niet opgepakt") for s in marked}
    assert "onterecht" not in data                                  # never why


# ---------------------------------------------------------------------------------------------
# The demo municipality, end to end (real pipeline, cases recorded as the portal does)
# ---------------------------------------------------------------------------------------------


def _listed_lines(home) -> list[tuple]:
    """(publication, line) for every line of the demo's lists, team by team."""
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication, PublicationHousehold

    with db.session(home.database_url) as s:
        return [tuple(r) for r in s.execute(
            select(Publication, PublicationHousehold)
            .join(PublicationHousehold, PublicationHousehold.publication_id == Publication.id)
            .order_by(Publication.wijkteam, PublicationHousehold.regel)).all()]


def _record_cases(home, period_start: dt.date) -> dict[str, str]:
    """One closed case per DDAS end result, plus open ones, spread over the teams, through
    vroeg.opsdb.cases as the portal records them. Returns household pseudonym -> end result."""
    from vroeg.opsdb import cases

    lines = _listed_lines(home)
    by_team: dict[str, list[tuple]] = {}
    for publication, line in lines:
        by_team.setdefault(publication.wijkteam, []).append((publication, line))
    # Round-robin over the teams so every team has cases.
    order = [pair for rank in range(max(map(len, by_team.values())))
             for team in sorted(by_team) for pair in by_team[team][rank:rank + 1]]
    results = list(cases.END_RESULTS)
    closed: dict[str, str] = {}
    for i, (publication, line) in enumerate(order[:len(results) + 3]):
        day = period_start + dt.timedelta(days=3 + i % 20)
        for k, soort in enumerate(("Brief", "Telefoon")[: 1 + i % 2]):
            cases.record_contact(
                home.database_url, publication, regel=line.regel, rang=line.rang,
                pseudonym=line.huishouden_pseudoniem, soort=soort, bereikt=k == 1 or i % 3 == 0,
                datum=day + dt.timedelta(days=k), dagdeel=("Ochtend", "Middag", "Avond")[i % 3],
                by="coord-test")
        if i < len(results):
            cases.record_end_result(
                home.database_url, publication, regel=line.regel, rang=line.rang,
                pseudonym=line.huishouden_pseudoniem, eindresultaat=results[i], by="coord-test")
            closed[line.huishouden_pseudoniem] = results[i]
    return closed


def test_demo_export_with_every_end_result_is_valid_logged_and_private(tmp_path,
                                                                       monkeypatch):
    from cli import app
    from scoring.score import Period
    from tests.demo_home import demo_copy
    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    home, demo = demo_copy(tmp_path, monkeypatch)
    period = Period.parse(demo["periode"])
    closed = _record_cases(home, period.start)
    assert set(closed.values()) == set(ddas.enum("EnumEindresultaat"))

    first = period.start - dt.timedelta(days=31)
    out = tmp_path / "cbs" / "levering.json"
    args = ["export-ddas", "--from", first.replace(day=1).isoformat(), "--to",
            (period.end - dt.timedelta(days=1)).isoformat(), "--out", str(out), "-g", "0080"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)

    doc = json.loads(out.read_text(encoding="utf-8"))
    schema_validator().validate(doc)                       # the published schema, formats on
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    levering = doc["leveringen"][0]
    assert levering["gemeentecode"] == "0080"
    zaken = levering["vroegsignaalzaken"]
    assert {z["resultaat"] for z in zaken if "resultaat" in z} == \
        set(ddas.enum("EnumEindresultaat"))
    assert len(zaken) == len(ddas.enum("EnumEindresultaat")) + 3
    ids = {s["ID"] for s in levering["vroegsignalen"]}
    assert all(ref["ID"] in ids for z in zaken for ref in z["vroegsignalen"])
    statuses = {s["status"] for s in levering["vroegsignalen"]}
    assert {"Opgepakt", "Nog niet opgepakt", "Niet opgepakt: onterecht signaal",
            "Inwoner is overleden"} <= statuses
    assert all(isinstance(s["bedrag"], int) for s in levering["vroegsignalen"])
    clients = [s["client"] for s in levering["vroegsignalen"]]
    assert any("burgerservicenummer" in c for c in clients)
    assert any("postcode" in c for c in clients)

    # Logged per household: re-identified for the export, then disclosed to CBS.
    households = summary["gemeenten"]["0080"]["huishoudens"]
    with db.session(home.database_url) as s:
        names = [(line.name, line.data_subject_id is not None, (line.attributes or {}).get("doel"))
                 for line in s.scalars(select(AuditLine).where(
                     AuditLine.name.in_(["ddas-export", "ddas-verstrekking",
                                         "heridentificatie"]))).all()]
    assert sum(1 for n, subj, doel in names if n == "ddas-verstrekking" and subj) == households
    assert sum(1 for n, subj, doel in names if n == "heridentificatie" and subj
               and doel == "proces: ddas-export") >= households
    assert ("ddas-export", False, None) in names
    # The audit trail names households by encrypted pseudonym, never by BSN.
    bsns = [c["burgerservicenummer"] for c in clients if "burgerservicenummer" in c]
    with db.session(home.database_url) as s:
        text = " ".join(str((entry.attributes, entry.data_subject_id))
                        for entry in s.scalars(select(AuditLine)).all())
    assert not [b for b in bsns if b in text]

    # The partner feedback for the same period: ids and flags only, in the partner's outbox.
    result = runner.invoke(app, ["feedback", "--partner", "zorg-noord", "--from",
                                 period.start.isoformat(), "--to",
                                 (period.end - dt.timedelta(days=1)).isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    path = Path(answer["bestand"])
    assert path.parent == home.outbox_dir("0080") / "_partners" / "zorg-noord"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"))
    assert rows[0] == ["signaal_id", "terugkoppeling"]
    assert {r[1] for r in rows[1:]} <= {"opgepakt", "niet opgepakt"} and len(rows) > 1
    assert answer["opgepakt"] >= 1 and answer["niet_opgepakt"] >= 1
    assert all(len(r) == 2 for r in rows)
    exported = {s["ID"].split(":", 1)[1] for s in levering["vroegsignalen"]
                if s["ID"].startswith("zorg-noord:")}
    assert {r[0] for r in rows[1:]} <= exported
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # The monitor on the same installation.
    result = runner.invoke(app, ["monitor", "--from", period.start.isoformat(), "--to",
                                 (period.end - dt.timedelta(days=1)).isoformat(), "--out",
                                 str(tmp_path / "monitor")])
    assert result.exit_code == 0, result.output
    assert "Monitor vroegsignalering" in result.output and "wt-centrum" in result.output
    # With signals and closed cases the two municipality tables are printed, not their sentence.
    said = " ".join(result.output.split())
    assert "Aandeel per partnertype (gemeente)" in said and "Eindresultaten (gemeente)" in said
    assert "geen aandeel per partnertype" not in said
    written = sorted((tmp_path / "monitor").iterdir())
    assert len(written) == 5
    figures = list(csv.reader(io.StringIO(next(p for p in written if p.suffix == ".csv")
                                          .read_text(encoding="utf-8-sig")), delimiter=";"))
    cases_total = next(r for r in figures if r[:2] == ["gemeente", "zaken"])
    assert cases_total[3] == str(len(ddas.enum("EnumEindresultaat")) + 3)


def test_an_invalid_demo_export_is_refused_by_the_command_and_leaves_no_file(
        tmp_path, monkeypatch):
    """A partner's BSN that the schema refuses (eight digits) stops the whole export."""
    from cli import app
    from scoring.score import Period
    from tests.demo_home import demo_copy

    home, demo = demo_copy(tmp_path, monkeypatch)
    period = Period.parse(demo["periode"])
    monkeypatch.setattr(mapping, "client", lambda identity: {"burgerservicenummer": "12345678"})
    out = tmp_path / "cbs" / "levering.json"
    result = runner.invoke(app, ["export-ddas", "--from", period.start.isoformat(), "--to",
                                 (period.end - dt.timedelta(days=1)).isoformat(),
                                 "--out", str(out)])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "/leveringen/0/vroegsignalen/0/client: moet precies één identificatie" in said
    assert "geen bestand geschreven" in said and "12345678" not in said
    assert not out.exists()
    assert not (tmp_path / "cbs").exists() or not list((tmp_path / "cbs").iterdir())
