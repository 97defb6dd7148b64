"""The web portal: coordinators get their team's list, privacy officers audit, data officers watch
ingestion. Started by `vroeg portal`; `portal.app.create_app` builds the application.

It reads the operational database and the published outbox and writes only to the operational
database (accounts, sessions, cases, audit lines). It never opens the warehouse.
"""
