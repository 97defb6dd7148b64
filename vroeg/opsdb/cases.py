"""Cases (DDAS vroegsignaalzaken): what came of a household in a month of early warning.

A case is one household in one month of a municipality, keyed by the period and the household's
pseudonym (never by name), not by the printed copy of a list: when a re-run publishes a new
version of a team's list, the households on it keep their cases, so what a coordinator recorded
on version 1 is on version 2 and a colleague does not visit the family a second time (issue 19).
A case points to the newest list its household stands on that month (team, line, rank):
publishing moves it along (`follow_list`, called by vroeg.opsdb.runs.record_publication), also
to another team's list when the household moved. Coordinators record contact attempts (DDAS
contact kind, reached or not, date, part of day) and an end result (DDAS `EnumEindresultaat`) in
the portal, on any version of the month's lists: it is the same case. The vocabulary comes from
the DDAS schema (vroeg/ddas.py), so the export to CBS needs no translation.

Other parts read cases through the query functions at the end of this module:
- matching (exclusions): `no_help_needed` — households whose case was closed with "hoeft geen
  hulp" since a given moment;
- the DDAS export: `cases_between` — every case of a municipality with its contact attempts.
None of them needs a web framework; this module is plain SQLAlchemy on the operational database.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vroeg.ddas import CONTACT_KINDS, END_RESULTS, PARTS_OF_DAY
from vroeg.opsdb import db
from vroeg.opsdb.models import Case, ContactAttempt, Publication, PublicationHousehold

#: The end result that means "the resident needs no help from early warning" (an exclusion
#: for later matching runs, for a configurable number of months).
NO_HELP_NEEDED = "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering"
assert NO_HELP_NEEDED in END_RESULTS


class CaseInputError(ValueError):
    """What a coordinator entered cannot be recorded; the message (Dutch) says why, `field`
    which input it is about (the ContactAttempt/Case attribute), so a form can show it there."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ContactRecord:
    soort: str
    bereikt: bool
    datum: dt.date
    dagdeel: str
    vastgelegd_door: str
    vastgelegd_op: dt.datetime


@dataclass(frozen=True)
class CaseRecord:
    """A case as other modules see it: pseudonyms, codes and dates only."""

    id: str
    gemeente: str
    wijkteam: str
    period: str
    run_id: str
    publication_id: int | None
    rang: int
    huishouden_pseudoniem: str
    aangemaakt_op: dt.datetime
    opgepakt_op: dt.date | None
    eindresultaat: str | None
    eindresultaat_op: dt.datetime | None
    contactpogingen: tuple[ContactRecord, ...]

    @property
    def closed(self) -> bool:
        return self.eindresultaat is not None


def _record(case: Case) -> CaseRecord:
    return CaseRecord(
        id=case.id, gemeente=case.gemeente, wijkteam=case.wijkteam, period=case.period,
        run_id=case.run_id, publication_id=case.publication_id, rang=case.rang,
        huishouden_pseudoniem=case.huishouden_pseudoniem, aangemaakt_op=case.created_at,
        opgepakt_op=case.opgepakt_op, eindresultaat=case.eindresultaat,
        eindresultaat_op=case.eindresultaat_op,
        contactpogingen=tuple(
            ContactRecord(a.soort, a.bereikt, a.datum, a.dagdeel, a.recorded_by, a.recorded_at)
            for a in case.contact_attempts),
    )


# ----------------------------------------------------------------------------------------------
# Recording (the portal)
# ----------------------------------------------------------------------------------------------


def find_case(s: Session, gemeente: str, period: str, pseudonym: str) -> Case | None:
    """The household's case of the month, whichever version of a list it was recorded on."""
    return s.scalars(select(Case).where(Case.gemeente == gemeente, Case.period == period,
                                        Case.huishouden_pseudoniem == pseudonym)).first()


def newest_listing(s: Session, gemeente: str, period: str,
                   pseudonym: str) -> tuple[Publication, PublicationHousehold] | None:
    """The newest list of the month the household stands on, with its line there."""
    found = s.execute(
        select(Publication, PublicationHousehold)
        .join(PublicationHousehold, PublicationHousehold.publication_id == Publication.id)
        .where(Publication.gemeente == gemeente, Publication.period == period,
               PublicationHousehold.huishouden_pseudoniem == pseudonym)
        .order_by(Publication.created_at.desc(), Publication.id.desc()).limit(1)).first()
    return (found[0], found[1]) if found else None


def _case_for(s: Session, publication: Publication, regel: int, rang: int, pseudonym: str,
              by: str) -> Case:
    case = find_case(s, publication.gemeente, publication.period, pseudonym)
    if case is None:
        # Recorded on an older version: the case still describes the newest list.
        newest = newest_listing(s, publication.gemeente, publication.period, pseudonym)
        if newest is not None:
            publication, line = newest
            regel, rang = line.regel, line.rang
        case = Case(id=secrets.token_hex(16), gemeente=publication.gemeente,
                    publication_id=publication.id, run_id=publication.run_id,
                    wijkteam=publication.wijkteam, period=publication.period, regel=regel,
                    rang=rang, huishouden_pseudoniem=pseudonym, created_by=by,
                    created_at=dt.datetime.now(dt.UTC))
        s.add(case)
    return case


def follow_list(s: Session, publication: Publication,
                lines: Iterable[tuple[int, int, str]]) -> int:
    """Point the month's cases of the households on a newly published list to it: `lines` are
    its (regel, rang, pseudonym). Called in the transaction that registers the list, so a case
    never points to a list that is not there. Returns the number of cases moved."""
    where = {pseudonym: (regel, rang) for regel, rang, pseudonym in lines}
    wanted = sorted(where)
    moved = 0
    for start in range(0, len(wanted), 5000):
        for case in s.scalars(select(Case).where(
                Case.gemeente == publication.gemeente, Case.period == publication.period,
                Case.huishouden_pseudoniem.in_(wanted[start:start + 5000]))).all():
            case.publication_id, case.run_id = publication.id, publication.run_id
            case.wijkteam = publication.wijkteam
            case.regel, case.rang = where[case.huishouden_pseudoniem]
            moved += 1
    return moved


def check_contact(publication: Publication, soort: str, bereikt: bool | None, datum: dt.date | None,
                  dagdeel: str, today: dt.date) -> None:
    if soort not in CONTACT_KINDS:
        raise CaseInputError("Kies een soort contact uit de lijst.", "soort")
    if dagdeel not in PARTS_OF_DAY:
        raise CaseInputError("Kies een dagdeel: ochtend, middag of avond.", "dagdeel")
    if bereikt is None:
        raise CaseInputError("Geef aan of de bewoner bereikt is.", "bereikt")
    if datum is None:
        raise CaseInputError("Vul een geldige datum in (dd-mm-jjjj).", "datum")
    if datum > today:
        raise CaseInputError("De datum van een contactpoging kan niet in de toekomst liggen.",
                             "datum")
    period_start = dt.date.fromisoformat(publication.period + "-01")
    if datum < period_start:
        raise CaseInputError(
            f"De datum ligt vóór de periode van deze lijst ({publication.period}).", "datum")


def _serialised(database_url: str, publication: Publication) -> AbstractContextManager[Session]:
    """One find-or-create of a month's case at a time per municipality, so two coordinators
    recording on the same household at once (or on two versions of its list) share one case."""
    return db.serialised(database_url, f"zaken-{publication.gemeente}")


def record_contact(database_url: str, publication: Publication, *, regel: int, rang: int,
                   pseudonym: str, soort: str, bereikt: bool | None, datum: dt.date | None,
                   dagdeel: str, by: str, today: dt.date | None = None) -> CaseRecord:
    """Add a contact attempt to the household's case (created on first use)."""
    check_contact(publication, soort, bereikt, datum, dagdeel, today or dt.date.today())
    with _serialised(database_url, publication) as s:
        case = _case_for(s, publication, regel, rang, pseudonym, by)
        case.contact_attempts.append(ContactAttempt(
            soort=soort, bereikt=bool(bereikt), datum=datum, dagdeel=dagdeel, recorded_by=by,
            recorded_at=dt.datetime.now(dt.UTC)))
        # datumOpgepakt in DDAS: the day the municipality first acted on the case.
        if case.opgepakt_op is None or datum < case.opgepakt_op:
            case.opgepakt_op = datum
        s.flush()
        return _record(case)


def record_end_result(database_url: str, publication: Publication, *, regel: int, rang: int,
                      pseudonym: str, eindresultaat: str, by: str) -> CaseRecord:
    """Close the household's case with a DDAS end result (a later choice replaces it)."""
    if eindresultaat not in END_RESULTS:
        raise CaseInputError("Kies een eindresultaat uit de lijst.", "eindresultaat")
    with _serialised(database_url, publication) as s:
        case = _case_for(s, publication, regel, rang, pseudonym, by)
        case.eindresultaat = eindresultaat
        case.eindresultaat_op = dt.datetime.now(dt.UTC)
        case.eindresultaat_door = by
        s.flush()
        return _record(case)


def cases_on_list(s: Session, publication: Publication) -> list[Case]:
    """The month's cases of the households on this list (any version: a replaced one shows
    what was recorded since, on whichever version)."""
    return list(s.scalars(
        select(Case)
        .join(PublicationHousehold,
              PublicationHousehold.huishouden_pseudoniem == Case.huishouden_pseudoniem)
        .where(PublicationHousehold.publication_id == publication.id,
               Case.gemeente == publication.gemeente, Case.period == publication.period)
    ).all())


def cases_of_publication(database_url: str, publication_id: int) -> dict[str, CaseRecord]:
    """The cases of the households on one list, by household pseudonym."""
    with db.session(database_url) as s:
        publication = s.get(Publication, publication_id)
        if publication is None:
            return {}
        return {c.huishouden_pseudoniem: _record(c) for c in cases_on_list(s, publication)}


# ----------------------------------------------------------------------------------------------
# Queries for matching (exclusions) and the DDAS export
# ----------------------------------------------------------------------------------------------


def closed_cases(database_url: str, gemeente: str, *, since: dt.datetime | None = None,
                 results: Iterable[str] | None = None) -> list[CaseRecord]:
    """Cases closed (end result recorded) since `since`, optionally only with these results."""
    query = select(Case).where(Case.gemeente == gemeente, Case.eindresultaat.is_not(None))
    if since is not None:
        query = query.where(Case.eindresultaat_op >= since)
    if results is not None:
        wanted = list(results)
        unknown = set(wanted) - set(END_RESULTS)
        if unknown:
            raise ValueError(f"not DDAS end results: {sorted(unknown)}")
        query = query.where(Case.eindresultaat.in_(wanted))
    with db.session(database_url) as s:
        return [_record(c) for c in s.scalars(query.order_by(Case.eindresultaat_op)).all()]


def no_help_needed(database_url: str, gemeente: str, *, since: dt.datetime) -> set[str]:
    """Household pseudonyms whose case was closed with "hoeft geen hulp" since `since`.

    For the exclusion "a case closed with 'hoeft geen hulp' less than N months ago": pass
    `since = start of the matching period - N months`.
    """
    return {c.huishouden_pseudoniem
            for c in closed_cases(database_url, gemeente, since=since, results=[NO_HELP_NEEDED])}


def cases_between(database_url: str, gemeente: str, first_period: str,
                  last_period: str) -> list[CaseRecord]:
    """Every case of the periods first_period..last_period (YYYY-MM, inclusive): one per
    household and month, however many versions of its list were published."""
    query = (select(Case)
             .where(Case.gemeente == gemeente, Case.period >= first_period,
                    Case.period <= last_period)
             .order_by(Case.period, Case.wijkteam, Case.rang))
    with db.session(database_url) as s:
        return [_record(c) for c in s.scalars(query).all()]


# ----------------------------------------------------------------------------------------------
# Privacy: subject access and erasure (governance/subject.py, governance/erasure.py)
# ----------------------------------------------------------------------------------------------


def cases_of_households(database_url: str, gemeente: str,
                        pseudonyms: Iterable[str]) -> list[CaseRecord]:
    """Every case of these households (pseudonyms of any key version), oldest list first."""
    wanted = sorted(set(pseudonyms))
    found: list[CaseRecord] = []
    with db.session(database_url) as s:
        for start in range(0, len(wanted), 5000):
            found += [_record(c) for c in s.scalars(
                select(Case).where(Case.gemeente == gemeente,
                                   Case.huishouden_pseudoniem.in_(wanted[start:start + 5000]))
            ).all()]
    return sorted(found, key=lambda c: (c.period, c.wijkteam, c.aangemaakt_op))


def attempts_of_households(database_url: str, gemeente: str, pseudonyms: Iterable[str]
                           ) -> dict[str, list[tuple[str, bool, dt.date]]]:
    """Per household, its contact attempts so far as (kind, reached, date), in any month and by
    any team (a household that moved brings its closed doors along): what the advice after
    unanswered attempts reads, at publication and in the portal."""
    found: dict[str, list[tuple[str, bool, dt.date]]] = {}
    for case in cases_of_households(database_url, gemeente, pseudonyms):
        found.setdefault(case.huishouden_pseudoniem, []).extend(
            (a.soort, a.bereikt, a.datum) for a in case.contactpogingen)
    return found


def delete_cases(database_url: str, ids: Iterable[str]) -> tuple[int, int]:
    """Destroy these cases and their contact attempts; (cases, attempts) deleted."""
    wanted = sorted(set(ids))
    cases = attempts = 0
    with db.session(database_url) as s:
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start:start + 5000]
            # Explicitly, not by the foreign key's cascade: the count is recorded.
            attempts += s.execute(delete(ContactAttempt)
                                  .where(ContactAttempt.case_id.in_(chunk))).rowcount
            cases += s.execute(delete(Case).where(Case.id.in_(chunk))).rowcount
    return cases, attempts


def delete_cases_of_households(database_url: str, gemeente: str,
                               pseudonyms: Iterable[str]) -> tuple[int, int]:
    """Destroy these households' cases (pseudonyms of any key version) and their contact
    attempts; (cases, attempts) deleted."""
    return delete_cases(database_url, [c.id for c in cases_of_households(
        database_url, gemeente, pseudonyms)])
