"""Reporting: the national DDAS export to CBS, feedback files for signal partners, and the
monitor figures a municipality is asked for.

- `mapping`     project values -> DDAS schema enums, in one place
- `records`     reads what the reports need from the warehouse, the cases and the runs (IO)
- `ddas_export` builds the exchange document (pure), then validates, re-identifies and writes it
- `validate`    the schema check (jsonschema, format checks on)
- `feedback`    per partner: signal id and opgepakt / niet opgepakt, nothing else
- `monitor`     the monitor figures as pure functions of signal and case facts
- `charts`      SVG charts of those figures (publishing/charts.py draws them)
"""
