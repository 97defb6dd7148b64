"""The accessibility statement (toegankelijkheidsverklaring): public, like the sign-in page.

Dutch public-sector web applications must publish one (Besluit digitale toegankelijkheid
overheid); this page has the parts digitoegankelijk.nl's model asks for, filled in with what the
software itself can say (how it is tested) and the municipality's own contact from its register.
What it says was tested is what tests/portal/test_accessibility.py does: axe-core on every page
of every role at two sizes, the list and a household's page by keyboard alone, and printing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from portal.web import render, state

router = APIRouter()

#: Routes that need no session.
PUBLIC = {("GET", "/toegankelijkheid")}

#: The version of axe-core the portal's accessibility test runs (tests/vendor/axe-core).
AXE_CORE_VERSION = "4.14.1"


@router.get("/toegankelijkheid")
def statement(request: Request):
    register = state(request).ctx.municipality.privacy.processing
    return render(request, "statement.html", controller=register.controller,
                  axe_version=AXE_CORE_VERSION)
