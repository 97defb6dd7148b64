"""The inbox channel: files claimed atomically (two concurrent scans never take one file twice),
ingested by the collect flow, removed from the inbox once archived."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

from connectors.inbox import CLAIMED, claim, waiting
from tests.builders import TODAY, row, standard_file
from tests.ingesting import add_partner, assert_conserved, inbox_partner, signal_count

INBOX_PARTNER = inbox_partner("inbox-wonen", "Inbox Wonen")


def _fill(folder: Path, count: int) -> set[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = {f"levering-{i:04d}.csv" for i in range(count)}
    for name in names:
        (folder / name).write_bytes(name.encode())
    return names


def _claim_until_empty(folder: str, start, out) -> None:
    """One scanner: wait for the start signal, then claim until nothing is left."""
    start.wait()
    taken: list[str] = []
    while True:
        got = claim(Path(folder))
        if not got and not any(e.is_file() for e in os.scandir(folder)):
            break
        taken += [c.filename for c in got]
    out.put(taken)


def test_two_processes_never_claim_one_file_twice(tmp_path):
    folder = tmp_path / "inbox"
    names = _fill(folder, 400)
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    scanners = [context.Process(target=_claim_until_empty, args=(str(folder), start, out))
                for _ in range(2)]
    for p in scanners:
        p.start()
    time.sleep(0.5)  # both are waiting on the event: they start scanning together
    start.set()
    results = [out.get(timeout=120) for _ in scanners]
    for p in scanners:
        p.join(timeout=60)
        assert p.exitcode == 0
    first, second = (set(r) for r in results)
    assert len(results[0]) == len(first) and len(results[1]) == len(second)  # no repeats
    assert not first & second  # no file claimed by both
    assert first | second == names  # and none left behind
    claimed = list((folder / CLAIMED).iterdir())
    assert len(claimed) == 400
    assert {p.name.split("--", 1)[1] for p in claimed} == names
    assert {p.read_bytes().decode() for p in claimed} == names  # contents intact


def test_threads_racing_for_the_same_files(tmp_path):
    folder = tmp_path / "inbox"
    names = _fill(folder, 300)
    barrier = threading.Barrier(4)
    taken: list[list[str]] = [[] for _ in range(4)]

    def scan(index: int) -> None:
        barrier.wait()
        for _ in range(3):
            taken[index] += [c.filename for c in claim(folder)]

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [name for part in taken for name in part]
    assert sorted(flat) == sorted(names)  # each file exactly once


def test_files_still_being_written_links_and_folders_are_left_alone(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("klaar.csv", ".verborgen.csv", "bezig.csv.part", "upload.tmp", "~$open.xlsx",
                 "notitie.txt"):
        (folder / name).write_text("x")
    (folder / "map.csv").mkdir()
    secret = tmp_path / "geheim.csv"
    secret.write_text("niet van de partner")
    (folder / "link.csv").symlink_to(secret)
    recent = folder / "net-binnen.csv"
    recent.write_text("x")

    now = time.time()
    old = now - 3600
    for p in folder.iterdir():
        if not p.is_symlink() and p != recent:
            os.utime(p, (old, old))
    got = claim(folder, pattern="*.csv", min_age_seconds=60, now=now)
    assert [c.filename for c in got] == ["klaar.csv"]
    assert recent.exists() and (folder / "link.csv").is_symlink() and secret.exists()
    assert waiting("x.csv.filepart") and waiting(".x") and not waiting("x.csv")
    # A later scan, once the recent file has settled, takes it too.
    assert [c.filename for c in claim(folder, pattern="*.csv", min_age_seconds=60,
                                      now=now + 120)] == ["net-binnen.csv"]


def test_a_hostile_name_in_the_inbox_stays_inside_claimed(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "$(rm -rf x);..csv").write_text("x")
    (got,) = claim(folder)
    assert got.filename == "$(rm -rf x);..csv"
    assert Path(got.path).parent == folder / CLAIMED


def test_collect_flow_ingests_the_inbox_once(home):
    from flows.inbox import collect_flow, inbox_dir

    add_partner(home, "inbox-wonen", INBOX_PARTNER)
    folder = inbox_dir(home, "0080", "inbox-wonen")
    folder.mkdir(parents=True)
    (folder / "oktober.csv").write_bytes(standard_file(
        [row(signaal_id=f"I-{i}", huisnummer=str(i + 1)) for i in range(3)]
        + [row(signaal_id="I-bad", postcode="99ZZ99")]))
    (folder / "kapot.csv").write_bytes(b"\x00\x01binair")
    (folder / "nog-bezig.csv.part").write_bytes(b"half")

    first = {r["bestand"]: r for r in collect_flow(gemeente="0080", today=TODAY.isoformat())}
    assert set(first) == {"oktober.csv", "kapot.csv"}
    assert (first["oktober.csv"]["status"], first["oktober.csv"]["rijen_geladen"],
            first["oktober.csv"]["rijen_quarantaine"]) == ("geladen", 3, 1)
    assert first["oktober.csv"]["kanaal"] == "inbox"
    assert first["kapot.csv"]["status"] == "onleesbaar"
    for summary in first.values():
        assert_conserved(summary, home)
    # Archived, so no plain copy stays behind; the partial upload is left for a later scan.
    assert sorted(p.name for p in folder.iterdir()) == [CLAIMED, "nog-bezig.csv.part"]
    assert list((folder / CLAIMED).iterdir()) == []

    assert collect_flow(gemeente="0080", today=TODAY.isoformat()) == []  # nothing new
    from typer.testing import CliRunner

    from cli import app

    quiet = CliRunner().invoke(app, ["collect"])
    assert quiet.exit_code == 0, quiet.output
    assert "Geen nieuwe leveringen (partners met kanaal inbox of sql: inbox-wonen)" in quiet.output
    refused = CliRunner().invoke(app, ["collect", "--partner", "zorg-noord"])
    assert refused.exit_code == 2 and "vroeg ingest" in refused.output
    # The partner drops the same file again: recognised, nothing loaded twice.
    (folder / "oktober-opnieuw.csv").write_bytes(standard_file(
        [row(signaal_id=f"I-{i}", huisnummer=str(i + 1)) for i in range(3)]
        + [row(signaal_id="I-bad", postcode="99ZZ99")]))
    (again,) = collect_flow(gemeente="0080", partner_id="inbox-wonen", today=TODAY.isoformat())
    assert again["status"] == "dubbel" and again["rijen_dubbel"] == 4
    assert_conserved(again, home)
    assert signal_count(home) == 3
