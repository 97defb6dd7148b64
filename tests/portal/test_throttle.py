"""Issue 19, point 10: the sign-in throttle holds under parallel requests (real threads against
the real database, SQLite and PostgreSQL), and wrong current passwords at /wachtwoord count as
failed sign-ins."""

from __future__ import annotations

import threading

import pytest

from tests import portal_support as ps

BURST = 30


def _burst(database_url: str, home) -> tuple[int, int]:
    """30 wrong passwords at once for one account; returns (checked, refused as throttled)."""
    from sqlalchemy import func, select

    from portal import accounts, security
    from portal.settings import PortalSettings
    from vroeg.opsdb import db
    from vroeg.opsdb.models import LoginAttempt

    accounts.add_user(database_url, "0080", "doelwit", ps.PASSWORD, ["data"], [], [],
                      **ps.set_up_by(home, database_url=database_url))
    settings = PortalSettings(gemeente="0080", database_url=database_url, prefect_api_url=None)
    start = threading.Barrier(BURST)
    results = []

    def guess(i: int) -> None:
        start.wait()
        # Addresses differ, so only the per-account limit applies (as from a botnet).
        results.append(security.attempt_login(settings, "doelwit", f"fout-wachtwoord-{i}",
                                              f"10.1.0.{i}"))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == BURST and all(r.user_id is None for r in results)
    with db.session(database_url) as s:
        checked = s.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.name == "doelwit", LoginAttempt.blocked.is_(False)))
    return checked, sum(r.throttled for r in results)


def test_a_parallel_burst_gets_at_most_the_limit_checked_on_sqlite(home):
    from portal.settings import PortalSettings

    limit = PortalSettings(gemeente="0080", database_url="").max_failures_account
    checked, throttled = _burst(home.database_url, home)
    assert checked <= limit, f"{checked} passwords checked, the limit is {limit}"
    assert throttled == BURST - checked


@pytest.mark.postgres
def test_a_parallel_burst_gets_at_most_the_limit_checked_on_postgresql(pg_schema_url, home):
    from portal.settings import PortalSettings

    limit = PortalSettings(gemeente="0080", database_url="").max_failures_account
    checked, throttled = _burst(pg_schema_url, home)
    assert checked <= limit, f"{checked} passwords checked, the limit is {limit}"
    assert throttled == BURST - checked


def test_wrong_current_passwords_at_wachtwoord_count_as_failed_sign_ins(home):
    from portal.settings import PortalSettings

    ps.add_account(home, "wisselaar", ["data"])
    app = ps.app_for(home)
    limit = PortalSettings(gemeente="0080", database_url="").max_failures_account
    client = ps.client_for(app, "wisselaar")
    csrf = ps.session_csrf(client)
    for i in range(limit):
        wrong = client.post("/wachtwoord", data={
            "csrf": csrf, "huidig": f"geraden-wachtwoord-{i}", "nieuw": "Nieuw-geheim-2026-x",
            "herhaling": "Nieuw-geheim-2026-x"}, follow_redirects=False)
        assert wrong.status_code == 400 and "klopt niet" in wrong.text
    # Now the account is locked like after as many wrong sign-ins: the right password is
    # refused at /wachtwoord and at the sign-in page alike.
    locked = client.post("/wachtwoord", data={
        "csrf": csrf, "huidig": ps.PASSWORD, "nieuw": "Nieuw-geheim-2026-x",
        "herhaling": "Nieuw-geheim-2026-x"}, follow_redirects=False)
    assert locked.status_code == 429 and "Te veel mislukte pogingen" in locked.text
    assert ps.login(ps.client_for(app, None), "wisselaar").status_code == 429
