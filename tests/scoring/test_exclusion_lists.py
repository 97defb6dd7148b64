"""Exclusion list files: pseudonymised on load, refused whole when bad, loadable from the CLI.

An entry must produce exactly the pseudonym the pipeline gives the same person or address in a
signal, or it would exclude nobody; the tests compare with privacy.pseudonymise itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl
import pytest
from typer.testing import CliRunner

from cli import app
from privacy.pseudonymise import pseudonymise
from scoring import exclusions, warehouse
from scoring.exclusions import ExclusionListError, read_list
from vroeg.config import ExclusionList

runner = CliRunner()

#: A clean signal row as quality.validate.clean_signals gives it (two residents, one with BSN).
CLEAN = pl.DataFrame({
    "partner_id": ["zorg-noord", "zorg-noord"], "signaal_id": ["1", "2"],
    "partner_type": ["Zorg", "Zorg"], "partner_naam": ["Z", "Z"],
    "signaaldatum": [dt.date(2026, 10, 1)] * 2, "ontstaansdatum": [dt.date(2026, 8, 1)] * 2,
    "bedrag_cent": [10_000, 10_000], "crisis": [False, False],
    "bsn": ["999990019", None], "voornamen": ["Anna", "Piet"], "tussenvoegsel": [None, None],
    "achternaam": ["Testpersoon", "Jansen"],
    "geboortedatum": [dt.date(1984, 3, 2), dt.date(1950, 1, 31)],
    "straatnaam": ["Proefstraat"] * 2, "postcode": ["8911AB", "8912CD"],
    "huisnummer": ["12", "3"], "toevoeging_sleutel": ["A", ""],
    "huisnummertoevoeging": ["a", None], "woonplaats": ["Leeuwarden"] * 2,
    "telefoon": [None, None], "email": [None, None], "wijkteam": ["wt-centrum", "wt-oost"],
    "bron_rij": [2, 3],
})


def test_entries_get_the_pseudonyms_of_the_same_person_or_address_in_a_signal(keys):
    facts = pseudonymise(CLEAN, keys).facts
    data = (
        b"bsn;achternaam;voornamen;geboortedatum;postcode;huisnummer;huisnummertoevoeging;datum\n"
        # By BSN (the date of birth and address do not matter then).
        b"999990019;;;;;;;2026-09-01\n"
        # Without BSN: by surname, first initial, date of birth and address, as signals are.
        b";JANSEN;P.;31-01-1950;8912 cd;3;;\n"
        # An address only: the household (addition written another way).
        b";;;;8911ab;12-a;;\n"
    )
    entries = read_list(data, "lijst.csv", "test", keys)
    assert entries["sleutelsoort"].to_list() == ["persoon", "persoon", "huishouden"]
    assert entries["pseudoniem"].to_list() == [
        facts["persoon_pseudoniem"][0], facts["persoon_pseudoniem"][1],
        facts["huishouden_pseudoniem"][0]]
    assert entries["datum"].to_list() == [dt.date(2026, 9, 1), None, None]
    # Nothing in clear: only pseudonyms, dates and the list's code.
    assert not any("999990019" in str(v) or "8911" in str(v)
                   for column in entries.iter_columns() for v in column.to_list())


@pytest.mark.parametrize(("data", "message"), [
    (b"bsn\n123456789\n", "rij 2: kolom bsn: geen 9 cijfers of voldoet niet aan de elfproef"),
    (b"postcode;huisnummer\n1234;5\n", "rij 2: geen BSN en geen geldig adres"),
    (b"bsn;datum\n999990019;31-02-2026\n", "rij 2: kolom datum: geen datum"),
    (b"bsn;datum;geldig_tot\n999990019;2026-05-01;2026-04-01\n", "geldig_tot ligt voor datum"),
    (b"bsn;naam\n999990019;Jan\n", "onbekende of dubbele kolommen (naam)"),
    (b"achternaam;voornamen\nJansen;Piet\n", "kolom bsn nodig, of postcode en huisnummer"),
    (b"bsn;datum\n999990019;2026-01-01;extra\n", "rij 2: 3 velden in plaats van 2"),
    (b"\xff\xfe\x00b\x00s", "geen UTF-8"),
    (b"", "leeg"),
])
def test_a_bad_list_is_refused_whole_without_values(keys, data, message):
    with pytest.raises(ExclusionListError) as caught:
        read_list(data, "lijst.csv", "test", keys)
    assert message in caught.value.message
    assert caught.value.message.startswith("lijst.csv: lijst niet geladen")
    assert "123456789" not in caught.value.message and "Jan" not in caught.value.message


def test_a_list_with_only_a_header_empties_the_list(keys, tmp_path):
    assert read_list(b"bsn\n", "leeg.csv", "test", keys).height == 0


def test_store_replaces_the_previous_version_and_a_bad_file_keeps_it(keys, tmp_path):
    exclusion = ExclusionList(code="overleden", name="o", kind="overleden", scope="persoon")
    good, bad = tmp_path / "goed.csv", tmp_path / "fout.csv"
    good.write_text("bsn\n999990019\n999990020\n")
    bad.write_text("bsn\n999990019\nkapot\n")
    with warehouse.connect(tmp_path / "w.duckdb", write=True) as con:
        loaded = exclusions.load_file(con, good, exclusion, keys)
        assert (loaded.persons, loaded.addresses) == (2, 0)
        # The file is recognised by a keyed MAC: a plain hash of a one-BSN file is guessable.
        plain = hashlib.sha256(good.read_bytes()).hexdigest()
        assert loaded.mac.startswith("mac_") and plain not in loaded.mac
        assert plain not in str(exclusions.loaded_lists(con))
        with pytest.raises(ExclusionListError, match="rij 3"):
            exclusions.load_file(con, bad, exclusion, keys)
        assert con.execute("SELECT count(*) FROM exclusion_entries").fetchone()[0] == 2
        good.write_text("bsn\n999990019\n")
        exclusions.load_file(con, good, exclusion, keys)
        assert con.execute("SELECT count(*) FROM exclusion_entries").fetchone()[0] == 1
        assert exclusions.loaded_lists(con)["overleden"]["personen"] == 1


def test_configured_lists_load_when_changed_and_a_required_list_must_exist(home, municipality):
    config_dir = home.config_dir("0080")  # the shipped sample with its synthetic lists
    with warehouse.connect(home.warehouse_path("0080"), write=True) as con:
        first = exclusions.sync_configured(con, municipality, config_dir, _keys(home),
                                           database_url=home.database_url)
        assert {r["lijst"]: r["status"] for r in first} == {
            "overleden": "geladen", "verhuisd": "geladen", "schuldhulp": "geladen",
            "veiligheid": "geladen", "hoeft-geen-hulp": "uit casussen"}
        again = exclusions.sync_configured(con, municipality, config_dir, _keys(home))
        assert {r["status"] for r in again} == {"ongewijzigd", "eerder geladen"}
        # A required list (the safety list) that was never loaded stops the run.
        required = municipality.model_copy(update={"exclusions": [
            ExclusionList(code="nieuw", name="n", kind="veiligheid", scope="huishouden",
                          file="lists/bestaat-niet.csv", required=True)]})
        with pytest.raises(ExclusionListError, match="Verplichte uitsluitingslijst.*nieuw"):
            exclusions.sync_configured(con, required, config_dir, _keys(home))


def _keys(home):
    from privacy.keys import load_keys

    return load_keys(home, "0080")


def test_cli_loads_a_list_removes_the_file_and_shows_the_status(home, tmp_path):
    path = tmp_path / "overleden_export.csv"
    path.write_text("bsn;datum\n999990019;2026-09-01\n")
    result = runner.invoke(app, ["exclusions", "load", "overleden", str(path), "--remove"])
    assert result.exit_code == 0, result.output
    assert "1 personen en 0 adressen" in result.output and not path.exists()
    status = runner.invoke(app, ["exclusions", "status"])
    assert status.exit_code == 0 and "overleden" in status.output
    assert "nooit" in status.output  # the other sample lists were not loaded yet
    bad = tmp_path / "kapot.csv"
    bad.write_text("bsn\n12\n")
    refused = runner.invoke(app, ["exclusions", "load", "overleden", str(bad), "--remove"])
    assert refused.exit_code == 1 and "rij 2" in refused.output and bad.exists()
    unknown = runner.invoke(app, ["exclusions", "load", "bestaat-niet", str(bad)])
    assert unknown.exit_code == 2 and "Onbekende lijst" in unknown.output


def test_cases_closed_with_hoeft_geen_hulp_keep_a_household_off_the_list(home, municipality):
    """The portal's cases feed the hoeft-geen-hulp list: closed less than 6 months ago counts."""
    from scoring.load import load_signals
    from scoring.score import Period, score_period
    from tests.scoring.test_warehouse import fact, frame
    from vroeg.opsdb import db
    from vroeg.opsdb.cases import NO_HELP_NEEDED
    from vroeg.opsdb.models import Case

    def case(pseudonym: str, closed: dt.datetime, result: str = NO_HELP_NEEDED) -> Case:
        return Case(id=pseudonym[-6:] + "x" * 10, gemeente="0080", publication_id=None,
                    run_id="2026-03-x", wijkteam="wt-centrum", period="2026-03", regel=1, rang=1,
                    huishouden_pseudoniem=pseudonym, created_by="coordinator",
                    eindresultaat=result, eindresultaat_op=closed)

    with db.session(home.database_url) as s:
        s.add_all([
            case("k1_h1", dt.datetime(2026, 9, 15, tzinfo=dt.UTC)),   # 1.5 months before 31-10
            case("k1_h2", dt.datetime(2026, 2, 1, tzinfo=dt.UTC)),    # more than 6 months
            case("k1_h3", dt.datetime(2026, 9, 15, tzinfo=dt.UTC),
                 result="Inwoner niet bereikt"),                         # another end result
        ])
    with warehouse.connect(home.warehouse_path("0080"), write=True) as con:
        load_signals(con, frame(fact("a", "h1"), fact("b", "h2"), fact("c", "h3")), "l")
        report = exclusions.sync_configured(con, municipality, home.config_dir("0080"),
                                            _keys(home), database_url=home.database_url)
        cases_list = next(r for r in report if r["lijst"] == "hoeft-geen-hulp")
        assert (cases_list["status"], cases_list["adressen"]) == ("uit casussen", 2)
        score_period(con, municipality, Period(2026, 10), "r")
        status = dict(con.execute("SELECT huishouden_pseudoniem, status FROM household_scores"
                                  ).fetchall())
    assert status == {"k1_h1": "uitgesloten", "k1_h2": "bezoeklijst", "k1_h3": "bezoeklijst"}


def test_a_list_loaded_under_an_earlier_key_is_reported_and_a_required_one_stops(home, tmp_path):
    from vroeg.config import load_municipality

    municipality = load_municipality(home, "0080")
    with warehouse.connect(home.warehouse_path("0080"), write=True) as con:
        exclusions.sync_configured(con, municipality, home.config_dir("0080"), _keys(home))
        # As if the lists had been loaded under key version 1 and the key is now version 2.
        newer = type(_keys(home))(gemeente="0080", version=2, master=b"n" * 32)
        without_files = municipality.model_copy(update={"exclusions": [
            x.model_copy(update={"file": None}) for x in municipality.exclusions]})
        with pytest.raises(ExclusionListError, match="oude sleutel.*veiligheid|veiligheid.*oude"):
            exclusions.sync_configured(con, without_files, home.config_dir("0080"), newer)
        optional = without_files.model_copy(update={"exclusions": [
            x.model_copy(update={"required": False}) for x in without_files.exclusions]})
        report = exclusions.sync_configured(con, optional, home.config_dir("0080"), newer)
        assert {r["lijst"]: r["status"] for r in report}["overleden"] == "oude sleutel"
        # With the files still configured, the lists are pseudonymised again under the new key.
        again = exclusions.sync_configured(con, municipality, home.config_dir("0080"), newer)
        assert {r["lijst"]: r["status"] for r in again}["veiligheid"] == "geladen"


def test_entries_that_can_no_longer_apply_are_purged(home, municipality):
    """Minimisation: an entry past its end, past its list's term, or of a list no longer
    configured is deleted at the next run; entries in force stay."""
    from vroeg.config import ExclusionList

    lists = [ExclusionList(code="schuldhulp", name="s", kind="schuldhulp", scope="huishouden"),
             ExclusionList(code="hgh", name="h", kind="hoeft-geen-hulp", scope="huishouden",
                           valid_months=6)]
    configured = municipality.model_copy(update={"exclusions": lists})
    entries = pl.DataFrame([
        {"lijst": "schuldhulp", "pseudoniem": "k1_open", "datum": None, "geldig_tot": None},
        {"lijst": "schuldhulp", "pseudoniem": "k1_ended", "datum": None,
         "geldig_tot": dt.date(2026, 10, 31)},
        {"lijst": "hgh", "pseudoniem": "k1_recent", "datum": dt.date(2026, 6, 1),
         "geldig_tot": None},
        {"lijst": "hgh", "pseudoniem": "k1_old", "datum": dt.date(2026, 5, 1),
         "geldig_tot": None},
        {"lijst": "weg", "pseudoniem": "k1_gone", "datum": None, "geldig_tot": None},
    ]).with_columns(pl.lit("huishouden").alias("sleutelsoort"),
                    pl.lit(1, dtype=pl.Int32).alias("sleutelversie"))
    with warehouse.connect(home.warehouse_path("0080"), write=True) as con:
        for code in ("schuldhulp", "hgh", "weg"):
            exclusions.store_list(con, entries.filter(pl.col("lijst") == code), code=code,
                                  mac="mac_x", filename="f", key_version=1)
        removed = exclusions.purge_expired(con, configured, dt.date(2026, 11, 1))
        left = sorted(p for (p,) in con.execute("SELECT pseudoniem FROM exclusion_entries")
                      .fetchall())
        assert "weg" not in exclusions.loaded_lists(con)
    assert removed == 3
    assert left == ["k1_open", "k1_recent"]
