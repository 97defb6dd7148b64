"""The DDAS exchange document a page at a time, for the API CBS calls (reporting/ddas_api).

The same facts (records.gather), the same re-identification and the same mapping as the file
export (ddas_export): only the cut differs. The signals of all selected municipalities are put
in one order (municipality after municipality, each in the order gather returns them) and cut in
pages of `pageSize` signals; a case travels on the page of its first signal and refers to all its
signals by their stable `ID`, so the pages together hold exactly what the file holds. Every page
carries one `levering` per selected municipality (the schema needs at least one; `teller` stays
the same on every page), possibly without signals.

Memory: the facts of the period are pseudonymised rows of a few fields; what grows with a
signal's content (identities, the document, its bytes) is built for one page only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from privacy import purposes
from reporting import ddas_export, validate
from reporting.ddas_export import Delivery
from reporting.records import Reportable, gather

#: At most this many vroegsignalen in one answer (the VNG documentation of the interface).
MAX_PAGE_SIZE = 50_000


@dataclass(frozen=True)
class Paginering:
    page_size: int
    current_page: int
    total_pages: int
    total_records: int

    def as_dict(self) -> dict[str, int]:
        return {"pageSize": self.page_size, "currentPage": self.current_page,
                "totalPages": self.total_pages, "totalRecords": self.total_records}

    @property
    def start(self) -> int:
        return (self.current_page - 1) * self.page_size


def plan(total: int, page: int | None, page_size: int | None) -> Paginering | None:
    """The page to answer, or None when the answer is not paged (everything in one answer).

    Paged when there are more signals than fit in one answer, or when the caller asked for a
    page or a page size; without `page` the first. A page beyond the last is answered (with no
    signals) so the caller learns how many there are."""
    size = min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    if page is None and page_size is None and total <= MAX_PAGE_SIZE:
        return None
    return Paginering(page_size=size, current_page=page or 1,
                      total_pages=max(1, math.ceil(total / size)), total_records=total)


@dataclass
class Part:
    """One municipality's share of a page: its facts cut to the page, and what was opened."""

    ctx: object
    period: Reportable
    page: Reportable
    identities: dict[str, dict] = field(default_factory=dict)
    trace: str | None = None
    parent: str | None = None


def cut(periods: list[Reportable], paging: Paginering | None) -> list[Reportable]:
    """Each municipality's facts restricted to the page (pure)."""
    start = 0 if paging is None else paging.start
    end = None if paging is None else start + paging.page_size
    offset = 0
    pages: list[Reportable] = []
    for facts in periods:
        count = len(facts.signals)
        lo = max(start - offset, 0)
        hi = count if end is None else min(max(end - offset, 0), count)
        signals = facts.signals[lo:hi] if lo < hi else []
        position = {s.signaal: i for i, s in enumerate(facts.signals)}
        cases = []
        for case in facts.cases:
            places = [position[s] for s in case.signals if s in position]
            if places and lo <= min(places) < hi:
                cases.append(case)
        pages.append(Reportable(gemeente=facts.gemeente, van=facts.van, tot=facts.tot,
                                signals=signals, cases=cases))
        offset += count
    return pages


@dataclass
class PageAnswer:
    document: dict
    paginering: Paginering | None
    parts: list[Part]

    @property
    def signals(self) -> int:
        return sum(len(item["vroegsignalen"]) for item in self.document["leveringen"])

    @property
    def cases(self) -> int:
        return sum(len(item["vroegsignaalzaken"]) for item in self.document["leveringen"])


PURPOSE = purposes.processing_purpose("ddas-export")


def answer(contexts: list, van: dt.date, tot: dt.date, page: int | None, page_size: int | None,
           *, supplier: str, now: dt.datetime, **audit: str) -> PageAnswer:
    """Gather the period, cut the page, open the page's identities (logged per household under
    a bulk line `ddas-api` carrying `audit`), build the document and check it against the
    schema."""
    periods = [gather(ctx, van, tot) for ctx in contexts]
    paging = plan(sum(len(f.signals) for f in periods), page, page_size)
    parts = [Part(ctx, facts, cut_facts)
             for ctx, facts, cut_facts in zip(contexts, periods, cut(periods, paging),
                                              strict=True)]
    for part in parts:
        wanted = {s.signaal for s in part.page.signals}
        wanted |= {s for case in part.page.cases for s in case.signals}
        if not wanted:
            continue
        part.identities, part.trace, part.parent = ddas_export.reidentify(
            part.ctx, part.period, wanted, PURPOSE, "ddas-api", van=van.isoformat(),
            tot=tot.isoformat(), pagina=paging.current_page if paging else 1, **audit)
    deliveries = [Delivery(p.ctx.gemeente, p.ctx.municipality.name, p.page,
                           p.identities)
                  for p in parts]
    doc = ddas_export.document(deliveries, van, tot, supplier=supplier, now=now)
    # The export's guarantee holds for every page: nothing goes out that the schema refuses
    # (raises validate.InvalidExport, whose message names paths and rules, never values).
    validate.check(doc)
    return PageAnswer(doc, paging, parts)


def disclose(result: PageAnswer, digest: str) -> int:
    """After the answer is built and signed, before it is sent: one `ddas-verstrekking` line per
    household whose data is in it, with the SHA-256 of the body. Returns how many households."""
    total = 0
    for part in result.parts:
        if part.trace is None:
            continue
        delivery = Delivery(part.ctx.gemeente, part.ctx.municipality.name, part.page,
                            part.identities)
        total += ddas_export.disclose(part.ctx, part.trace, part.parent, delivery, PURPOSE,
                                      bericht_sha256=digest, kanaal="api")
    return total
