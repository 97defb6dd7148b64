"""Issue 19, point 4: the figures add up wherever the portal shows them.

- The data officer's delivery page: "gelezen = geladen + quarantaine + dubbel", where `geladen`
  already holds the rows that updated a known signal (they were counted twice).
- A coordinator's overview and list page name the same numbers the same way: the bezoeklijst and
  the wachtlijst, not "20 huishoudens" on one page and "50 huishoudens" on the other.
"""

from __future__ import annotations

import re

from tests.builders import row, standard_file
from tests.demo_home import demo_copy
from tests.portal_support import add_account, app_for, client_for

EQUATION = re.compile(r"(\d+) gelezen = (\d+) geladen\S*.*?\+ (\d+) in quarantaine \+ (\d+) dubbel")


def test_delivery_page_counts_updated_rows_once(home, tmp_path):
    from flows.ingest import ingest

    first = tmp_path / "eerste.csv"
    first.write_bytes(standard_file([row(signaal_id="T-1", bedrag="620,00")]))
    second = tmp_path / "tweede.csv"
    # T-1 again with a higher amount (an update) and one new signal at another address.
    second.write_bytes(standard_file([
        row(signaal_id="T-1", bedrag="700,00"),
        row(signaal_id="T-2", bsn="", huisnummer="14", achternaam="Anders")]))
    ingest(gemeente="0080", paths=[str(first)])
    [delivered] = ingest(gemeente="0080", paths=[str(second)])
    assert (delivered["rijen_gelezen"], delivered["waarvan_bijgewerkt"]) == (2, 1), delivered

    add_account(home, "data", ["data"])
    client = client_for(app_for(home), "data")
    page = client.get(f"/data/leveringen/{delivered['levering']}")
    assert page.status_code == 200
    read, loaded, quarantined, duplicate = map(int, EQUATION.search(page.text).groups())
    assert read == loaded + quarantined + duplicate == 2
    assert "waarvan 1 nieuw en 1 bijgewerkt" in page.text


def test_overview_and_list_page_name_the_same_household_counts(tmp_path, monkeypatch):
    home, _result = demo_copy(tmp_path, monkeypatch)
    add_account(home, "coord", ["coordinator"], ["wt-centrum"])
    client = client_for(app_for(home), "coord")
    overview = client.get("/lijsten").text
    current = re.search(r'Huidige lijst:.*?href="/lijsten/(\d+)"', overview, re.S)
    counts = re.search(r"(\d+) huishoudens op de bezoeklijst en (\d+) op de wachtlijst",
                       current.group(0))
    assert counts, current.group(0)
    visits, waiting = map(int, counts.groups())
    page = client.get(f"/lijsten/{current.group(1)}").text
    assert (f"{visits} op de bezoeklijst + {waiting} op de wachtlijst = {visits + waiting} "
            "huishoudens") in page
    # One table per section (issue 18): the bezoeklijst, and the wachtlijst under its own heading.
    assert page.count('utrecht-table--html-table visit-list"') == 1 + (waiting > 0)
    assert page.count('nl-heading--level-2" id="sectie-') == 1 + (waiting > 0)
    assert len(re.findall(r"/huishoudens/\d+\">Vastleggen", page)) == visits + waiting
