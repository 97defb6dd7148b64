"""The physical floor: the same work as each pipeline step, done the fastest plain way.

What "the same work" means per step (see docs/benchmark.md for the full argument):

    receive       SHA-256 of the file's bytes, sealed with AES-GCM (one shot) into a 0600 file
    read          open that file again (AES-GCM) and split the CSV with polars (all text)
    validate      every rule of quality/suite.py as one boolean per row and rule; per-rule counts;
                  a quarantine row per (row, rule); the clean rows (DuckDB)
    pseudonymise  three HMAC-SHA256 pseudonyms per row (DuckDB has no HMAC: it is composed from
                  sha256 over blobs, and checked against Python's hmac), plus the age band
    vault         identities as JSON (polars), each sealed with AES-GCM under its own nonce and
                  bound to its pseudonym, into SQLite with no index during the insert, the three
                  indexes built after
    load          insert the facts into the warehouse's own signals table (DuckDB file)
    score         group the period's signals by household, compute the points and listing rule
    publish       per wijkteam: one hash-chained, encrypted audit line per listed household,
                  its records opened from the vault, a reason text per household, the list as
                  CSV and as XLSX (xlsxwriter's streaming mode, no cell formats)

Between the steps the floor moves its tables between polars and DuckDB (typing the read text
for the validation, fetching the pseudonymised rows for the vault); that costs the pipeline
nothing comparable, so it is measured apart ("between steps") and not counted. DuckDB uses every
core it is given (two here); the pipeline's Python parts use one.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import secrets
import sqlite3
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
            if not f.may_be_future:
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

    con = duckdb.connect()  # working tables in memory; the warehouse is a file
    with meter.step("setup") as m:
        con.execute(f"ATTACH {_quote(str(workdir / 'floor-wh.duckdb'))} AS wh")
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
        archive_key = AESGCM(keys.derive("archief"))
        vault_key = AESGCM(keys.derive("kluis"))
        audit_key = AESGCM(keys.derive("audit"))
        chain_key = keys.derive("auditketen")
        stores = sqlite3.connect(workdir / "floor-stores.sqlite", isolation_level=None)
        stores.execute("PRAGMA cache_size=-262144")  # as the pipeline's vault (256 MB)
        stores.execute("CREATE TABLE identiteiten (signaal_pseudoniem TEXT NOT NULL, "
                       "huishouden_pseudoniem TEXT NOT NULL, persoon_pseudoniem TEXT NOT NULL, "
                       "sleutelversie INTEGER NOT NULL, verzegeld BLOB NOT NULL, "
                       "opgeslagen TEXT NOT NULL)")
        stores.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY, trace_id TEXT, "
                       "operation_id TEXT, naam TEXT, tijd TEXT, betrokkene TEXT, "
                       "attributen TEXT, vorige_hash TEXT, hash TEXT)")
    measured.append(m)

    data = csv_path.read_bytes()  # the pipeline's receive also starts from the bytes
    archived = workdir / "floor-archive.bin"
    # Sealed in pieces of 1 MiB straight from the bytes: one AES-GCM call over the whole file
    # and the copies it needs (the nonce in front, the file in one ciphertext) were slower than
    # the pipeline's own archive at 1,000,000 rows.
    piece = 1 << 20
    with meter.step("receive") as m:
        digest = hashlib.sha256(data).hexdigest()
        prefix = os.urandom(8)
        view = memoryview(data)
        fd = os.open(archived, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(prefix)
            for index, start in enumerate(range(0, max(len(data), 1), piece)):
                out.write(archive_key.encrypt(prefix + index.to_bytes(4, "big"),
                                              view[start:start + piece], digest.encode()))
            out.flush()
            os.fsync(out.fileno())
        view.release()
    del data
    measured.append(m)

    with meter.step("read") as m:
        sealed = memoryview(archived.read_bytes())
        step = piece + 16  # each piece's ciphertext carries its 16-byte tag
        raw = b"".join(
            archive_key.decrypt(bytes(sealed[:8]) + index.to_bytes(4, "big"),
                                sealed[start:start + step], digest.encode())
            for index, start in enumerate(range(8, len(sealed), step)))
        del sealed
        text = pl.read_csv(raw, separator=";", infer_schema=False, encoding="utf8")
        del raw
        m.rows = text.height
    measured[1].rows = m.rows
    rows = m.rows
    measured.append(m)

    with meter.step("between steps: typing the text in DuckDB (not counted)") as m:
        con.register("raw_csv", text.with_row_index("bron_rij", offset=2).to_arrow())
        con.execute(sql("floor_read"))
        con.unregister("raw_csv")
        del text
    between = [m]

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
                   bedrag_p AS bedrag_cent, crisis_p AS crisis,
                   uiterste_datum_p AS uiterste_datum, bsn_p AS bsn, voornamen,
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
    # The same pseudonyms the plain Python way (pre-keyed SHA-256 states, as a script would use
    # hmac), from the same texts; the faster of the two ways is the floor (bench/report.py).
    with meter.step("between steps: fetching the pseudonym texts (not counted)") as m:
        texts = con.execute("SELECT _signaal, _huishouden, _persoon, geboortedatum, "
                            "signaaldatum FROM pseudonymised").pl()
    between.append(m)
    with meter.step("pseudonymise (python)", clean_rows) as m:
        mac = Pseudonymiser(keys)
        years = (pl.col("signaaldatum").dt.year() - pl.col("geboortedatum").dt.year())
        in_python = texts.select(
            mac.series("signaal", texts["_signaal"]).alias("signaal_pseudoniem"),
            mac.series("huishouden", texts["_huishouden"]).alias("huishouden_pseudoniem"),
            mac.series("persoon", texts["_persoon"]).alias("persoon_pseudoniem"),
            pl.when(years < 18).then(pl.lit("<18")).when(years < 27).then(pl.lit("18-26"))
            .when(years < 45).then(pl.lit("27-44")).when(years < 65).then(pl.lit("45-64"))
            .otherwise(pl.lit("65+")).alias("leeftijdsgroep"))
    measured.append(m)
    hmac_check["python_equal"] = in_python["signaal_pseudoniem"].to_list() == con.execute(
        "SELECT signaal_pseudoniem FROM pseudonymised").pl()["signaal_pseudoniem"].to_list()
    del texts, in_python

    with meter.step("between steps: fetching the pseudonymised rows (not counted)") as m:
        identities = con.execute(sql("floor_identities")).pl()
    between.append(m)

    with meter.step("vault", clean_rows) as m:
        plains = identities.select(pl.struct(pl.exclude(
            "signaal_pseudoniem", "huishouden_pseudoniem", "persoon_pseudoniem", "sleutelversie"))
            .struct.json_encode()).to_series().to_list()
        stamp = dt.datetime.now(dt.UTC).isoformat()
        nonces = os.urandom(12 * identities.height)
        gemeente = keys.gemeente
        stores.execute("BEGIN")
        stores.executemany(
            "INSERT INTO identiteiten VALUES (?, ?, ?, ?, ?, ?)",
            ((signal, household, person, version,
              nonces[12 * i:12 * i + 12] + vault_key.encrypt(
                  nonces[12 * i:12 * i + 12], plain.encode(),
                  f"{gemeente}|{signal}|{version}".encode()), stamp)
             for i, (signal, household, person, version, plain) in enumerate(zip(
                 *identities.select("signaal_pseudoniem", "huishouden_pseudoniem",
                                    "persoon_pseudoniem", "sleutelversie").get_columns(),
                 plains, strict=True))))
        # The vault's three indexes, built once the rows are in.
        stores.execute("CREATE UNIQUE INDEX identiteiten_signaal "
                       "ON identiteiten (signaal_pseudoniem)")
        stores.execute("CREATE INDEX identiteiten_huishouden "
                       "ON identiteiten (huishouden_pseudoniem)")
        stores.execute("CREATE INDEX identiteiten_persoon ON identiteiten (persoon_pseudoniem)")
        stores.execute("COMMIT")
    measured.append(m)
    del identities, plains

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
        writer = _Publisher(con, stores, vault_key, audit_key, chain_key, keys.gemeente,
                            keys.version, chosen, outbox)
        for team in municipality.wijkteams:
            writer.team(team.code)
    measured.append(m)
    stores.close()
    con.close()

    return {
        "measurements": [x.as_dict() for x in measured],
        "between_steps": [x.as_dict() for x in between],
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


#: The floor's list: what a coordinator reads of a household (the pipeline's list has more).
_FLOOR_COLUMNS = ("rang", "score", "naam", "straatnaam", "postcode", "huisnummer",
                  "huisnummertoevoeging", "woonplaats", "telefoon", "signalen", "totaal_bedrag",
                  "crisis", "redenen")


class _Publisher:
    """The floor's publish, one team at a time: audit lines first (one per household, each
    subject AES-GCM sealed, each line an HMAC over its fields and the line before), then the
    period's records of the listed households opened from the vault, a reason text per
    household, and the list written as CSV and XLSX."""

    def __init__(self, con, stores: sqlite3.Connection, vault_key: AESGCM, audit_key: AESGCM,
                 chain_key: bytes, gemeente: str, version: int, period, outbox: Path):
        self.con, self.stores, self.outbox, self.period = con, stores, outbox, period
        self.vault_key, self.audit_key, self.chain_key = vault_key, audit_key, chain_key
        self.gemeente, self.version = gemeente, version
        self.seq, self.prev = 0, "0" * 64
        self.trace = secrets.token_hex(16)

    def _audit(self, households: list[str], wijkteam: str) -> None:
        now = dt.datetime.now(dt.UTC).isoformat()
        attributes = json.dumps({"doel": "publicatie", "wijkteam": wijkteam}, sort_keys=True)
        nonces = os.urandom(12 * len(households))
        lines = []
        for i, household in enumerate(households):
            nonce = nonces[12 * i:12 * i + 12]
            subject = base64.b64encode(nonce + self.audit_key.encrypt(
                nonce, household.encode(), self.gemeente.encode())).decode("ascii")
            self.seq += 1
            operation = secrets.token_hex(8)
            fields = [self.gemeente, self.seq, self.trace, operation, "heridentificatie", now,
                      subject, attributes, self.prev]
            self.prev = hmac.new(self.chain_key, json.dumps(fields, separators=(",", ":"))
                                 .encode(), "sha256").hexdigest()
            lines.append((self.seq, self.trace, operation, "heridentificatie", now, subject,
                          attributes, fields[-1], self.prev))
        self.stores.execute("BEGIN")
        self.stores.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
        self.stores.execute("COMMIT")

    def _records(self, households: list[str], counted: set[str]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for start in range(0, len(households), 5000):
            chunk = households[start:start + 5000]
            rows = self.stores.execute(
                "SELECT signaal_pseudoniem, huishouden_pseudoniem, sleutelversie, verzegeld "
                f"FROM identiteiten WHERE huishouden_pseudoniem IN ({', '.join('?' * len(chunk))})",
                chunk)  # only placeholders formatted in; values bound
            for signal, household, version, sealed in rows:
                if signal in counted:
                    found.setdefault(household, []).append(json.loads(self.vault_key.decrypt(
                        sealed[:12], sealed[12:], f"{self.gemeente}|{signal}|{version}".encode())))
        return found

    def team(self, wijkteam: str) -> None:
        listed = self.con.execute(sql("floor_listed"), {"wijkteam": wijkteam}).fetchall()
        households = [row[1] for row in listed]
        counted = {s for (s,) in self.con.execute(sql("floor_list_signals"), {
            "wijkteam": wijkteam, "begin": self.period.start, "einde": self.period.end})
            .fetchall()}
        self._audit(households, wijkteam)  # before anything is opened
        records = self._records(households, counted)
        table = []
        for (rang, household, score, crisis, bedrag, types, type_points, signals, n_types,
             bills) in listed:
            people = records.get(household, [])
            first = people[0] if people else {}
            names = dict.fromkeys(" ".join(p for p in (r.get("voornamen"), r.get("tussenvoegsel"),
                                                       r.get("achternaam")) if p)
                                  for r in people)
            phones = dict.fromkeys(r["telefoon"] for r in people if r.get("telefoon"))
            reasons = (f"{'Crisissignaal. ' if crisis else ''}{signals} signaal/signalen van "
                       f"{', '.join(types)} ({type_points} punten); samen {bedrag / 100:.2f} euro, "
                       f"{bills / 1000:.1f} maandbedragen; {n_types} soort(en) schuldeiser.")
            table.append((rang, score, " / ".join(names), first.get("straatnaam") or "",
                          first.get("postcode") or "", first.get("huisnummer") or "",
                          first.get("huisnummertoevoeging") or "", first.get("woonplaats") or "",
                          " / ".join(phones), ", ".join(types), f"{bedrag / 100:.2f}",
                          "ja" if crisis else "nee", reasons))
        buffer = io.StringIO(newline="")
        out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        out.writerow(_FLOOR_COLUMNS)
        out.writerows(table)
        (self.outbox / f"{wijkteam}.csv").write_bytes(buffer.getvalue().encode("utf-8-sig"))
        self._xlsx(self.outbox / f"{wijkteam}.xlsx", table)

    @staticmethod
    def _xlsx(path: Path, table: list[tuple]) -> None:
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        sheet = workbook.add_worksheet("Bezoeklijst")
        sheet.write_row(0, 0, _FLOOR_COLUMNS)
        for r, row in enumerate(table, start=1):
            sheet.write_row(r, 0, row)
        workbook.close()
