"""Fixtures the portal's tests share. Module-scoped: each test module builds its own home (its
tests change accounts, cases and lists), and a module may override one (test_portal_load's
server waits less for the database)."""

from __future__ import annotations

import os

import pytest

from tests import portal_support as ps


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright's Python driver."""
    if not ps.CHROMIUM.exists():
        message = (f"{ps.CHROMIUM} is missing: `make test` installs Debian's chromium "
                   "(apt-get install chromium) when run as root")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(ps.CHROMIUM),
                                              args=ps.CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def data(prefect_server, tmp_path_factory):
    """A test home with the demo's lists published and the portal's accounts."""
    return ps.build(tmp_path_factory)


@pytest.fixture(scope="module")
def app(data):
    """The portal as an ASGI app on the module's home (for TestClient)."""
    return ps.make_app(data)


@pytest.fixture(scope="module")
def server(data):
    """`vroeg portal --port N` with the module's home, until the module's tests are done."""
    with ps.portal_process(data) as (base, _process):
        yield base
