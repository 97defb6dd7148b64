"""Hostile deliveries: each gets a clear error or a quarantined row, none crashes, hangs or
loses a row, and read = loaded + quarantined + duplicates holds for every one of them.

A representative subset goes through the real Prefect flow (`ingest`, and `run_flow` for
formula injection); the rest through the same step functions without Prefect (tests/ingesting).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests import REPO_ROOT
from tests.builders import TODAY, row, standard_file
from tests.ingesting import add_partner, assert_conserved, ingest_steps, signal_count
from vroeg.schema import STANDARD_COLUMNS

SAMPLES = REPO_ROOT / "data_samples" / "0080"
WONEN = SAMPLES / "wonen-fryslan" / "wonen-fryslan_2026-10.xlsx"


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def rows(n: int, **overrides) -> list[dict]:
    return [row(signaal_id=f"H-{i}", huisnummer=str(i + 1), **overrides) for i in range(n)]


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A 'workbook' of a few hundred kilobytes that inflates to 4 GB.

    One member of 100 MB of zeros deflates to ~100 kB; the central directory then lists it 40
    times under other names (overlapping entries, as in real zip bombs), so an unzipper that
    follows the directory inflates 40 x 100 MB from an archive no larger than one member.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(100):
                member.write(chunk)
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types, sheet = archive.infolist()
    body = data[: min(data.index(b"PK\x01\x02"), len(data))]

    def entry(info: zipfile.ZipInfo, name: str) -> bytes:
        encoded = name.encode()
        return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, info.compress_type, 0, 0,
                           info.CRC, info.compress_size, info.file_size, len(encoded), 0, 0, 0,
                           0, 0, info.header_offset) + encoded

    entries = [entry(types, types.filename)] + [
        entry(sheet, f"xl/worksheets/sheet{i}.xml") for i in range(1, 41)]
    directory = b"".join(entries)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                      len(directory), len(body), 0)
    bomb = body + directory + end
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 4 * 10**9
    assert len(bomb) < 1024 * 1024
    return bomb


# =================================================================================================
# Through the real flow (Prefect)
# =================================================================================================


@pytest.mark.prefect
def test_hostile_files_through_the_ingest_flow(prefect_server, home, tmp_path, zip_bomb):
    """One flow run with a file of each kind; every file ends with a status, the flow does not."""
    from flows.ingest import ingest

    files = {
        "leeg": write(tmp_path, "leeg.csv", b""),
        "binair": write(tmp_path, "binair.csv", os.urandom(4096) + b"\x00" * 16),
        "komma": write(tmp_path, "komma.csv", standard_file(rows(3), delimiter=",")),
        "shell": write(tmp_path, "$(rm -rf x);`touch y`|z&.csv", standard_file(rows(2))),
        "dubbel-id": write(tmp_path, "dubbel-id.csv", standard_file([
            row(signaal_id="D-1"), row(signaal_id="D-1"),  # the same signal twice
            row(signaal_id="D-2", huisnummer="5"), row(signaal_id="D-2", huisnummer="5",
                                                       bedrag="999,00"),  # contradicts itself
            row(signaal_id="D-3", huisnummer="6")])),
    }
    paths = [str(p) for p in files.values()]
    result = {r["bestand"]: r for r in ingest(gemeente="0080", paths=paths,
                                                   today=TODAY.isoformat())}
    for summary in result.values():
        assert_conserved(summary, home)

    assert result["leeg.csv"]["status"] == "onleesbaar"
    assert "leeg" in result["leeg.csv"]["melding"]
    assert result["binair.csv"]["status"] == "onleesbaar"
    assert "geen tekstbestand" in result["binair.csv"]["melding"]
    wrong = result["komma.csv"]
    assert wrong["status"] == "afgekeurd" and wrong["rijen_quarantaine"] == 3
    assert "','" in wrong["melding"] and "scheidingsteken" in wrong["melding"]
    shell = result["$(rm -rf x);`touch y`|z&.csv"]
    assert shell["status"] == "geladen" and shell["rijen_geladen"] == 2
    assert not (tmp_path / "y").exists()
    twice = result["dubbel-id.csv"]
    assert (twice["rijen_gelezen"], twice["rijen_geladen"], twice["rijen_quarantaine"],
            twice["rijen_dubbel"]) == (5, 2, 2, 1)

    # An XLSX that is not a zip, one that would inflate to 4 GB, and an unknown partner.
    bomb = write(tmp_path, "bom.xlsx", zip_bomb)
    csv_as_xlsx = write(tmp_path, "oud.xlsx", standard_file(rows(3, woonplaats="Grou",
                                                               postcode="9001 AA")))
    xlsx = {r["bestand"]: r for r in ingest(gemeente="0080",
                                                 paths=[str(bomb), str(csv_as_xlsx)],
                                                 partner_id="wonen-fryslan",
                                                 today=TODAY.isoformat())}
    assert xlsx["bom.xlsx"]["status"] == "onleesbaar" and "4000 MB" in xlsx["bom.xlsx"]["melding"]
    assert xlsx["oud.xlsx"]["status"] == "onleesbaar"
    assert "geen geldig Excel" in xlsx["oud.xlsx"]["melding"]
    for summary in xlsx.values():
        assert_conserved(summary, home)
    unknown = ingest(gemeente="0080", paths=[str(files["shell"])], partner_id="bestaat-niet")
    assert unknown[0]["status"] == "geweigerd" and "Onbekende partner" in unknown[0]["melding"]
    assert_conserved(unknown[0], home)
    assert signal_count(home) == 4


@pytest.mark.prefect
def test_formula_injection_never_reaches_a_visit_list_as_a_formula(prefect_server, home, tmp_path):
    """Names and addresses starting with = + - @ go through ingest, scoring and publication and
    come out as text: a leading quote in the CSV, typed text cells in the XLSX."""
    from flows.ingest import ingest
    from flows.run import run_flow

    attacks = [
        row(signaal_id="F-1", voornamen='=HYPERLINK("http://example.org/x","klik")',
            achternaam="Formule", huisnummer="1"),
        row(signaal_id="F-2", voornamen="+cmd|' /C calc'!A0", straatnaam="@SUM(1+1)",
            huisnummer="2"),
        row(signaal_id="F-3", voornamen="-2+3", woonplaats="=1+1", telefoon="+31612345678",
            huisnummer="3"),
        row(signaal_id="F-4", voornamen="@Anna", tussenvoegsel="", achternaam="=cmd()",
            huisnummer="4"),
    ]
    path = write(tmp_path, "formules.csv", standard_file(attacks))
    ingested = ingest(gemeente="0080", paths=[str(path)], today=TODAY.isoformat())[0]
    assert ingested["status"] == "geladen" and ingested["rijen_geladen"] == 4
    assert_conserved(ingested, home)

    run = run_flow(gemeente="0080", period="2026-10")
    centrum = next(item for item in run["lijsten"] if item["wijkteam"] == "wt-centrum")
    assert centrum["huishoudens"] == 4
    text = Path(centrum["csv"]).read_text(encoding="utf-8-sig")
    cells = [c for r in csv.reader(io.StringIO(text), delimiter=";") for c in r]
    assert any("HYPERLINK" in c for c in cells) and any("SUM(1+1)" in c for c in cells)
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@")), cell
    assert "'=HYPERLINK" in text and "'@SUM(1+1)" in text and "'+31612345678" in text

    workbook = openpyxl.load_workbook(centrum["xlsx"])
    sheet = workbook["Bezoeklijst"]
    texts = 0
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            assert cell.data_type != "f", cell.coordinate  # no formula anywhere
            if isinstance(cell.value, str):
                assert cell.number_format == "@", cell.coordinate  # typed text
                texts += 1
    names = [sheet.cell(row=r, column=3).value for r in range(2, 6)]
    assert '=HYPERLINK("http://example.org/x","klik") de Formule' in names
    assert texts > 0


# =================================================================================================
# Through the step functions
# =================================================================================================


def test_header_only_and_blank_lines(home, tmp_path):
    header = (";".join(STANDARD_COLUMNS) + "\r\n\r\n\r\n").encode()
    summary = ingest_steps(write(tmp_path, "kop.csv", header))
    assert summary["status"] == "geladen" and summary["rijen_gelezen"] == 0
    assert_conserved(summary, home)


def test_truncated_csv_keeps_every_row(home, tmp_path):
    data = standard_file(rows(4))
    cut_in_row = data[: data.rindex(b";Leeuwarden;")]  # the last row stops half-way
    summary = ingest_steps(write(tmp_path, "half.csv", cut_in_row))
    counts = (summary["rijen_gelezen"], summary["rijen_geladen"], summary["rijen_quarantaine"])
    assert counts == (4, 3, 1)
    assert_conserved(summary, home)

    quoted = standard_file([*rows(2), row(signaal_id="Q-1", straatnaam="Kort; lang")])
    cut_in_quote = quoted[: quoted.index(b'"Kort;') + 4]  # stops inside a quoted field
    summary = ingest_steps(write(tmp_path, "quote.csv", cut_in_quote))
    assert (summary["rijen_gelezen"], summary["rijen_quarantaine"]) == (3, 1)
    assert_conserved(summary, home)

    cut_in_character = standard_file([row(signaal_id="U-1", achternaam="Jäger")])
    cut = cut_in_character[: cut_in_character.index("ä".encode()) + 1]
    summary = ingest_steps(write(tmp_path, "utf8.csv", cut))
    assert summary["status"] == "onleesbaar" and "tekencodering" in summary["melding"]
    assert_conserved(summary, home)


def test_truncated_workbook_and_json(home, tmp_path):
    data = WONEN.read_bytes()
    summary = ingest_steps(write(tmp_path, "half.xlsx", data[: len(data) // 2]), "wonen-fryslan")
    assert summary["status"] == "onleesbaar" and "beschadigd" in summary["melding"]
    assert_conserved(summary, home)

    add_partner(home, "json-partner", JSON_PARTNER)
    document = b'[{"nummer": "J-1", "naam": "Jansen"}, {"nummer": "J-2", "na'
    summary = ingest_steps(write(tmp_path, "half.json", document), "json-partner")
    assert summary["status"] == "onleesbaar" and "afgebroken" in summary["melding"]
    assert_conserved(summary, home)
    deep = b"[" * 100_000 + b"]" * 100_000
    summary = ingest_steps(write(tmp_path, "diep.json", deep), "json-partner")
    assert summary["status"] == "onleesbaar"
    assert_conserved(summary, home)


def test_binary_garbage_without_nul_bytes(home, tmp_path):
    data = bytes(range(0x80, 0x100)) * 64
    summary = ingest_steps(write(tmp_path, "ruis.csv", data))
    assert summary["status"] == "onleesbaar" and "tekencodering" in summary["melding"]
    assert_conserved(summary, home)


def test_wrong_encoding_both_ways(home, tmp_path):
    # A UTF-8 partner sends Windows-1252: refused, naming the line, not the bytes.
    latin = standard_file([row(signaal_id="E-1", achternaam="Brouwer"),
                           row(signaal_id="E-2", achternaam="Hoekstra-Kuipers", huisnummer="3",
                               straatnaam="Überweg")], bom=False)
    latin = latin.decode("utf-8").encode("cp1252")
    summary = ingest_steps(write(tmp_path, "ansi.csv", latin), "zorg-noord")
    assert summary["status"] == "onleesbaar"
    assert "regel 2" in summary["melding"] and "Fryslân" not in summary["melding"]
    assert_conserved(summary, home)

    # A Latin-1 partner sends UTF-8: it decodes (any byte is Latin-1), so it is loaded with a
    # note that names the likely mistake.
    energie = (SAMPLES / "energie-fryslan" / "energie-fryslan_2026-10.csv").read_bytes()
    as_utf8 = energie.decode("latin-1").encode("utf-8")
    assert as_utf8 != energie
    summary = ingest_steps(write(tmp_path, "energie-utf8.csv", as_utf8), "energie-fryslan")
    assert summary["status"] == "geladen"
    assert any("lijkt UTF-8" in note for note in summary["opmerkingen"])
    assert_conserved(summary, home)


def test_mixed_line_endings(home, tmp_path):
    lines = standard_file(rows(5), bom=False, newline="\n").decode().split("\n")[:-1]
    ends = ["\r\n", "\n", "\r", "\r\n", "\n", "\r"]
    data = "".join(line + end for line, end in zip(lines, ends, strict=True)).encode()
    summary = ingest_steps(write(tmp_path, "gemengd.csv", data))
    assert (summary["status"], summary["rijen_gelezen"], summary["rijen_geladen"]) == (
        "geladen", 5, 5)
    assert_conserved(summary, home)


def test_path_in_a_file_name_is_never_used_as_a_path(home, tmp_path):
    path = write(tmp_path, "gewoon.csv", standard_file(rows(1)))
    for hostile in ("../../etc/x.csv", "..\\..\\windows\\y.csv", "a\nb\x1b[31m.csv", ".."):
        summary = ingest_steps(path, filename=hostile)
        assert "/" not in summary["bestand"] and "\\" not in summary["bestand"]
        assert "\n" not in summary["bestand"] and "\x1b" not in summary["bestand"]
        assert_conserved(summary, home)
    assert summary["status"] == "dubbel"
    archived = list((home.root / "archive").rglob("*"))
    assert all(p.is_relative_to(home.root / "archive") for p in archived)
    assert {p.name for p in archived if p.is_file()} == {f"{summary['sha256']}.bin"}
    assert not (home.root.parent / "etc").exists() and not (tmp_path.parent / "etc").exists()


def test_a_field_of_one_megabyte(home, tmp_path):
    big = "Zz" * 500_000
    data = standard_file([row(signaal_id="M-1", achternaam=big),
                          row(signaal_id="M-2", huisnummer="7")])
    summary = ingest_steps(write(tmp_path, "mega.csv", data))
    assert (summary["rijen_geladen"], summary["rijen_quarantaine"]) == (1, 1)
    assert_conserved(summary, home)
    from privacy.context import context
    from vroeg.opsdb import deliveries

    entries = deliveries.quarantine_entries(context("0080").database_url, summary["levering"])
    assert [(e["rij"], e["reden"], e["kolom"]) for e in entries] == [
        (2, "VELD_TE_LANG", "achternaam")]
    assert big[:20] not in repr(entries) and len(repr(entries)) < 1000


AMOUNT_PARTNER = """
id: bedragen-partner
name: Woonstichting Bedrag
partner_type: Huur
format: csv
decimal: ","
thousands: "."
date_formats: ["%d-%m-%Y", "excel"]
columns:
  signaal_id: Nummer
  signaaldatum: Datum
  ontstaansdatum: Sinds
  bedrag: Bedrag
  crisis: {value: nee}
  achternaam: Naam
  straatnaam: Straat
  postcode: Postcode
  huisnummer: Huisnummer
  woonplaats: {value: Leeuwarden}
"""

JSON_PARTNER = """
id: json-partner
name: JSON Wonen
partner_type: Huur
format: json
columns:
  signaal_id: nummer
  signaaldatum: datum
  ontstaansdatum: sinds
  bedrag: bedrag
  crisis: crisis
  achternaam: naam
  straatnaam: straat
  postcode: postcode
  huisnummer: huisnummer
  woonplaats: plaats
"""


def test_amounts_and_dates_that_are_not_what_they_seem(home, tmp_path):
    """In the standard format: 1.234,56, € 12, -5, NaN, 31-02-2026, 2026-13-01 and an Excel
    serial are each quarantined with their reason; rows around them load."""
    cases = {
        "A-1": ({"bedrag": "1.234,56"}, "BEDRAG_ONGELDIG"),
        "A-2": ({"bedrag": "€ 12"}, "BEDRAG_ONGELDIG"),
        "A-3": ({"bedrag": "-5"}, "BEDRAG_NEGATIEF"),
        "A-4": ({"bedrag": "NaN"}, "BEDRAG_ONGELDIG"),
        "A-5": ({"signaaldatum": "31-02-2026"}, "DATUM_ONGELDIG"),
        "A-6": ({"signaaldatum": "2026-13-01"}, "DATUM_ONGELDIG"),
        "A-7": ({"ontstaansdatum": "46000"}, "DATUM_ONGELDIG"),
    }
    items = rows(8)
    for i, (signal, (values, _)) in enumerate(cases.items()):
        items.append(row(signaal_id=signal, huisnummer=str(100 + i), **values))
    summary = ingest_steps(write(tmp_path, "bedragen.csv", standard_file(items)))
    assert (summary["rijen_geladen"], summary["rijen_quarantaine"]) == (8, 7)
    assert_conserved(summary, home)
    from privacy.context import context
    from vroeg.opsdb import deliveries

    entries = deliveries.quarantine_entries(context("0080").database_url, summary["levering"])
    assert [e["reden"] for e in entries] == [reason for _, reason in cases.values()]

    # A partner that writes thousands separators and Excel serial dates says so in its
    # configuration; then the same values are read as what they mean.
    add_partner(home, "bedragen-partner", AMOUNT_PARTNER)
    data = (
        "Nummer;Datum;Sinds;Bedrag;Naam;Straat;Postcode;Huisnummer\n"
        "B-1;14-10-2026;46233;1.234,56;Jansen;Kerkstraat;8911AA;1\n"      # serial 2026-07-30
        "B-2;14-10-2026;01-08-2026;12,5;Jansen;Kerkstraat;8911AA;2\n"
        "B-3;14-10-2026;01-08-2026;1.23,4;Jansen;Kerkstraat;8911AA;3\n"   # not grouped in threes
        "B-4;31-02-2026;01-08-2026;€ 12;Jansen;Kerkstraat;8911AA;4\n"
        "B-5;14-10-2026;01-08-2026;NaN;Jansen;Kerkstraat;8911AA;5\n"
        "B-6;14-10-2026;01-08-2026;12.345.678,90;Jansen;Kerkstraat;8911AA;6\n"
        "B-7;14-10-2026;01-08-2026;7;Jansen;Kerkstraat;8911AA;7\n"
        "B-8;14-10-2026;01-08-2026;8;Jansen;Kerkstraat;8911AA;8\n"
        "B-9;14-10-2026;01-08-2026;9;Jansen;Kerkstraat;8911AA;9\n"
    ).encode()
    summary = ingest_steps(write(tmp_path, "partner.csv", data), "bedragen-partner")
    # B-6 reads as EUR 12,345,678.90: above max_amount, quarantined as implausible.
    assert (summary["rijen_geladen"], summary["rijen_quarantaine"]) == (5, 4)
    assert_conserved(summary, home)
    import duckdb

    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    amounts = (con.execute(
        "SELECT ontstaansdatum::VARCHAR, bedrag_cent FROM signals WHERE partner_id = "
        "'bedragen-partner' ORDER BY 1").fetchall())
    con.close()
    assert sorted(amounts) == [("2026-07-30", 123456), ("2026-08-01", 700), ("2026-08-01", 800),
                               ("2026-08-01", 900), ("2026-08-01", 1250)]


def test_json_nested_and_broken_lines(home, tmp_path):
    add_partner(home, "json-partner", JSON_PARTNER)
    good = ('{"nummer": "%s", "datum": "2026-10-14", "sinds": "2026-08-01", "bedrag": 120.5, '
            '"crisis": false, "naam": "Jansen", "straat": "Kerkstraat", "postcode": "8911AA", '
            '"huisnummer": %d, "plaats": "Leeuwarden"}')
    lines = [good % ("J-1", 1), good % ("J-2", 2), '{"nummer": "J-3", "naam": {"voor": "x"}}',
             "{dit is geen json", good % ("J-4", 4)]
    data = "\n".join(lines).encode()
    summary = ingest_steps(write(tmp_path, "regels.jsonl", data), "json-partner")
    counts = (summary["rijen_gelezen"], summary["rijen_geladen"], summary["rijen_quarantaine"])
    assert counts == (5, 3, 2)
    assert_conserved(summary, home)


def test_zip_bomb_through_the_steps_stays_within_a_memory_bound(home, tmp_path, zip_bomb):
    path = write(tmp_path, "bom.xlsx", zip_bomb)
    tracemalloc.start()
    try:
        summary = ingest_steps(path, "wonen-fryslan")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary["status"] == "onleesbaar" and "geweigerd" in summary["melding"]
    assert_conserved(summary, home)
    assert peak < 64 * 1024 * 1024  # the 4 GB were never inflated


# =================================================================================================
# A 100 MB delivery, in a process of its own so its peak memory can be measured
# =================================================================================================

_BIG_SCRIPT = r"""
import json, resource, sys
from tests.ingesting import ingest_steps
summary = ingest_steps(sys.argv[1])
summary["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps(summary))
"""


def write_big_standard_file(path: Path, target_bytes: int) -> int:
    """Stream a valid standard-format file of at least `target_bytes`; returns its row count.

    Each row carries a 900-character remarks column of the partner's own (ignored, reported),
    as real exports do, so 100 MB is about 100,000 signals.
    """
    columns = [*STANDARD_COLUMNS, "referentie"]
    reference = "R" * 900
    teams = ["8911", "8912", "8914", "8921", "8925", "8926", "8932", "8936", "9001"]
    written, count = 0, 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(codecs.BOM_UTF8.decode("utf-8") + ";".join(columns) + "\r\n")
        while written < target_bytes:
            block = []
            for _ in range(5000):
                n = count
                day = 1 + n % 28
                block.append(";".join([
                    f"G-{n:08d}", "Huur", "Woongroep Fryslân", f"2026-10-{day:02d}",
                    f"2026-08-{day:02d}", f"{100 + n % 900},{n % 100:02d}", "nee", "", "",
                    "Anna", "de", f"Testpersoon{n % 997}", "", "Proefstraat",
                    f"{teams[n % 9]} AB", str(1 + n % 500), "", "Leeuwarden", "", "",
                    f"{reference}{n}"]))
                count += 1
            text = "\r\n".join(block) + "\r\n"
            handle.write(text)
            written += len(text.encode("utf-8"))
    return count


@pytest.mark.slow
def test_a_100_megabyte_delivery(home, tmp_path):
    path = tmp_path / "groot.csv"
    count = write_big_standard_file(path, 100 * 1024 * 1024)
    assert path.stat().st_size >= 100 * 1024 * 1024
    env = {**os.environ, "VROEG_HOME": str(home.root)}
    process = subprocess.Popen([sys.executable, "-c", _BIG_SCRIPT, str(path)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=REPO_ROOT)
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr.decode()[-2000:]
    import json

    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    # The libraries alone take ~350 MB; the file is read, archived and read back whole (the
    # bytes hashed are the bytes parsed), then handled in blocks: far below ten times its size.
    assert summary.pop("peak_rss_mb") < 1500
    assert (summary["status"], summary["rijen_gelezen"], summary["rijen_geladen"]) == (
        "geladen", count, count)
    assert_conserved(summary, home)
    # The extra column is reported by position, never by its text (issue 19, point 6).
    assert f"kolommen genegeerd (positie in het bestand): {len(STANDARD_COLUMNS) + 1}" \
        in summary["opmerkingen"]
    assert signal_count(home) == count
