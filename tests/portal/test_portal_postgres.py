"""The portal's database work on a real PostgreSQL server (production's operational database):
accounts and throttling, sessions, cases, and the audit filters that read JSON attributes."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.postgres
SECRET = "Postgres-geheim-2026"


def test_accounts_sessions_and_throttling_on_postgresql(pg_schema_url, home):
    from portal import accounts, security
    from portal.settings import PortalSettings
    from privacy.audit import Audit
    from privacy.keys import load_keys

    by = {"audit": Audit(pg_schema_url, load_keys(home, "0080")), "by": "test-opzet"}
    account = accounts.add_user(pg_schema_url, "0080", "pg.user", SECRET, ["coordinator"],
                                ["wt-centrum"], ["wt-centrum"], **by)
    settings = PortalSettings(gemeente="0080", database_url=pg_schema_url, prefect_api_url=None)
    for _ in range(settings.max_failures_account):
        assert security.attempt_login(settings, "pg.user", "fout-fout-fout",
                                      "10.0.0.1").user_id is None
    blocked = security.attempt_login(settings, "pg.user", SECRET, "10.0.0.2")
    assert blocked.user_id is None and blocked.throttled
    accounts.set_password(pg_schema_url, "0080", "pg.user", "Nieuw-pg-geheim-2026", **by)
    ok = security.attempt_login(settings, "pg.user", "Nieuw-pg-geheim-2026", "10.0.0.2")
    assert ok.user_id == account.id
    token = security.open_session(settings, ok.user_id, "10.0.0.2")
    principal = security.principal_for(settings, token)
    assert principal.teams == ("wt-centrum",) and principal.has("coordinator")
    accounts.remove_user(pg_schema_url, "0080", "pg.user", **by)
    assert security.principal_for(settings, token) is None


def test_cases_and_audit_filters_on_postgresql(pg_schema_url, home):
    from portal import audit_views
    from portal.audit_views import AuditFilter
    from privacy.audit import Audit, new_trace_id
    from privacy.keys import load_keys
    from vroeg.opsdb import cases, db
    from vroeg.opsdb.models import Publication, Run

    with db.session(pg_schema_url) as s:
        s.add(Run(id="r1", gemeente="0080", period="2026-10", rules_version="v"))
        s.flush()
        publication = Publication(run_id="r1", gemeente="0080", wijkteam="wt-centrum",
                                  period="2026-10", households=1, csv_path="a.csv",
                                  xlsx_path="a.xlsx", csv_sha256="0" * 64)
        s.add(publication)
    cases.record_contact(pg_schema_url, publication, regel=1, rang=1, pseudonym="k1_aa",
                         soort="Brief", bereikt=False, datum=dt.date(2026, 11, 3),
                         dagdeel="Ochtend", by="pg.user", today=dt.date(2026, 11, 22))
    cases.record_end_result(pg_schema_url, publication, regel=1, rang=1, pseudonym="k1_aa",
                            eindresultaat=cases.NO_HELP_NEEDED, by="pg.user")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert cases.no_help_needed(pg_schema_url, "0080", since=since) == {"k1_aa"}
    [case] = cases.cases_between(pg_schema_url, "0080", "2026-10", "2026-10")
    assert case.opgepakt_op == dt.date(2026, 11, 3) and case.contactpogingen[0].soort == "Brief"

    audit = Audit(pg_schema_url, load_keys(home, "0080"))
    trace = new_trace_id()
    with audit.operation("inzage-lijst", trace, gebruiker="pg.user", wijkteam="wt-centrum",
                         publicatie=publication.id, periode="2026-10", huishoudens=2) as op:
        audit.subjects("inzage", trace, op.operation_id, ["k1_aa", "k1_bb"], gebruiker="pg.user",
                       wijkteam="wt-centrum")
    page = audit_views.audit_page(pg_schema_url, "0080", audit, AuditFilter(gebruiker="pg.user"))
    assert len(page.rows) == 3
    page = audit_views.audit_page(pg_schema_url, "0080", audit,
                                  AuditFilter(wijkteam="wt-centrum", huishouden="k1_bb"))
    assert [r.pseudonym for r in page.rows] == ["k1_bb"]
    assert audit_views.audit_page(pg_schema_url, "0080", audit,
                                  AuditFilter(wijkteam="wt-oost")).rows == []
    [event] = audit_views.access_events(pg_schema_url, "0080", gebruiker="pg.user")
    assert event.huishoudens == 2 and event.actie == "lijst bekeken"
