"""The synthetic delivery generator: determinism, realism and layouts, checked on real files.

Files are read back with csv and openpyxl only (not with connectors/), using the partner
configuration the way a reader would, so a test failure points at the generator.
"""

from __future__ import annotations

import csv
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from synthetic.generator import GenerationReport, generate
from synthetic.writers import GeneratorError
from tests import REPO_ROOT
from vroeg.bsn import is_valid as bsn_is_valid
from vroeg.config import Municipality, Partner, load_municipality
from vroeg.schema import FIELDS_BY_NAME, STANDARD_COLUMNS
from vroeg.settings import Home

TARGET_SHARES = {"Zorg": 0.45, "Energie": 0.25, "Huur": 0.19, "Water": 0.11}
WINDOWS = {"Zorg": (30, 100), "Energie": (30, 120), "Huur": (30, 120), "Water": (30, 365)}
POSTCODE = re.compile(r"^(\d{4}) ?([A-Z]{2})$")


# -- reading files back ----------------------------------------------------------------------------


def _raw_rows(path: Path, partner: Partner) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (source row, {column: value}) as a reader sees them."""
    if partner.format == "xlsx":
        workbook = openpyxl.load_workbook(path)
        sheet = workbook[partner.spreadsheet.sheet]
        header_row = partner.spreadsheet.header_row
        header = [c.value for c in sheet[header_row]]
        rows = []
        for number, cells in enumerate(
                sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):
            rows.append((number, dict(zip(header, cells, strict=True))))
        return header, rows
    encoding = "utf-8-sig" if partner.csv.encoding.startswith("utf") else partner.csv.encoding
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=partner.csv.delimiter)
        header = next(reader)
        return header, [(number, dict(zip(header, row, strict=True))) for number, row in
                        enumerate(reader, start=2)]


def _value(spec, raw: dict, partner: Partner, kind: str):
    """One standard field from a raw row, applying pattern, map, unit and date format."""
    if spec.value is not None:
        value = spec.value
    else:
        value = raw.get(spec.column)
    if isinstance(value, datetime):
        return value.date()
    if kind == "amount":
        if isinstance(value, (int, float)) and spec.unit != "cent":
            return round(value * 100)
        text = str(value).strip()
        if spec.unit == "cent":
            return int(text)
        return round(float(text.replace(",", ".")) * 100)
    text = "" if value is None else str(value).strip()
    if spec.pattern:
        match = re.search(spec.pattern, text)
        text = match.group(1).strip() if match else ""
    if spec.map:
        text = spec.map.get(text, text)
    if kind == "date" and text:
        fmt = "%Y-%m-%d" if partner.columns == "standard" else partner.date_formats[0]
        return datetime.strptime(text, fmt).date()
    return text


def read_delivery(path: Path, partner: Partner) -> list[dict]:
    _, raw_rows = _raw_rows(path, partner)
    out = []
    for number, raw in raw_rows:
        row = {name: _value(spec, raw, partner, FIELDS_BY_NAME[name].kind)
               for name, spec in partner.column_specs().items()}
        row["row"] = number
        out.append(row)
    return out


def defects_of(row: dict) -> list[str]:
    found = []
    if not POSTCODE.match(row["postcode"]):
        found.append("postcode")
    if not row["achternaam"]:
        found.append("achternaam")
    if not row["huisnummer"]:
        found.append("huisnummer")
    if row["bedrag"] < 0:
        found.append("bedrag")
    return found


def household_key(row: dict) -> tuple[str, str, str]:
    match = POSTCODE.match(row["postcode"])
    assert match, "only for rows with a valid postcode"
    addition = re.sub(r"[^0-9A-Z]", "", (row.get("huisnummertoevoeging") or "").upper())
    return match.group(1) + match.group(2), row["huisnummer"], addition


def read_all(report: GenerationReport, municipality: Municipality) -> dict[str, list[dict]]:
    """Month -> rows of all partners, each with partner_id and month added."""
    by_month: dict[str, list[dict]] = defaultdict(list)
    for generated in report.files:
        partner = municipality.partner(generated.partner_id)
        for row in read_delivery(generated.path, partner):
            row["partner_id"] = partner.id
            row["month"] = generated.month
            by_month[generated.month].append(row)
    return dict(sorted(by_month.items()))


def tree_bytes(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def municipality() -> Municipality:
    return load_municipality(Home(REPO_ROOT), "0080")


@pytest.fixture(scope="module")
def year_start(municipality, tmp_path_factory):
    """Default volume (4.4 per 1,000 inhabitants), Oct 2025 - Apr 2026: March in range and a
    last month with six months of history before it."""
    out = tmp_path_factory.mktemp("year_start")
    report = generate(municipality, out, seed=80, end="2026-04", months=7)
    return report, read_all(report, municipality)


@pytest.fixture(scope="module")
def clean_rows(year_start):
    _, by_month = year_start
    return {m: [r for r in rows if not defects_of(r)] for m, rows in by_month.items()}


# -- determinism -----------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_in_another_process(municipality, tmp_path):
    first, second, other = tmp_path / "first", tmp_path / "second", tmp_path / "other"
    report = generate(municipality, first, seed=7, end="2026-10", months=2, signals_per_month=150)
    # A fresh interpreter with a different hash seed: set/dict order of strings must not matter.
    code = (
        "import sys; from pathlib import Path; from vroeg.config import load_municipality; "
        "from vroeg.settings import Home; from tests import REPO_ROOT; "
        "from synthetic.generator import generate; "
        "generate(load_municipality(Home(REPO_ROOT), '0080'), Path(sys.argv[1]), seed=7, "
        "end='2026-10', months=2, signals_per_month=150)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(second)], check=True, env=env, cwd=REPO_ROOT)
    generate(municipality, other, seed=8, end="2026-10", months=2, signals_per_month=150)

    ours, theirs, different = tree_bytes(first), tree_bytes(second), tree_bytes(other)
    assert len(ours) == len(report.files) == 8
    assert any(name.endswith(".xlsx") for name in ours)
    assert ours == theirs
    assert ours.keys() == different.keys()
    assert all(ours[name] != different[name] for name in ours)


# -- volumes and mix -------------------------------------------------------------------------------


def test_monthly_volume_follows_inhabitants_with_march_peak(year_start):
    report, by_month = year_start
    assert report.signals_per_month == 550  # 4.4 per 1,000 of 125,000
    for month, rows in by_month.items():
        if month.endswith("-03"):
            # The Zorg peak lifts March above the yearly average.
            assert 1.10 * 550 <= len(rows) <= 1.30 * 550, month
        else:
            assert 0.85 * 550 <= len(rows) <= 1.15 * 550, month


def test_partner_type_shares_and_march_zorg_peak(year_start):
    report, by_month = year_start
    totals = report.totals_by_partner_type
    all_rows = sum(t.rows for t in totals.values())
    for ptype, share in TARGET_SHARES.items():
        assert abs(totals[ptype].rows / all_rows - share) < 0.03, ptype

    zorg = {m: sum(r["partner_type"] == "Zorg" for r in rows) for m, rows in by_month.items()}
    others = [n for m, n in zorg.items() if not m.endswith("-03")]
    assert 1.35 <= zorg["2026-03"] / statistics.mean(others) <= 1.65


def test_amounts_per_type(clean_rows):
    amounts = defaultdict(list)
    for rows in clean_rows.values():
        for row in rows:
            amounts[row["partner_type"]].append(row["bedrag"] / 100)
    for ptype, median in {"Zorg": 180, "Energie": 275, "Huur": 620, "Water": 110}.items():
        assert 0.8 * median <= statistics.median(amounts[ptype]) <= 1.25 * median, ptype
    everything = [a for values in amounts.values() for a in values]
    below = sum(a < 75 for a in everything) / len(everything)
    assert 0.01 <= below <= 0.12


# -- households ------------------------------------------------------------------------------------


def test_multiple_signals_per_household_in_a_month(clean_rows):
    for month, rows in clean_rows.items():
        per_household = defaultdict(list)
        for row in rows:
            per_household[household_key(row)].append(row["partner_type"])
        multiple = [types for types in per_household.values() if len(types) >= 2]
        share = len(multiple) / len(per_household)
        assert 0.05 <= share <= 0.20, (month, share)
        # Several signals at one address in one month come from different partner types.
        assert all(len(set(types)) == len(types) for types in multiple)


def test_repeat_signals_within_six_months(clean_rows):
    months = list(clean_rows)
    last = months[-1]
    earlier = {household_key(r) for m in months[-7:-1] for r in clean_rows[m]}
    repeats = [household_key(r) in earlier for r in clean_rows[last]]
    share = sum(repeats) / len(repeats)
    assert 0.25 <= share <= 0.55, share

    # Some repeats come from the same partner for the same arrears, with the same or a higher
    # amount (the case the pipeline must suppress unless the amount rose).
    previous = {}
    continued = 0
    for month in months:
        for row in clean_rows[month]:
            key = (row["partner_id"], household_key(row), row["ontstaansdatum"])
            if key in previous:
                assert row["bedrag"] >= previous[key]
                continued += 1
            previous[key] = row["bedrag"]
    assert continued >= 20


def test_every_wijkteam_gets_signals_every_month(year_start, municipality):
    _, by_month = year_start
    teams = [t.code for t in municipality.wijkteams]
    for month, rows in by_month.items():
        per_team = Counter()
        for row in rows:
            match = POSTCODE.match(row["postcode"])
            if not match:
                continue  # a deliberately malformed postcode
            team = municipality.pc4_to_team.get(int(match.group(1)))
            assert team is not None, "postcode outside the municipality"
            per_team[team] += 1
        assert all(per_team[t] >= 15 for t in teams), (month, per_team)


def test_addresses_and_people_look_dutch(clean_rows):
    rows = [r for month_rows in clean_rows.values() for r in month_rows]
    for row in rows:
        match = POSTCODE.match(row["postcode"])
        pc4, letters = int(match.group(1)), match.group(2)
        assert letters not in ("SA", "SD", "SS")
        assert 1 <= int(row["huisnummer"]) <= 250
        # The town for its own 89xx block, a village for the 90xx areas.
        assert (row["woonplaats"] == "Leeuwarden") == (pc4 < 9000)
        assert row["achternaam"] and row["straatnaam"]
        if row["telefoon"]:
            assert re.fullmatch(r"06\d{8}|058\d{7}", row["telefoon"])
        if row.get("email"):
            assert re.fullmatch(r"[a-z0-9.]+@example\.(nl|com|org)", row["email"])
        age = (row["signaaldatum"] - row["geboortedatum"]).days / 365.25
        assert 18 <= age <= 91
    assert any(r["huisnummertoevoeging"] for r in rows)
    assert any(r["tussenvoegsel"] for r in rows)
    assert any(r.get("email") for r in rows)


def test_bsns_pass_the_elfproef_and_belong_to_one_person(clean_rows):
    person_of_bsn = {}
    for rows in clean_rows.values():
        for row in rows:
            bsn = row.get("bsn") or ""
            if row["partner_type"] in ("Zorg", "Huur"):
                assert bsn, "insurer and landlord deliver the BSN"
            if not bsn:
                continue
            assert bsn_is_valid(bsn) and bsn[0] != "0", "BSN fails the elfproef"
            person = (row["voornamen"], row["tussenvoegsel"], row["achternaam"],
                      row["geboortedatum"])
            assert person_of_bsn.setdefault(bsn, person) == person
    assert len(person_of_bsn) > 1000
    # Unique per person: no two people share a BSN (checked above), and people differ.
    assert len(set(person_of_bsn.values())) == len(person_of_bsn)


# -- dates, windows, crisis ------------------------------------------------------------------------


def test_dates_windows_and_crisis(clean_rows):
    crisis = Counter()
    for month, rows in clean_rows.items():
        year, mon = map(int, month.split("-"))
        for row in rows:
            signal = row["signaaldatum"]
            assert (signal.year, signal.month) == (year, mon)
            assert signal.weekday() < 5
            assert signal <= date(2026, 4, 30)
            lo, hi = WINDOWS[row["partner_type"]]
            assert lo <= (signal - row["ontstaansdatum"]).days <= hi, row["partner_type"]
            crisis[row["partner_type"], row["crisis"]] += 1
    assert crisis["Zorg", "ja"] == 0
    for ptype in ("Huur", "Energie", "Water"):
        share = crisis[ptype, "ja"] / (crisis[ptype, "ja"] + crisis[ptype, "nee"])
        assert 0.005 <= share <= 0.07, ptype


def test_sample_partners_of_the_types_added_since_2024_signal_within_their_rules(tmp_path):
    """With the sample partners of partners-sinds-2024/ active, every signal of theirs lies in
    its type's window and above its minimum amount as the configuration's partner_types (the
    rules validation and scoring read) set them, and each new type gets a small share."""
    import shutil

    from vroeg.settings import SHIPPED_CONFIG

    folder = tmp_path / "config" / "0080"
    shutil.copytree(SHIPPED_CONFIG / "0080", folder)
    for sample in sorted((folder / "partners-sinds-2024").glob("*.yaml")):
        sample.rename(folder / "partners" / sample.name)
    municipality = load_municipality(Home(tmp_path), "0080")
    new_types = {"Belastingdienst", "Dienst Toeslagen", "CAK Eigen bijdrage", "Hypotheek"}
    assert new_types <= {p.partner_type for p in municipality.partners.values()}
    report = generate(municipality, tmp_path / "out", seed=80, end="2026-10", months=2,
                      signals_per_month=400, bad_row_share=0)
    rows = [r for month in read_all(report, municipality).values() for r in month]
    per_type = Counter(r["partner_type"] for r in rows)
    for ptype in sorted(new_types):
        rule = municipality.partner_types[ptype]
        mine = [r for r in rows if r["partner_type"] == ptype]
        assert mine and len(mine) / len(rows) < 0.06, (ptype, per_type)
        for row in mine:
            days = (row["signaaldatum"] - row["ontstaansdatum"]).days
            assert days >= (rule.min_days or 0) and days <= (rule.max_days or days), ptype
            assert row["bedrag"] >= (rule.min_amount or 0), ptype
    assert municipality.partner_types["CAK Eigen bijdrage"].min_days == 151
    assert municipality.partner_types["Belastingdienst"].min_amount == 600


def test_signal_ids_unique_per_partner_with_prefix(year_start):
    _, by_month = year_start
    ids = defaultdict(list)
    for rows in by_month.values():
        for row in rows:
            ids[row["partner_id"]].append(row["signaal_id"])
    prefixes = {"zorg-noord": "ZN", "energie-fryslan": "EF", "water-noord": "WN",
                "wonen-fryslan": "WF"}
    for partner_id, values in ids.items():
        assert len(values) == len(set(values)), partner_id
        assert all(re.fullmatch(rf"{prefixes[partner_id]}-20\d\d-\d{{6}}", v) for v in values)


# -- layouts follow the configuration --------------------------------------------------------------


def _files(report: GenerationReport, partner_id: str) -> list[Path]:
    return [f.path for f in report.files if f.partner_id == partner_id]


def _configured_columns(partner: Partner) -> list[str]:
    columns = []
    for spec in partner.column_specs().values():
        for column in spec.source_columns:
            if column not in columns:
                columns.append(column)
    return columns


def test_energie_csv_is_latin1_comma_with_configured_columns(year_start, municipality):
    report, _ = year_start
    partner = municipality.partner("energie-fryslan")
    path = _files(report, partner.id)[0]
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # there are accented names, and they are Latin-1, not UTF-8
    with open(path, encoding="latin-1", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=","))
    assert rows[0] == _configured_columns(partner)
    assert "Klantnaam" in rows[0] and all(len(r) == len(rows[0]) for r in rows)
    name = rows[0].index("Klantnaam")
    cents = rows[0].index("Openstaand (cent)")
    flag = rows[0].index("Afsluiting aangekondigd")
    for row in rows[1:]:
        assert re.fullmatch(r"-?\d+", row[cents])
        assert row[flag] in ("J", "N")
        assert re.fullmatch(r"\d\d-\d\d-\d{4}", row[1])
        if row[name] and not row[name].startswith(","):
            assert re.fullmatch(r"[^,]+, [^,]+", row[name])
    assert b'"' in data  # the name column holds the delimiter and is quoted


def test_wonen_xlsx_sheet_titles_header_and_typed_cells(year_start, municipality):
    report, _ = year_start
    partner = municipality.partner("wonen-fryslan")
    workbook = openpyxl.load_workbook(_files(report, partner.id)[0])
    assert workbook.sheetnames == [partner.spreadsheet.sheet]
    sheet = workbook[partner.spreadsheet.sheet]
    header_row = partner.spreadsheet.header_row
    assert [c.value for c in sheet[header_row]] == _configured_columns(partner)
    assert "Woongroep Fryslân" in sheet["A1"].value
    assert sheet["A2"].value.startswith("Peildatum: ")
    header = [c.value for c in sheet[header_row]]
    first = dict(zip(header, [c.value for c in sheet[header_row + 1]], strict=True))
    assert isinstance(first["Datum melding"], datetime)
    assert isinstance(first["Geboortedatum"], datetime)
    assert isinstance(first["Huurachterstand"], float)
    assert isinstance(first["BSN"], str) and len(first["BSN"]) == 9
    assert isinstance(first["Huisnummer"], str)
    assert first["Ontruiming aangezegd"] in ("Ja", "Nee")


def test_standard_csv_header_bom_and_line_endings(year_start, municipality):
    report, _ = year_start
    expected = ";".join(STANDARD_COLUMNS)
    zorg = _files(report, "zorg-noord")[0].read_bytes()
    water = _files(report, "water-noord")[0].read_bytes()
    assert zorg.startswith(b"\xef\xbb\xbf" + expected.encode() + b"\r\n")
    assert water.startswith(expected.encode() + b"\n")
    for data in (zorg, water):
        rows = list(csv.reader(data.decode("utf-8-sig").splitlines(), delimiter=";"))
        amount = rows[0].index("bedrag")
        assert all(re.fullmatch(r"-?\d+,\d\d", r[amount]) for r in rows[1:])
        assert {r[rows[0].index("crisis")] for r in rows[1:]} <= {"ja", "nee"}


def test_unsupported_pattern_shape_fails_before_writing(municipality, tmp_path):
    odd = Partner(id="odd", name="Odd", partner_type="Overige", columns={
        "signaal_id": "Id", "signaaldatum": "Datum", "ontstaansdatum": "Sinds", "bedrag": "Bedrag",
        "crisis": "Crisis", "straatnaam": "Adres", "postcode": "PC", "huisnummer": "Nr",
        "woonplaats": "Plaats",
        # The surname only after a bracket that the generator has no way to produce.
        "achternaam": {"column": "Naam", "pattern": r"\[(\w+)\]"},
    })
    broken = municipality.model_copy(update={"partners": {"odd": odd}})
    with pytest.raises(GeneratorError, match="Naam"):
        generate(broken, tmp_path, months=1, signals_per_month=20)
    assert not any(tmp_path.iterdir())


# -- bad rows --------------------------------------------------------------------------------------


def test_bad_rows_are_counted_and_present(municipality, tmp_path):
    report = generate(municipality, tmp_path / "bad", end="2026-10", months=2,
                      signals_per_month=300, bad_row_share=0.03)
    assert report.total_bad_rows > 0
    kinds = Counter()
    for generated in report.files:
        rows = read_delivery(generated.path, municipality.partner(generated.partner_id))
        found = {row["row"]: defects_of(row) for row in rows if defects_of(row)}
        assert len(rows) == generated.rows
        assert {n: [k] for n, k in generated.bad_row_numbers} == found, generated.partner_id
        assert generated.bad_rows == len(found)
        if generated.rows >= 100:
            assert generated.bad_rows >= 1
        kinds.update(k for _, k in generated.bad_row_numbers)
    assert set(kinds) == {"postcode", "achternaam", "huisnummer", "bedrag"}


def test_no_bad_rows_when_share_is_zero(municipality, tmp_path):
    report = generate(municipality, tmp_path / "clean", end="2026-10", months=2,
                      signals_per_month=300, bad_row_share=0)
    assert report.total_bad_rows == 0
    for generated in report.files:
        rows = read_delivery(generated.path, municipality.partner(generated.partner_id))
        assert not [r for r in rows if defects_of(r)]


def test_report_holds_no_personal_data(year_start):
    report, by_month = year_start
    text = repr(report) + report.summary()
    rows = [r for rows in by_month.values() for r in rows]
    for row in rows[:300]:
        for field in ("bsn", "achternaam", "straatnaam", "telefoon"):
            value = row.get(field)
            if value and len(value) > 3:
                assert value not in text, field


# -- committed samples -----------------------------------------------------------------------------


def test_committed_samples_are_current(municipality, tmp_path):
    """data_samples/0080 equals a fresh run; regenerate with `python -m synthetic.generator`."""
    committed = REPO_ROOT / "data_samples" / "0080"
    report = generate(municipality, tmp_path, seed=80, end="2026-10", months=6)
    assert report.total_rows >= 3000
    fresh = tree_bytes(tmp_path)
    assert {n: d for n, d in tree_bytes(committed).items()} == fresh
    assert sum(len(d) for d in fresh.values()) < 2_000_000


def test_spelling_variants_of_the_demo_with_the_brp(municipality, tmp_path):
    """`spelling_variants` (vroeg demo --brp) changes only the addition in rows of partners
    without a BSN, to a spelling the address normaliser keeps apart; "hs" only at ground-floor
    addresses a partner with a BSN signals in the same month, so the BRP's address object has
    households to merge (issue 16: without them the default demo merged none)."""
    from synthetic.generator import (
        GROUND_FLOOR_PER_MONTH,
        GROUND_FLOOR_VARIANT,
        SPELLING_VARIANTS,
    )
    from synthetic.writers import BSN_TYPES

    def rows(variants: bool) -> list[dict]:
        report = generate(municipality, tmp_path / str(variants), end="2026-11", months=1,
                          bad_row_share=0, spelling_variants=variants)
        return [row for rows in read_all(report, municipality).values() for row in rows]

    plain, spelt = rows(False), rows(True)
    assert len(plain) == len(spelt)
    with_bsn = {household_key(r)[:2] for r in plain
                if municipality.partner(r["partner_id"]).partner_type in BSN_TYPES}
    ground_floor = set()
    for before, after in zip(plain, spelt, strict=True):
        changed = {k for k in before if before[k] != after[k]}
        if not changed:
            continue
        assert changed == {"huisnummertoevoeging"}
        assert municipality.partner(before["partner_id"]).partner_type not in BSN_TYPES
        old, new = before["huisnummertoevoeging"] or "", after["huisnummertoevoeging"]
        assert household_key(before) != household_key(after)
        if old:
            assert SPELLING_VARIANTS[old] == new
        else:
            assert new == GROUND_FLOOR_VARIANT
            assert household_key(before)[:2] in with_bsn
            ground_floor.add(household_key(before))
    assert 0 < len(ground_floor) <= GROUND_FLOOR_PER_MONTH
