"""Connectors: read one delivery in its partner's format and map it onto the standard schema.

    read_delivery(data, filename, partner) -> MappedDelivery   (text in standard columns)
    parse(mapped, municipality)            -> pl.DataFrame     (plus typed `<field>_p` columns)

Readers take bytes, not paths, so that the bytes hashed and archived are exactly the bytes read.
"""

from __future__ import annotations

from connectors.csv_reader import read_csv
from connectors.json_reader import read_json
from connectors.mapping import MappedDelivery, map_to_standard
from connectors.parse import parse
from connectors.table import READ_PROBLEM, SourceTable
from connectors.xlsx_reader import read_xlsx
from vroeg.config import Partner

__all__ = ["MappedDelivery", "READ_PROBLEM", "SourceTable", "parse", "read_delivery", "read_table"]


def read_table(data: bytes, filename: str, partner: Partner) -> SourceTable:
    if partner.channel == "sql":
        # A query result is received as canonical JSON Lines (connectors.sql_source).
        return read_json(data, "utf-8", filename)
    if partner.format == "xlsx":
        return read_xlsx(data, partner.spreadsheet, filename)
    if partner.format == "json":
        return read_json(data, partner.csv.encoding, filename)
    return read_csv(data, partner.csv, filename)


def read_delivery(data: bytes, filename: str, partner: Partner,
                  known_partners: dict[str, Partner] | None = None) -> MappedDelivery:
    table = read_table(data, filename, partner)
    return map_to_standard(table, partner, filename, known_partners)
