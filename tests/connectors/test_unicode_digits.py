"""Issue 19, point 12: a BSN or house number written in non-ASCII digits (fullwidth, Arabic-Indic)
quarantines its row with a reason; the delivery is not failed."""

from __future__ import annotations

import pytest

import connectors
from connectors.parse import parse
from quality.validate import validate
from tests import REPO_ROOT
from tests.builders import TODAY, row, standard_file
from vroeg import bsn
from vroeg.config import load_municipality, standard_partner
from vroeg.settings import Home

VALID_BSN = "123456782"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC], ids=["fullwidth", "arabic-indic"])
def test_non_ascii_digits_quarantine_the_row_not_the_delivery(digits):
    municipality = load_municipality(Home(REPO_ROOT), "0080")
    assert bsn.is_valid(VALID_BSN)
    good = [row(signaal_id=f"G-{i}", huisnummer=str(i + 1), bsn=VALID_BSN) for i in range(20)]
    bad = [row(signaal_id="U-bsn", bsn=VALID_BSN.translate(digits)),
           row(signaal_id="U-huisnummer", huisnummer="12".translate(digits)),
           row(signaal_id="U-toevoeging", huisnummer="7".translate(digits) + "-a")]
    data = standard_file([*good, *bad])
    mapped = connectors.read_delivery(data, "zorg-noord_2026-11.csv", standard_partner(),
                                      municipality.partners)
    outcome = validate(parse(mapped, municipality), municipality, "zorg-noord_2026-11.csv", TODAY)

    assert not outcome.rejected
    assert sorted(outcome.clean.get_column("signaal_id").to_list()) == sorted(
        r["signaal_id"] for r in good)
    reasons = {(e.row, e.reason, e.column) for e in outcome.entries}
    first_bad = len(good) + 2  # the header is line 1
    assert reasons == {(first_bad, "BSN_ONGELDIG", "bsn"),
                       (first_bad + 1, "HUISNUMMER_ONGELDIG", "huisnummer"),
                       (first_bad + 2, "HUISNUMMER_ONGELDIG", "huisnummer")}
    assert outcome.quarantined_rows == 3
    for entry in outcome.entries:  # the reason says which digits are meant, and no value
        assert "0-9" in entry.message and VALID_BSN.translate(digits) not in entry.message


def test_the_elfproef_takes_ascii_digits_only():
    assert bsn.is_valid(VALID_BSN)
    assert not bsn.is_valid(VALID_BSN.translate(FULLWIDTH))
    assert not bsn.is_valid(VALID_BSN.translate(ARABIC_INDIC))
