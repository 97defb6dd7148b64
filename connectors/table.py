"""The common output of every reader: a table of text cells with the source row numbers.

Readers keep every data row. A row that cannot be taken apart cleanly (too many or too few fields)
is kept too, flagged in READ_PROBLEM, so that validation quarantines it with a reason instead of
it silently disappearing: rows read = loaded + quarantined + duplicates must always hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from vroeg.errors import DeliveryRejected
from vroeg.schema import SOURCE_ROW

#: Column holding a reader's reason code for a row it could not read cleanly (else null).
READ_PROBLEM = "_leesfout"


@dataclass
class SourceTable:
    """Text cells under the source's own column names, plus SOURCE_ROW and READ_PROBLEM."""

    columns: list[str]
    frame: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.frame.height


def build_table(columns: list[str], rows: list[list[str | None]], row_numbers: list[int],
                problems: list[str | None]) -> SourceTable:
    """Assemble a SourceTable from row lists; rows must already have len(columns) cells."""
    data: dict[str, list] = {name: [] for name in columns}
    if rows:
        for name, values in zip(columns, zip(*rows, strict=True), strict=True):
            data[name] = list(values)
    frame = pl.DataFrame(
        {
            **{name: pl.Series(name, values, dtype=pl.String) for name, values in data.items()},
            SOURCE_ROW: pl.Series(SOURCE_ROW, row_numbers, dtype=pl.Int64),
            READ_PROBLEM: pl.Series(READ_PROBLEM, problems, dtype=pl.String),
        }
    )
    return SourceTable(columns=columns, frame=frame)


#: Columns every reader adds to a table; no delivery's column may have their names.
_RESERVED = {SOURCE_ROW.casefold(), READ_PROBLEM.casefold()}


def check_header(columns: list[str], filename: str) -> list[str]:
    """Strip names; refuse empty or repeated names, which would make a mapping ambiguous, and
    the names of the columns the readers add themselves.

    A message names columns by position, never by their text: in a file without a header row
    the "header" is the first signal, so a repeated name there is a resident's surname or
    street, and the message goes to the registry, notifications, Prefect's log and the portal.
    """
    cleaned = [(c or "").strip().lstrip("\ufeff") for c in columns]
    if not any(cleaned):
        raise DeliveryRejected(f"{filename}: de kopregel bevat geen kolomnamen.", "KOPREGEL_LEEG")
    seen: dict[str, int] = {}
    for position, name in enumerate(cleaned, start=1):
        key = name.casefold()
        if key and key in seen:
            raise DeliveryRejected(
                f"{filename}: kolom {seen[key]} en kolom {position} van de kopregel hebben "
                f"dezelfde naam. Heeft het bestand wel een kopregel?",
                "KOLOM_DUBBEL",
            )
        seen.setdefault(key, position)
        if key in _RESERVED:
            # The reader adds these columns itself (row number, read problem): a delivery's
            # column of the same name would overwrite or clash with them.
            raise DeliveryRejected(
                f"{filename}: kolom {position} van de kopregel heet '{name}', een naam die "
                "vroegsignalering zelf gebruikt. Geef die kolom een andere naam.",
                "KOLOM_GERESERVEERD",
            )
    # Unnamed columns get a positional name so that their cells are still counted.
    return [name or f"kolom_{i}" for i, name in enumerate(cleaned, start=1)]
