"""Fixtures the portal's browser tests share."""

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
