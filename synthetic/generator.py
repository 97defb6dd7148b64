"""Seeded synthetic partner deliveries for a configured municipality.

    from synthetic.generator import generate
    report = generate(municipality, Path("var/inbox/0080"), seed=80, end="2026-10", months=6)
    print(report.summary())

One file per partner per month, `<out_dir>/<partner_id>/<partner_id>_<YYYY-MM>.<csv|xlsx>`,
each in the layout its partner configuration describes. Everything is synthetic.

Determinism: every random draw comes from `random.Random` instances seeded with a string derived
from `seed` (string seeds are hashed with SHA-512 by `random`, not with `hash()`, so
PYTHONHASHSEED does not matter); partners are taken in id order and no set is ever iterated;
no clock, uuid or environment is read; workbooks get a fixed creation time derived from the month.
Same configuration and arguments, byte-identical files.

Regenerate the committed samples with `python -m synthetic.generator` (write_committed_samples).
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from synthetic.people import Population
from synthetic.simulation import (
    Month,
    Signal,
    Simulation,
    add_months,
    default_signals_per_month,
)
from synthetic.writers import (
    BSN_TYPES,
    DEFECTS,
    GeneratorError,
    SourceColumn,
    Style,
    apply_defect,
    apply_style,
    source_layout,
    standard_values,
    write_csv,
    write_xlsx,
)
from vroeg.config import Municipality, Partner, load_municipality
from vroeg.settings import Home

#: The last month of the committed samples; also the default so that a call without `end`
#: stays deterministic (the current month would make output depend on the day it runs).
SAMPLE_END = "2026-10"
SAMPLE_GEMEENTE = "0080"
SAMPLE_SEED = 80
SAMPLE_MONTHS = 6

#: How partners without a BSN write some floor additions in the demo with the BRP: each
#: normalises to something else than the original (and than any other addition the population
#: has), so only the BRP's address object can tell that "12 2hg" is "12 2-hoog".
SPELLING_VARIANTS = {"1": "1e", "2": "2e", "2-hoog": "2hg", "3-hoog": "3hg"}
#: How partners without a BSN write a ground-floor address that has no addition ("12 hs",
#: huis), at the first GROUND_FLOOR_PER_MONTH households (by id) of a month that partners with
#: and without a BSN both signal. Why: the BRP merges two spellings only when a BSN signal gives
#: the address object and a signal without one spells that address differently in the same
#: run, and few households that both kinds of partner signal have an addition (12%), so
#: SPELLING_VARIANTS alone left the default demo with no merge at all (issue 16). A fixed
#: number, not a share: a handful in every demo, the small one of tests/flows included; and
#: only there, so that the other signals without a BSN keep their address as the register has it.
GROUND_FLOOR_VARIANT = "hs"
GROUND_FLOOR_PER_MONTH = 6

__all__ = [
    "GeneratedFile", "GenerationReport", "GeneratorError", "TypeTotal", "generate",
    "write_committed_samples",
]


@dataclass(frozen=True)
class GeneratedFile:
    """One delivery file. Counts and row numbers only: safe to print or log."""

    path: Path
    partner_id: str
    partner_type: str
    month: str  # YYYY-MM
    rows: int
    bad_rows: int
    #: (source row, defect) per bad row; the row as `bron_rij` counts it (CSV: header is line 1;
    #: spreadsheet: the sheet row). Defects: postcode, achternaam, huisnummer, bedrag.
    bad_row_numbers: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class TypeTotal:
    files: int
    rows: int
    bad_rows: int


@dataclass
class GenerationReport:
    municipality: str
    seed: int
    first_month: str
    last_month: str
    signals_per_month: int
    bad_row_share: float
    files: list[GeneratedFile] = field(default_factory=list)

    @property
    def totals_by_partner_type(self) -> dict[str, TypeTotal]:
        out: dict[str, TypeTotal] = {}
        for ptype in sorted({f.partner_type for f in self.files}):
            mine = [f for f in self.files if f.partner_type == ptype]
            out[ptype] = TypeTotal(len(mine), sum(f.rows for f in mine),
                                   sum(f.bad_rows for f in mine))
        return out

    @property
    def total_rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def total_bad_rows(self) -> int:
        return sum(f.bad_rows for f in self.files)

    def summary(self) -> str:
        lines = [
            f"Synthetische leveringen gemeente {self.municipality}: {self.first_month} t/m "
            f"{self.last_month}, seed {self.seed}, {len(self.files)} bestanden, "
            f"{self.total_rows} signalen, {self.total_bad_rows} foute rijen.",
        ]
        for ptype, total in self.totals_by_partner_type.items():
            share = total.rows / self.total_rows if self.total_rows else 0.0
            lines.append(f"  {ptype:<10} {total.rows:>6} signalen ({share:5.1%}), "
                         f"{total.bad_rows} fout, {total.files} bestanden")
        return "\n".join(lines)


def parse_month(text: str) -> Month:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"month {text!r} is not YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def month_text(month: Month) -> str:
    return f"{month[0]}-{month[1]:02d}"


def partner_styles(partners: list[Partner]) -> dict[str, Style]:
    """Choices the configuration leaves open, fixed by partner order (sorted by id).

    Among standard-format CSV partners, the 2nd, 4th, ... write a UTF-8 BOM and CRLF line ends,
    the others no BOM and LF (for the sample: zorg-noord with BOM, water-noord without), so the
    reader meets both. Postcodes are written '8912 AB' by the 1st, 3rd, ... partner and '8912AB'
    by the others.
    """
    styles: dict[str, Style] = {}
    standard_seen = 0
    for index, partner in enumerate(partners):
        bom = False
        if partner.columns == "standard" and partner.format == "csv":
            bom = standard_seen % 2 == 1
            standard_seen += 1
        styles[partner.id] = Style(bom=bom, line_terminator="\r\n" if bom else "\n",
                                   postcode_space=index % 2 == 0)
    return styles


def choose_defects(seed: int, partner_id: str, month: Month, rows: int,
                   share: float) -> dict[int, str]:
    """Row index -> defect. Own random stream per file, so clean and defective runs of the same
    seed hold the same signals; at least one defect in a file of 100 rows or more."""
    if share <= 0 or rows == 0:
        return {}
    count = round(rows * share)
    if rows >= 100:
        count = max(count, 1)
    count = min(count, rows)
    rng = random.Random(f"vroeg-synthetic/{seed}/defects/{partner_id}/{month_text(month)}")
    chosen = sorted(rng.sample(range(rows), count))
    return {index: rng.choice(DEFECTS) for index in chosen}


def generate(municipality: Municipality, out_dir: Path, *, seed: int = SAMPLE_SEED,
             end: str = SAMPLE_END, months: int = SAMPLE_MONTHS,
             signals_per_month: int | None = None,
             bad_row_share: float = 0.005, spelling_variants: bool = False) -> GenerationReport:
    """Write `months` months of synthetic deliveries up to and including `end`.

    `signals_per_month` is the yearly average for the whole municipality (default 4.4 per 1,000
    inhabitants); months vary by a few percent and March is higher through the Zorg peak.
    `bad_row_share` of the rows of every file get one realistic defect (see GeneratedFile).
    `spelling_variants` (the demo with the BRP): partners that deliver no BSN write a floor
    addition their own way ("2-hoog" as "2hg", SPELLING_VARIANTS), and "hs" after a few
    ground-floor addresses that a partner with a BSN signals in the same month
    (GROUND_FLOOR_VARIANT), which the address normaliser cannot merge and the BRP's address
    object can.
    """
    last = parse_month(end)
    if months < 1:
        raise ValueError("months must be at least 1")
    if not 0 <= bad_row_share < 1:
        raise ValueError("bad_row_share must be at least 0 and below 1")
    volume = (default_signals_per_month(municipality) if signals_per_month is None
              else signals_per_month)
    if volume < 1:
        raise ValueError("signals_per_month must be at least 1")
    partners = sorted(municipality.partners.values(), key=lambda p: p.id)
    if not partners:
        raise GeneratorError(f"gemeente {municipality.code} has no partners configured")
    # Check every layout before writing anything, so a bad configuration leaves no half output.
    layouts = {p.id: _layout(p) for p in partners}
    styles = partner_styles(partners)

    first = add_months(last, -(months - 1))
    by_month = Simulation(municipality, partners, seed, volume).run(first, months)

    report = GenerationReport(municipality.code, seed, month_text(first), month_text(last),
                              volume, bad_row_share)
    for month, signals in by_month.items():
        ground_floor = ground_floor_households(signals) if spelling_variants else None
        for partner in partners:
            mine = sorted((s for s in signals if s.partner_id == partner.id),
                          key=lambda s: s.signaal_id)
            report.files.append(_write_file(out_dir, partner, layouts[partner.id],
                                            styles[partner.id], month, mine, seed, bad_row_share,
                                            ground_floor))
    return report


def population(municipality: Municipality, *, seed: int = SAMPLE_SEED, end: str = SAMPLE_END,
               months: int = SAMPLE_MONTHS, signals_per_month: int | None = None
               ) -> tuple[Population, list[Signal]]:
    """The synthetic population the deliveries of `generate` with the same arguments are about,
    and the signals of the last month, without writing a file (the demo's BRP stand-in
    registers the residents). Synthetic personal data: kept in memory, never logged or returned
    by a step."""
    volume = (default_signals_per_month(municipality) if signals_per_month is None
              else signals_per_month)
    partners = sorted(municipality.partners.values(), key=lambda p: p.id)
    simulation = Simulation(municipality, partners, seed, volume)
    last = parse_month(end)
    by_month = simulation.run(add_months(last, -(months - 1)), months)
    return simulation.population, by_month[last]


def ground_floor_households(signals: list[Signal]) -> frozenset[int]:
    """The households whose address partners without a BSN write with GROUND_FLOOR_VARIANT in
    the month of `signals` (the demo with the BRP; synthetic.brp_residents keeps their
    signalled people registered there, so that each shows a merge)."""
    kinds: dict[int, set[bool]] = {}
    for signal in signals:
        if not signal.household.toevoeging:
            kinds.setdefault(signal.household.id, set()).add(signal.partner_type in BSN_TYPES)
    both = sorted(household for household, seen in kinds.items() if len(seen) == 2)
    return frozenset(both[:GROUND_FLOOR_PER_MONTH])


def _layout(partner: Partner) -> list[SourceColumn]:
    if partner.format not in ("csv", "xlsx"):
        raise GeneratorError(f"partner {partner.id}: format {partner.format!r} is not supported "
                             "by the generator (csv and xlsx are)")
    return source_layout(partner)


def _write_file(out_dir: Path, partner: Partner, columns: list[SourceColumn], style: Style,
                month: Month, signals: list[Signal], seed: int, share: float,
                ground_floor: frozenset[int] | None = None) -> GeneratedFile:
    """`ground_floor`: the spelling variants are on (the demo with the BRP), and these are the
    month's households whose ground floor partners without a BSN write as "hs"."""
    defects = choose_defects(seed, partner.id, month, len(signals), share)
    variants = ground_floor is not None and partner.partner_type not in BSN_TYPES
    rows = []
    for index, signal in enumerate(signals):
        values = standard_values(signal, partner)
        if variants:
            addition = values["huisnummertoevoeging"]
            if addition in SPELLING_VARIANTS:
                values["huisnummertoevoeging"] = SPELLING_VARIANTS[addition]
            elif not addition and signal.household.id in ground_floor:
                values["huisnummertoevoeging"] = GROUND_FLOOR_VARIANT
        if index in defects:
            apply_defect(values, defects[index])
        apply_style(values, style)
        rows.append(values)

    folder = out_dir / partner.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{partner.id}_{month_text(month)}.{partner.format}"
    if partner.format == "xlsx":
        write_xlsx(path, partner, columns, rows, month)
        first_row = partner.spreadsheet.header_row + 1
    else:
        write_csv(path, partner, style, columns, rows)
        first_row = 2  # the header is line 1
    return GeneratedFile(
        path=path, partner_id=partner.id, partner_type=partner.partner_type,
        month=month_text(month), rows=len(rows), bad_rows=len(defects),
        bad_row_numbers=tuple((first_row + index, kind) for index, kind in defects.items()),
    )


def write_committed_samples(repo_root: Path | None = None) -> GenerationReport:
    """Regenerate data_samples/0080/ from the shipped configuration (seed 80, May-Oct 2026).

    Earlier generated files in that folder are removed first, so a renamed partner leaves no
    stale samples; nothing else in data_samples/ is touched.
    """
    # By default the checkout this module lives in. An installed package has no data_samples/
    # beside it, and the samples must not be written into site-packages.
    root = Path(repo_root) if repo_root is not None else Path(__file__).resolve().parent.parent
    if not (root / "data_samples").is_dir():
        raise FileNotFoundError(
            f"{root} is not a checkout of the repository (no data_samples/ folder): the committed "
            "samples are regenerated in a checkout, or pass repo_root"
        )
    # A checkout holds no config/ folder of its own, so Home(root) reads the shipped sample
    # (vroeg/config/shipped/0080), the configuration the samples are committed for.
    municipality = load_municipality(Home(root), SAMPLE_GEMEENTE)
    out_dir = root / "data_samples" / SAMPLE_GEMEENTE
    if out_dir.is_dir():
        for old in sorted(out_dir.glob("*/*_[0-9][0-9][0-9][0-9]-[0-9][0-9].*")):
            if old.suffix in (".csv", ".xlsx") and old.stem.startswith(old.parent.name + "_"):
                old.unlink()
    return generate(municipality, out_dir, seed=SAMPLE_SEED, end=SAMPLE_END,
                    months=SAMPLE_MONTHS)


def main() -> int:
    report = write_committed_samples()
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
