"""Issue 19, point 6: values from a delivery never reach a message.

A file without a header row makes its first signal the header; a workbook without the configured
sheet is described by its sheet names. Both are content, and may be a resident's surname. Each
delivery goes through the real steps (flows.ingest without Prefect), its notification is recorded,
and then the operational database, the notifications and the log are searched for the value.
"""

from __future__ import annotations

import io
import logging

import openpyxl
import pytest
from sqlalchemy import select

from flows.ingest import ingest_files
from tests.builders import row, standard_file
from tests.leakscan import scan_tree
from vroeg import notify
from vroeg.opsdb import db
from vroeg.opsdb.models import Delivery, Notification, QuarantineRecord
from vroeg.schema import STANDARD_COLUMNS

SURNAME = "Qwvdubbelnaam"


def _everything_said(home, results: list[dict], caplog) -> str:
    """Every text a data officer or a log gets about these deliveries."""
    with db.session(home.database_url) as s:
        deliveries = s.scalars(select(Delivery)).all()
        quarantine = s.scalars(select(QuarantineRecord)).all()
        notifications = s.scalars(select(Notification)).all()
    texts = [repr(r) for r in results]
    texts += [f"{d.error_code} {d.error_message} {d.notes}" for d in deliveries]
    texts += [repr(vars(q)) for q in quarantine]
    texts += [f"{n.subject}\n{n.body}" for n in notifications]
    texts += [record.getMessage() for record in caplog.records]
    return "\n".join(texts)


def _no_value_stored(home) -> None:
    # The operational database and everything else in the home but the (encrypted) archive.
    findings, searched = scan_tree(home.root, [SURNAME])
    assert searched > 0
    assert not findings, findings


def test_a_headerless_file_with_a_repeated_value_is_refused_without_echoing_it(home, municipality,
                                                                              caplog, tmp_path):
    # The first data line is taken for the header; its surname is also the street name.
    first = row(signaal_id="HDR-1", achternaam=SURNAME, straatnaam=SURNAME)
    data = standard_file([first, row(signaal_id="HDR-2")])
    headerless = data.split(b"\r\n", 1)[1]
    delivery = tmp_path / "zonder-kop.csv"
    delivery.write_bytes(headerless)
    caplog.set_level(logging.INFO)

    results = ingest_files("0080", [str(delivery)])
    notify.notify_deliveries(home.database_url, municipality, results)

    with db.session(home.database_url) as s:
        assert s.scalars(select(Delivery.error_code)).one() == "KOLOM_DUBBEL"
    said = _everything_said(home, results, caplog)
    position = STANDARD_COLUMNS.index("achternaam") + 1, STANDARD_COLUMNS.index("straatnaam") + 1
    assert f"kolom {position[0]} en kolom {position[1]}" in said  # what the officer needs
    assert SURNAME not in said
    _no_value_stored(home)


def test_a_workbook_without_the_configured_sheet_does_not_name_its_sheets(home, municipality,
                                                                         caplog, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = SURNAME
    workbook.create_sheet(f"{SURNAME} 2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    delivery = tmp_path / "wonen.xlsx"
    delivery.write_bytes(buffer.getvalue())
    caplog.set_level(logging.INFO)

    results = ingest_files("0080", [str(delivery)], partner_id="wonen-fryslan")
    notify.notify_deliveries(home.database_url, municipality, results)

    with db.session(home.database_url) as s:
        assert s.scalars(select(Delivery.error_code)).one() == "WERKBLAD_ONTBREEKT"
    said = _everything_said(home, results, caplog)
    assert "Huurachterstanden" in said and "2 werkbladen" in said
    assert SURNAME not in said
    _no_value_stored(home)


@pytest.mark.parametrize("extra", [SURNAME])
def test_ignored_columns_are_named_by_position(home, caplog, tmp_path, extra):
    """A column the partner's mapping does not use is reported by its place in the file."""
    columns = (*STANDARD_COLUMNS, extra)
    delivery = tmp_path / "extra-kolom.csv"
    delivery.write_bytes(standard_file([row(signaal_id="IGN-1")], columns=columns))
    caplog.set_level(logging.INFO)

    results = ingest_files("0080", [str(delivery)])

    assert results[0]["status"] == "geladen", results
    said = _everything_said(home, results, caplog)
    assert f"kolommen genegeerd (positie in het bestand): {len(columns)}" in said
    assert extra not in said
