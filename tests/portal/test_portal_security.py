"""Sign-in records of the portal without a web server: what is kept about failed attempts."""

from __future__ import annotations

from sqlalchemy import select


def test_a_name_that_is_no_account_is_not_kept_in_clear(home):
    """Someone may type a password into the name field: attempts on unknown names keep a hash."""
    from portal import security
    from portal.settings import PortalSettings
    from vroeg.opsdb import db
    from vroeg.opsdb.models import LoginAttempt

    settings = PortalSettings(gemeente="0080", database_url=home.database_url)
    assert security.attempt_login(settings, "MijnGeheim-2026", "x", "10.2.2.2").user_id is None
    with db.session(home.database_url) as s:
        names = s.scalars(select(LoginAttempt.name)).all()
    assert names and all(n.startswith("?") and "geheim" not in n.lower() for n in names)
