"""The physical floor: the same work as each pipeline step, done by DuckDB alone.

What "the same work" means per step (see docs/benchmark.md for the full argument):

    receive       hash the file's bytes, keep them in an encrypted database
    read          split the CSV, trim, parse dates/amounts/flags/postcodes/BSN, look up wijkteam
    validate      every rule of quality/suite.py as one boolean per row and rule; per-rule counts;
                  a quarantine row per (row, rule); the clean rows
    pseudonymise  three HMAC-SHA256 pseudonyms per row (DuckDB has no HMAC: it is composed from
                  sha256 over blobs, and checked against Python's hmac), plus the age band
    vault         identities as JSON keyed by pseudonym, in an AES-GCM encrypted database
    load          insert the facts into the warehouse's own signals table (with its primary key)
    score         group the period's signals by household, compute the points and listing rule
    publish       per wijkteam: rank, re-identify from the encrypted vault (one audit row per
                  household), write the list as CSV

Intermediate tables live in an in-memory database; warehouse, vault and archive are files.
DuckDB uses every core it is given (two here); our pipeline's Python parts use one.

DuckDB only encrypts databases with OpenSSL (from its httpfs extension, which cannot be
downloaded here) or, when told so explicitly, with its built-in mbedtls, which it calls unsafe
for production (its random numbers). The floor uses the latter: it is a timing floor, not a
store for real data, and mbedtls is if anything slower, so the floor is generous to us.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from pathlib import Path

from bench.measure import Meter

SQL_DIR = Path(__file__).parent / "sql"


def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def rule_columns(municipality, today: dt.date) -> tuple[list[tuple[str, str]], dict]:
    """Every rule of quality/suite.py as (column name, SQL predicate true when the row fails).

    Column names and predicates are built from the schema (identifiers only); every value a rule
    compares with is a bound parameter.
    """
    from vroeg import ddas
    from vroeg.schema import SIGNAL_FIELDS

    rules = municipality.validation
    params: dict = {
        "today": today,
        "oldest": today - dt.timedelta(days=rules.max_signal_age_days),
        "max_cent": round(rules.max_amount * 100),
        "partner_types": list(ddas.signaalpartners()),
    }
    out: list[tuple[str, str]] = []
    for f in SIGNAL_FIELDS:
        if f.value_required:
            out.append((f"r_VERPLICHT_LEEG__{f.name}", f"{f.name} IS NULL"))
        params[f"len_{f.name}"] = f.max_length
        out.append((f"r_VELD_TE_LANG__{f.name}", f"length({f.name}) > $len_{f.name}"))
        if f.kind == "date":
            out.append((f"r_DATUM_ONGELDIG__{f.name}",
                        f"{f.name} IS NOT NULL AND {f.name}_p IS NULL"))
            out.append((f"r_DATUM_IN_TOEKOMST__{f.name}", f"{f.name}_p > $today"))
    out += [
        ("r_PARTNERTYPE_ONBEKEND__partner_type", "NOT list_contains($partner_types, partner_type)"),
        ("r_SIGNAAL_TE_OUD__signaaldatum", "signaaldatum_p < $oldest"),
        ("r_DATUM_VOLGORDE__ontstaansdatum", "signaaldatum_p < ontstaansdatum_p"),
        ("r_BEDRAG_ONGELDIG__bedrag", "bedrag IS NOT NULL AND bedrag_p IS NULL"),
        ("r_BEDRAG_NEGATIEF__bedrag", "bedrag_p < 0"),
        ("r_BEDRAG_ONWAARSCHIJNLIJK__bedrag", "bedrag_p > $max_cent"),
        ("r_CRISIS_ONGELDIG__crisis", "crisis IS NOT NULL AND crisis_p IS NULL"),
        ("r_POSTCODE_ONGELDIG__postcode", "postcode IS NOT NULL AND postcode_p IS NULL"),
        ("r_POSTCODE_BUITEN_GEMEENTE__postcode", "postcode_p IS NOT NULL AND wijkteam IS NULL"),
        ("r_HUISNUMMER_ONGELDIG__huisnummer", "huisnummer IS NOT NULL AND huisnummer_p IS NULL"),
        ("r_HUISNUMMER_TE_LANG__huisnummer", "length(huisnummer_p) > 5"),
        ("r_BSN_ONGELDIG__bsn", "bsn IS NOT NULL AND bsn_p IS NULL"),
        ("r_BSN_ELFPROEF__bsn", "NOT bsn_elfproef"),
    ]
    # The convenant windows per partner type (quality.suite.build_partner_type_suite).
    crisis_exempt = "" if rules.window_applies_to_crisis else " AND NOT coalesce(crisis_p, false)"
    for i, partner_type in enumerate(ddas.signaalpartners()):
        type_rules = municipality.partner_type_rules(partner_type)
        if type_rules is None:
            continue
        params[f"type_{i}"] = partner_type
        of_type = f"partner_type = $type_{i}"
        days = "date_diff('day', ontstaansdatum_p, signaaldatum_p)"
        if type_rules.min_days is not None:
            params[f"min_days_{i}"] = type_rules.min_days
            out.append((f"r_TERMIJN_TE_KORT__{i}",
                        f"{of_type}{crisis_exempt} AND {days} < $min_days_{i}"))
        if type_rules.max_days is not None:
            params[f"max_days_{i}"] = type_rules.max_days
            out.append((f"r_TERMIJN_TE_LANG__{i}",
                        f"{of_type}{crisis_exempt} AND {days} > $max_days_{i}"))
        if type_rules.min_amount is not None:
            params[f"min_cent_{i}"] = round(type_rules.min_amount * 100)
            out.append((f"r_BEDRAG_ONDER_AFSPRAAK__{i}", f"{of_type} AND bedrag_p < $min_cent_{i}"))
        if type_rules.max_amount is not None:
            params[f"max_cent_{i}"] = round(type_rules.max_amount * 100)
            out.append((f"r_BEDRAG_ONWAARSCHIJNLIJK_TYPE__{i}",
                        f"{of_type} AND bedrag_p > $max_cent_{i}"))
    return out, params


def _quote(text: str) -> str:
    """A string literal for the few statements DuckDB cannot take parameters in (ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


def run(csv_path: Path, *, today: dt.date, period: str, meter: Meter, workdir: Path) -> dict:
    import duckdb
    import polars as pl

    from privacy.keys import load_keys
    from privacy.pseudonymise import PSEUDONYM_BYTES, Pseudonymiser, hmac_pads
    from scoring.score import Period
    from sql import schema_statements
    from vroeg.config import load_municipality
    from vroeg.settings import Home

    home = Home(workdir)
    municipality = load_municipality(home, "0080")
    keys = load_keys(home, "0080")
    chosen = Period.parse(period)
    workdir.mkdir(parents=True, exist_ok=True)
    outbox = workdir / "floor-outbox"
    outbox.mkdir(exist_ok=True)
    measured = []

    con = duckdb.connect()  # working tables in memory; the stores below are files
    with meter.step("setup") as m:
        con.execute("SET force_mbedtls_unsafe = true")  # see module docstring
        db_key = secrets.token_hex(32)
        for name, encrypted in (("wh", False), ("vault", True), ("archive", True)):
            path = workdir / f"floor-{name}.duckdb"
            option = f" (ENCRYPTION_KEY {_quote(db_key)})" if encrypted else ""
            # ATTACH takes no parameters; the path is our own temporary folder.
            con.execute(f"ATTACH {_quote(str(path))} AS {name}{option}")
        con.execute("USE wh")
        for statement in schema_statements():
            con.execute(statement)
        con.execute("USE memory")
        con.register("pc4_team_v", pl.DataFrame(
            {"pc4": list(municipality.pc4_to_team),
             "wijkteam": list(municipality.pc4_to_team.values())},
            schema={"pc4": pl.Int32, "wijkteam": pl.String}).to_arrow())
        con.execute("CREATE TABLE pc4_team AS SELECT * FROM pc4_team_v")
        con.register("partner_names_v", pl.DataFrame(
            {"naam": [" ".join(p.name.split()).lower() for p in municipality.partners.values()],
             "partner_id": list(municipality.partners)}).to_arrow())
        con.execute("CREATE TABLE partner_names AS SELECT * FROM partner_names_v")
        scoring = municipality.scoring
        types = sorted(set(scoring.partner_type_points) | set(scoring.typical_monthly_bill))
        con.register("partner_points_v", pl.DataFrame(
            {"partner_type": types,
             "punten": [scoring.partner_type_points.get(t, scoring.other_partner_type_points)
                        for t in types],
             "maandbedrag_cent": [round(scoring.typical_monthly_bill.get(
                 t, scoring.other_typical_monthly_bill) * 100) for t in types]}).to_arrow())
        con.execute("CREATE TABLE partner_points AS SELECT * FROM partner_points_v")
    measured.append(m)

    with meter.step("receive") as m:
        con.execute(sql("floor_receive"), {"path": str(csv_path)})
        con.execute("CHECKPOINT archive")
    measured.append(m)

    with meter.step("read") as m:
        con.execute(sql("floor_read"), {"path": str(csv_path)})
        m.rows = con.execute("SELECT count(*) FROM parsed").fetchone()[0]
    measured[1].rows = m.rows
    rows = m.rows
    measured.append(m)

    rules, params = rule_columns(municipality, today)
    with meter.step("validate", rows) as m:
        flags = ",\n".join(f"coalesce({predicate}, false) AS {name}" for name, predicate in rules)
        con.execute(f"CREATE TABLE checked AS SELECT *, {flags} FROM parsed", params)
        rule_counts = dict(zip(
            [name for name, _ in rules],
            con.execute("SELECT count_if(COLUMNS('^r_')) FROM checked").fetchone(), strict=True))
        con.execute(sql("floor_quarantine"))
        bad = " OR ".join(name for name, _ in rules)
        con.execute(f"""
            CREATE TABLE clean AS
            SELECT partner_id, signaal_id, partner_type, partner_naam,
                   signaaldatum_p AS signaaldatum, ontstaansdatum_p AS ontstaansdatum,
                   bedrag_p AS bedrag_cent, crisis_p AS crisis, bsn_p AS bsn, voornamen,
                   tussenvoegsel, achternaam, geboortedatum_p AS geboortedatum, straatnaam,
                   postcode_p AS postcode, huisnummer_p AS huisnummer,
                   toevoeging_p AS toevoeging_sleutel,
                   coalesce(huisnummertoevoeging, nullif(toevoeging_p, '')) AS huisnummertoevoeging,
                   woonplaats, telefoon, email, wijkteam, bron_rij
            FROM checked WHERE NOT ({bad})""")
        clean_rows = con.execute("SELECT count(*) FROM clean").fetchone()[0]
        quarantine_entries = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    measured.append(m)

    key = keys.derive("pseudoniem")
    ipad, opad = hmac_pads(key)
    prefix = f"k{keys.version}_"
    with meter.step("pseudonymise", clean_rows) as m:
        con.execute(sql("floor_pseudonymise"),
                    {"ipad": ipad, "opad": opad, "prefix": prefix, "version": keys.version})
    measured.append(m)
    hmac_check = check_hmac(con, key, prefix, ipad, opad, Pseudonymiser(keys), PSEUDONYM_BYTES)

    with meter.step("vault", clean_rows) as m:
        con.execute(sql("floor_vault"))
        con.execute("ALTER TABLE vault.identiteiten ADD PRIMARY KEY (signaal_pseudoniem)")
        con.execute("CREATE INDEX identiteiten_huishouden "
                    "ON vault.identiteiten (huishouden_pseudoniem)")
        con.execute("CHECKPOINT vault")
    measured.append(m)

    with meter.step("load", clean_rows) as m:
        con.execute(sql("floor_load"), {"levering_id": "floor"})
        con.execute("CHECKPOINT wh")
    measured.append(m)

    rules_cfg = municipality.scoring
    with meter.step("score") as m:
        con.execute(sql("floor_score"), {
            "begin": chosen.start, "einde": chosen.end,
            "overige_punten": rules_cfg.other_partner_type_points,
            "overig_maandbedrag_cent": round(rules_cfg.other_typical_monthly_bill * 100),
            "punten_per_maandbedrag": rules_cfg.points_per_bill_month,
            "max_bedragpunten": rules_cfg.amount_points_max,
            "meervoudig_punten": rules_cfg.multiple_points,
            "crisis_punten": rules_cfg.crisis_points,
            "minimum_cent": round(rules_cfg.minimum_amount * 100),
        })
        con.execute("CHECKPOINT wh")
        households, listed, in_period = con.execute(
            "SELECT count(*), count_if(op_lijst), sum(signalen) FROM wh.scores").fetchone()
        m.rows = int(in_period or 0)
    measured.append(m)

    with meter.step("publish", listed) as m:
        con.execute("CREATE TABLE vault.heridentificaties (tijd TIMESTAMPTZ, wijkteam VARCHAR, "
                    "huishouden_pseudoniem VARCHAR)")
        for team in municipality.wijkteams:
            # One audit row per re-identified household, before the identities are read.
            con.execute("INSERT INTO vault.heridentificaties SELECT now(), wijkteam, "
                        "huishouden_pseudoniem FROM wh.scores WHERE wijkteam = $t AND op_lijst",
                        {"t": team.code})
            con.execute(f"COPY ({sql('floor_publish')}) TO $path (DELIMITER ';', HEADER)", {
                "wijkteam": team.code, "begin": chosen.start, "einde": chosen.end,
                "path": str(outbox / f"{team.code}.csv")})
        con.execute("CHECKPOINT vault")
    measured.append(m)
    con.close()

    return {
        "measurements": [x.as_dict() for x in measured],
        "counts": {
            "rows_read": rows,
            "rows_clean": clean_rows,
            "rows_quarantined": rows - clean_rows,
            "quarantine_entries": quarantine_entries,
            "households": households,
            "listed": listed,
            "rules_failed": {k.removeprefix("r_"): v for k, v in rule_counts.items() if v},
        },
        "hmac_check": hmac_check,
    }


def check_hmac(con, key: bytes, prefix: str, ipad: bytes, opad: bytes, pseudonymiser,
               size: int) -> dict:
    """The SQL HMAC must equal Python's: on sample rows of the floor and on awkward values."""
    compared = 0
    mismatches = 0
    sample = con.execute(
        "SELECT _signaal, _huishouden, _persoon, signaal_pseudoniem, huishouden_pseudoniem, "
        "persoon_pseudoniem FROM pseudonymised USING SAMPLE 5 ROWS").fetchall()
    for signal, household, person, p_signal, p_household, p_person in sample:
        for domain, text, got in (("signaal", signal, p_signal),
                                  ("huishouden", household, p_household),
                                  ("persoon", person, p_person)):
            expected = prefix + hmac.new(key, f"{domain}\x1f{text}".encode(), "sha256").hexdigest()[
                :2 * size]
            compared += 1
            mismatches += got != expected or got != pseudonymiser.one(domain, text)
    awkward = ["", "é ü ñ Fryslân", "a" * 200, "x\x1fy", "1234AB|12|"]
    for value in awkward:
        got = con.execute(
            "SELECT $prefix || left(sha256($opad || unhex(sha256($ipad || encode($m)))), 32)",
            {"prefix": prefix, "ipad": ipad, "opad": opad, "m": value}).fetchone()[0]
        compared += 1
        mismatches += got != prefix + hmac.new(key, value.encode(), "sha256").hexdigest()[:2 * size]
    return {"compared": compared, "mismatches": int(mismatches),
            "equal": mismatches == 0 and compared > 0}
