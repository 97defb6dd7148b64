"""A fast, vectorised generator of one large standard-format delivery for the benchmark.

`synthetic/` simulates a municipality signal by signal in Python, which is right for realistic
samples and tests but takes minutes for a million rows. The benchmark needs volume, not a story:
here every column is drawn at once with numpy and assembled with polars, so a million signals
take seconds. The word lists are the ones `synthetic/` uses; everything is invented (BSNs come from
the official test block 999xxxxxx only, e-mail addresses use reserved example domains).

Shape of the data (defaults):
- signals spread uniformly over `months` months ending with `end`, in the shares per partner type
  of the Divosa monitor (Zorg 45 %, Energie 25 %, Huur 19 %, Water 11 %), each type delivered by the
  sample municipality's configured partner of that type, so the standard reader names the partner;
- `households` distinct addresses (default 0.35 per signal: a million signals is about a hundred
  municipalities' worth of signalled households) spread over the wijkteam postcode areas of the
  sample municipality 0080, so every address belongs to a wijkteam and the pipeline accepts it;
  every household gets at least one signal, the rest follow a skewed (gamma) propensity, so there
  are single, multiple and repeated signals per address;
- 1 to 3 adults per household, one of whom each signal is about;
- `bad_share` of the rows carry one realistic defect (broken postcode, empty surname, empty house
  number, negative amount), so validation quarantines some rows as in real deliveries.

Same arguments, same file (the draws come from one seeded numpy Generator).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from synthetic import names
from synthetic.people import ADDITION_SHARE, ADDITIONS, FORBIDDEN_SUFFIXES, POSTCODE_LETTERS

# The arrears' age at signalling per type stays inside the convenant windows that validation
# checks (Zorg at most 100 days), as in the synthetic sample deliveries.
from synthetic.simulation import AMOUNTS, ARREARS_DAYS, CRISIS_SHARES, OTHER_ARREARS_DAYS
from synthetic.writers import BSN_TYPES, INITIALS_TYPES
from vroeg import bsn as bsn_rule
from vroeg.config import Municipality
from vroeg.schema import STANDARD_COLUMNS

#: Share of signals per partner type (Divosa Monitor Vroegsignalering 2023).
TYPE_SHARES = {"Zorg": 0.45, "Energie": 0.25, "Huur": 0.19, "Water": 0.11}
#: Prefix of the partner's own signal ids, per type.
ID_PREFIX = {"Zorg": "ZN", "Energie": "EF", "Huur": "WF", "Water": "WN"}
HOUSEHOLDS_PER_SIGNAL = 0.35
MAX_HOUSE_NUMBER = 400


@dataclass(frozen=True)
class Generated:
    path: Path
    signals: int
    households: int
    persons: int
    bad_rows: int
    months: int
    first_day: str
    last_day: str
    bytes: int
    seconds: float

    def as_dict(self) -> dict:
        out = asdict(self)
        out["path"] = str(self.path)
        return out


def _months(end: str, months: int) -> list[dt.date]:
    year, month = (int(p) for p in end.split("-"))
    firsts = []
    for _ in range(months):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def _pick(words: tuple[str, ...] | list[str], index: np.ndarray) -> pl.Series:
    return pl.Series(list(words), dtype=pl.String).gather(index)


def _test_bsns() -> np.ndarray:
    """Every number in the official test block 999000000-999999999 that passes the elfproef."""
    candidates = np.arange(999_000_000, 1_000_000_000, dtype=np.int64)
    digits = (candidates[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    total = digits @ np.array(bsn_rule.WEIGHTS)
    return candidates[total % 11 == 0]


def _addresses(rng: np.random.Generator, municipality: Municipality, count: int) -> pl.DataFrame:
    """`count` distinct addresses in the municipality's wijkteam postcode areas."""
    pc4s = np.array(sorted(municipality.pc4_to_team), dtype=np.int64)
    suffixes = [a + b for a in POSTCODE_LETTERS for b in POSTCODE_LETTERS
                if a + b not in FORBIDDEN_SUFFIXES]
    space = len(pc4s) * len(suffixes) * MAX_HOUSE_NUMBER
    if count > space:
        raise ValueError(f"at most {space} distinct addresses fit in these postcode areas")
    chosen = np.unique(rng.integers(0, space, size=int(count * 1.3) + 16))
    while len(chosen) < count:  # rare: top up until there are enough distinct addresses
        chosen = np.unique(np.concatenate([chosen, rng.integers(0, space, size=count)]))
    chosen = rng.permutation(chosen)[:count]
    pc4_i, rest = np.divmod(chosen, len(suffixes) * MAX_HOUSE_NUMBER)
    suffix_i, number = np.divmod(rest, MAX_HOUSE_NUMBER)
    pc4 = pc4s[pc4_i]
    town = pc4 < 9000
    # One street per postcode (pc4 + letters), as in reality.
    street_key = pc4 * 31 + suffix_i * 7
    town_street = (
        _pick(names.TOWN_STREET_STEMS, street_key % len(names.TOWN_STREET_STEMS))
        + _pick(names.TOWN_STREET_SUFFIXES, (pc4 + suffix_i) % len(names.TOWN_STREET_SUFFIXES)))
    village_street = (
        _pick(names.VILLAGE_STREET_STEMS, street_key % len(names.VILLAGE_STREET_STEMS))
        + _pick(names.VILLAGE_STREET_SUFFIXES,
                (pc4 + suffix_i) % len(names.VILLAGE_STREET_SUFFIXES)))
    additions, weights = zip(*ADDITIONS, strict=True)
    p = np.array(weights, dtype=float) / sum(weights)
    has_addition = rng.random(count) < ADDITION_SHARE
    addition = np.where(has_addition, rng.choice(len(additions), size=count, p=p), -1)
    frame = pl.DataFrame({
        "pc4": pc4,
        "letters": _pick(suffixes, suffix_i),
        "huisnummer": number + 1,
        "toevoeging_i": addition,
        "town": town,
        "town_street": town_street,
        "village_street": village_street,
        "village": _pick(names.VILLAGES, pc4 % len(names.VILLAGES)),
    })
    return frame.select(
        pl.when(pl.col("town")).then(pl.col("town_street")).otherwise(pl.col("village_street"))
        .alias("straatnaam"),
        pl.concat_str([pl.col("pc4").cast(pl.String), pl.col("letters")]).alias("postcode"),
        pl.col("huisnummer").cast(pl.String),
        pl.when(pl.col("toevoeging_i") >= 0)
        .then(pl.col("toevoeging_i").replace_strict(dict(enumerate(additions)), default=None,
                                                     return_dtype=pl.String))
        .otherwise(pl.lit("")).alias("huisnummertoevoeging"),
        pl.when(pl.col("town")).then(pl.lit("Leeuwarden")).otherwise(pl.col("village"))
        .alias("woonplaats"),
    )


def _persons(rng: np.random.Generator, count: int, first_day: dt.date) -> pl.DataFrame:
    female = rng.random(count) < 0.5
    given_f = _pick(names.GIVEN_NAMES_FEMALE, rng.integers(0, len(names.GIVEN_NAMES_FEMALE), count))
    given_m = _pick(names.GIVEN_NAMES_MALE, rng.integers(0, len(names.GIVEN_NAMES_MALE), count))
    second_f = _pick(names.GIVEN_NAMES_FEMALE,
                     rng.integers(0, len(names.GIVEN_NAMES_FEMALE), count))
    second_m = _pick(names.GIVEN_NAMES_MALE, rng.integers(0, len(names.GIVEN_NAMES_MALE), count))
    surname_i = rng.integers(0, len(names.SURNAMES), count)
    prefixes, surnames = zip(*names.SURNAMES, strict=True)
    age_days = rng.integers(18 * 366, 88 * 365, count)
    born = np.datetime64(first_day) - age_days.astype("timedelta64[D]")
    bsns = _test_bsns()
    # One distinct test BSN per person while they last; later persons have none on file.
    bsn_order = rng.permutation(len(bsns))
    bsn = np.full(count, -1, dtype=np.int64)
    with_bsn = min(count, len(bsns))
    bsn[:with_bsn] = bsns[bsn_order[:with_bsn]]
    mobile = rng.random(count) < 0.6
    phone_num = np.where(mobile, 600_000_000 + rng.integers(10_000_000, 60_000_000, count),
                         580_000_000 + rng.integers(2_000_000, 9_999_999, count))
    has_email = rng.random(count) < 0.4
    frame = pl.DataFrame({
        "female": female, "given_f": given_f, "given_m": given_m, "second_f": second_f,
        "second_m": second_m, "double": rng.random(count) < 0.3,
        "tussenvoegsel": _pick(prefixes, surname_i), "achternaam": _pick(surnames, surname_i),
        "geboortedatum": pl.Series(born).cast(pl.Date), "bsn": bsn, "phone": phone_num,
        "has_email": has_email,
        "domain": _pick(names.EMAIL_DOMAINS, rng.integers(0, len(names.EMAIL_DOMAINS), count)),
        "email_n": rng.integers(1, 100, count),
    })
    first = pl.when(pl.col("female")).then(pl.col("given_f")).otherwise(pl.col("given_m"))
    second = pl.when(pl.col("female")).then(pl.col("second_f")).otherwise(pl.col("second_m"))
    voornamen = pl.when(pl.col("double") & (first != second)).then(
        pl.concat_str([first, second], separator=" ")).otherwise(first)
    ascii_name = (pl.col("achternaam").str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
                  .str.to_lowercase().str.replace_all(r"[^a-z]", ""))
    ascii_first = first.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "").str.to_lowercase() \
        .str.replace_all(r"[^a-z]", "")
    return frame.select(
        voornamen.alias("voornamen"),
        pl.col("tussenvoegsel"),
        pl.col("achternaam"),
        pl.col("geboortedatum").cast(pl.String),
        pl.when(pl.col("bsn") > 0).then(pl.col("bsn").cast(pl.String)).otherwise(pl.lit(""))
        .alias("bsn"),
        pl.concat_str([pl.lit("0"), pl.col("phone").cast(pl.String)]).alias("telefoon"),
        pl.when(pl.col("has_email")).then(pl.concat_str([
            ascii_first, pl.lit("."), ascii_name, pl.col("email_n").cast(pl.String), pl.lit("@"),
            pl.col("domain")])).otherwise(pl.lit("")).alias("email"),
        # Initials, for partners whose systems hold only those.
        voornamen.str.split(" ").list.eval(pl.element().str.slice(0, 1) + ".").list.join("")
        .alias("initialen"),
    )


def generate(municipality: Municipality, path: Path, *, signals: int, months: int = 12,
             end: str = "2026-10", households: int | None = None, bad_share: float = 0.005,
             seed: int = 9) -> Generated:
    """Write `signals` standard-format signals to `path` (`;`-separated UTF-8 CSV)."""
    started = time.perf_counter()
    if signals < 1:
        raise ValueError("signals must be at least 1")
    rng = np.random.default_rng(seed)
    households = households or max(1, round(signals * HOUSEHOLDS_PER_SIGNAL))
    households = min(households, signals)
    firsts = _months(end, months)
    last = firsts[-1]
    after = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)

    by_type = {p.partner_type: p
               for p in sorted(municipality.partners.values(), key=lambda p: p.id)}
    types = [t for t in TYPE_SHARES if t in by_type]
    shares = np.array([TYPE_SHARES[t] for t in types])
    shares = shares / shares.sum()

    addresses = _addresses(rng, municipality, households)
    adults = rng.choice([1, 2, 3], size=households, p=[0.5, 0.4, 0.1])
    first_person = np.concatenate([[0], np.cumsum(adults)[:-1]])
    persons = _persons(rng, int(adults.sum()), firsts[0])

    # Every household at least once, the rest by a skewed propensity (some are signalled often).
    propensity = rng.gamma(0.6, size=households)
    extra = rng.choice(households, size=signals - households, p=propensity / propensity.sum())
    household = rng.permutation(np.concatenate([np.arange(households), extra]))
    person = first_person[household] + (rng.random(signals) * adults[household]).astype(np.int64)

    ptype_i = rng.choice(len(types), size=signals, p=shares)
    month_i = rng.integers(0, months, size=signals)
    month_start = np.array(firsts, dtype="datetime64[D]")[month_i]
    month_end = np.array(firsts[1:] + [after], dtype="datetime64[D]")[month_i]
    days_in = (month_end - month_start).astype(np.int64)
    signal_day = month_start + (rng.random(signals) * days_in).astype("timedelta64[D]")
    windows = np.array([ARREARS_DAYS.get(t, OTHER_ARREARS_DAYS) for t in types])[ptype_i]
    age = windows[:, 0] + (rng.random(signals) * (windows[:, 1] - windows[:, 0])).astype(np.int64)
    start_day = signal_day - age.astype("timedelta64[D]")
    medians = np.array([AMOUNTS[t][0] for t in types])[ptype_i]
    sigmas = np.array([AMOUNTS[t][1] for t in types])[ptype_i]
    cents = np.maximum(500, np.round(medians * 100 * np.exp(rng.normal(0, 1, signals) * sigmas)))
    crisis_p = np.array([CRISIS_SHARES.get(t, 0.0) for t in types])[ptype_i]
    crisis = rng.random(signals) < crisis_p

    # Defects: one per bad row, as real exports break (see synthetic.writers.apply_defect).
    bad = rng.random(signals) < bad_share
    defect = np.where(bad, rng.integers(0, 4, size=signals), -1)

    frame = pl.DataFrame({
        "household": household, "person": person, "ptype": ptype_i,
        "signaaldatum": pl.Series(signal_day).cast(pl.Date),
        "ontstaansdatum": pl.Series(start_day).cast(pl.Date),
        "cents": cents.astype(np.int64), "crisis": crisis, "defect": defect,
    })
    frame = frame.with_columns(
        pl.int_range(pl.len()).over("ptype").alias("seq"),
    )
    types_s = pl.Series(types, dtype=pl.String)
    partner_names = pl.Series([by_type[t].name for t in types], dtype=pl.String)
    prefixes = pl.Series([ID_PREFIX.get(t, "XX") for t in types], dtype=pl.String)
    bsn_types = pl.Series([t in BSN_TYPES for t in types])
    initials_types = pl.Series([t in INITIALS_TYPES for t in types])
    idx = frame["ptype"]
    frame = frame.with_columns(
        types_s.gather(idx).alias("partner_type"),
        partner_names.gather(idx).alias("partner_naam"),
        prefixes.gather(idx).alias("prefix"),
        bsn_types.gather(idx).alias("with_bsn"),
        initials_types.gather(idx).alias("initials"),
    )
    people = persons[frame["person"]]
    homes = addresses[frame["household"]]
    frame = pl.concat([frame, people, homes], how="horizontal")

    euros = pl.concat_str([
        (pl.col("cents").abs() // 100).cast(pl.String), pl.lit(","),
        (pl.col("cents").abs() % 100).cast(pl.String).str.zfill(2)])
    defect = pl.col("defect")
    postcode = pl.col("postcode")
    out = frame.select(
        pl.concat_str([pl.col("prefix"), pl.lit("-"),
                       pl.col("signaaldatum").dt.year().cast(pl.String), pl.lit("-"),
                       pl.col("seq").cast(pl.String).str.zfill(7)]).alias("signaal_id"),
        pl.col("partner_type"),
        pl.col("partner_naam"),
        pl.col("signaaldatum").cast(pl.String),
        pl.col("ontstaansdatum").cast(pl.String),
        pl.when(defect == 3).then(pl.concat_str([pl.lit("-"), euros])).otherwise(euros)
        .alias("bedrag"),
        pl.when(pl.col("crisis")).then(pl.lit("ja")).otherwise(pl.lit("nee")).alias("crisis"),
        # No deadline (issue 17's optional column): the benchmark's partners announce none.
        pl.lit("").alias("uiterste_datum"),
        pl.when(pl.col("with_bsn")).then(pl.col("bsn")).otherwise(pl.lit("")).alias("bsn"),
        pl.when(pl.col("initials")).then(pl.col("initialen")).otherwise(pl.col("voornamen"))
        .alias("voornamen"),
        pl.col("tussenvoegsel"),
        pl.when(defect == 1).then(pl.lit("")).otherwise(pl.col("achternaam")).alias("achternaam"),
        pl.col("geboortedatum"),
        pl.col("straatnaam"),
        # Half the signals write the postcode with a space, as partners do ('8912 AB').
        pl.when(defect == 0).then(pl.concat_str([postcode.str.slice(0, 2), postcode.str.slice(4, 2),
                                                 postcode.str.slice(2, 2)]))
        .when(pl.col("ptype") % 2 == 0).then(pl.concat_str([postcode.str.slice(0, 4), pl.lit(" "),
                                                            postcode.str.slice(4, 2)]))
        .otherwise(postcode).alias("postcode"),
        pl.when(defect == 2).then(pl.lit("")).otherwise(pl.col("huisnummer")).alias("huisnummer"),
        pl.col("huisnummertoevoeging"),
        pl.col("woonplaats"),
        pl.col("telefoon"),
        pl.col("email"),
    )
    assert tuple(out.columns) == STANDARD_COLUMNS
    # An absent value is an empty field (written unquoted), as partners' exports have it.
    out = out.with_columns(pl.when(pl.all() == "").then(None).otherwise(pl.all()).name.keep())
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write_csv(path, separator=";", include_header=True, line_terminator="\n",
                  quote_style="necessary")
    return Generated(
        path=path, signals=signals, households=households, persons=persons.height,
        bad_rows=int(bad.sum()), months=months, first_day=str(firsts[0]),
        last_day=str(after - dt.timedelta(days=1)), bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
    )
