"""Issue 19, point 13: the privacy officer's commands refuse a BSN that fails the elfproef and an
address that is not an address (exit 1), instead of answering "nothing held" for a typo."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()

TYPO_BSN = "123456789"  # nine digits, fails the elfproef
NOT_ADDRESSES = [
    "0911 AB 12",                # a postcode never starts with 0
    "8911 AB 0",                 # there is no house number 0
    "8911 AB 123456",            # six digits
    "8911 AB 12 dit is geen toevoeging",
    "hallo",
]


def _audit_lines(home) -> int:
    from privacy.audit import Audit
    from privacy.keys import load_keys

    return len(Audit(home.database_url, load_keys(home, "0080")).read())


@pytest.mark.parametrize("command", [["subject-access"], ["erase", "--ja"], ["audit"]],
                         ids=["subject-access", "erase", "audit"])
@pytest.mark.parametrize("bsn", [TYPO_BSN, "１２３４５６７８２"], ids=["elfproef", "fullwidth"])
def test_a_bsn_that_is_no_bsn_is_refused(home, command, bsn):
    before = _audit_lines(home)
    result = runner.invoke(app, [*command, "--bsn", bsn])
    assert result.exit_code == 1, result.output
    assert "elfproef" in result.output or "9 cijfers (0-9)" in result.output
    assert "Geen" not in result.output  # no answer as if nothing were held
    assert _audit_lines(home) == before  # nothing looked up, nothing logged


@pytest.mark.parametrize("command", [["subject-access"], ["erase", "--ja", "--achternaam", "X"],
                                     ["audit"]], ids=["subject-access", "erase", "audit"])
@pytest.mark.parametrize("adres", NOT_ADDRESSES)
def test_an_address_that_is_no_address_is_refused(home, command, adres):
    result = runner.invoke(app, [*command, "--address", adres])
    assert result.exit_code == 1, result.output
    assert "8911 AB 12 a" in result.output  # says how an address is written


def test_real_bsns_and_addresses_are_accepted():
    from governance.subject import Query

    assert Query.parse(bsn="123456782").bsn == "123456782"
    assert Query.parse(bsn="1234.56.782").bsn == "123456782"
    assert Query.parse(bsn="12345672").bsn == "012345672"  # an older eight-digit BSN
    for adres in ("8911 AB 12", "8911ab 12 a", "8911 AB, 12-2hoog", "9001 AA 12345 bis"):
        assert Query.parse(adres=adres).address_key() is not None, adres
