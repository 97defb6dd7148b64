"""Phone numbers as tel: links (vroeg.formats.tel_uri): one tap on a phone calls the household."""

import pytest

from vroeg.formats import tel_uri


@pytest.mark.parametrize(("shown", "uri"), [
    ("06-12345678", "tel:0612345678"),
    ("+31 6 1234 5678", "tel:+31612345678"),
    (" 050 (123) 45 67 ", "tel:0501234567"),
    ("onbekend", ""),
    ("", ""),
    (None, ""),
])
def test_a_phone_number_becomes_a_tel_uri_of_its_digits(shown, uri):
    assert tel_uri(shown) == uri
