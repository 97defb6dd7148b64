"""The peer: the same job as a municipal analyst would script it in pandas.

Read the CSV with pandas, tidy the columns with pandas string methods, validate with Great
Expectations on the pandas frame (the same kinds of rules as quality/suite.py), drop the bad rows,
pseudonymise with `hmac` one value at a time (`Series.apply`), map postcodes to wijkteams, take
the month, group by address, score, sort and write one CSV per wijkteam.

It is written the plain way on purpose, not badly: text is built with vectorised pandas string
methods, only the MAC is per value (there is no vectorised HMAC in pandas), and GX gets one suite
and one validation. What the peer does *not* do, and the pipeline does: keep an encrypted archive
of the file, an encrypted identity vault, a warehouse with history and duplicate detection, an
audit trail, quarantine records per row, and XLSX lists. So "faster than the peer" is measured
against less work than ours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

from bench.measure import Meter

#: Points and rules of the sample municipality, as the analyst would copy them into a script.
REQUIRED = ("signaal_id", "partner_type", "partner_naam", "signaaldatum", "ontstaansdatum",
            "bedrag", "crisis", "achternaam", "straatnaam", "postcode", "huisnummer", "woonplaats")


def _suite(gx, gxe, municipality, today: dt.date):
    from vroeg import ddas
    from vroeg.schema import SIGNAL_FIELDS

    today_ts = dt.datetime.combine(today, dt.time())
    oldest = today_ts - dt.timedelta(days=municipality.validation.max_signal_age_days)
    e = [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in REQUIRED]
    e += [gxe.ExpectColumnValueLengthsToBeBetween(column=f.name, max_value=f.max_length)
          for f in SIGNAL_FIELDS]
    e += [gxe.ExpectColumnValuesToMatchStrftimeFormat(column=c, strftime_format="%Y-%m-%d")
          for c in ("signaaldatum", "ontstaansdatum", "geboortedatum")]
    e += [
        gxe.ExpectColumnValuesToBeInSet(column="partner_type",
                                        value_set=list(ddas.signaalpartners())),
        gxe.ExpectColumnValuesToBeInSet(column="crisis", value_set=["ja", "nee"]),
        gxe.ExpectColumnValuesToMatchRegex(column="bedrag", regex=r"^\d+([.,]\d{1,2})?$"),
        gxe.ExpectColumnValuesToMatchRegex(column="postcode",
                                           regex=r"^[1-9][0-9]{3} ?[A-Za-z]{2}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="huisnummer", regex=r"^\d{1,5}"),
        gxe.ExpectColumnValuesToMatchRegex(column="bsn", regex=r"^\d{9}$"),
        gxe.ExpectColumnValuesToBeBetween(column="datum", min_value=oldest, max_value=today_ts),
        gxe.ExpectColumnValuesToBeBetween(column="bedrag_euro", min_value=0,
                                          max_value=municipality.validation.max_amount),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="datum", column_B="begin",
                                                    or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        gxe.ExpectColumnValuesToNotBeNull(column="wijkteam"),
    ]
    return gx.ExpectationSuite(name="peer", expectations=e)


def run(csv_path: Path, *, today: dt.date, period: str, meter: Meter, workdir: Path) -> dict:
    import great_expectations as gx
    import pandas as pd
    from great_expectations import expectations as gxe

    from privacy.keys import load_keys
    from vroeg.config import load_municipality
    from vroeg.settings import Home

    home = Home(workdir)
    municipality = load_municipality(home, "0080")
    key = load_keys(home, "0080").derive("pseudoniem")
    teams = {str(pc): team for pc, team in municipality.pc4_to_team.items()}
    points = municipality.scoring.partner_type_points
    rules = municipality.scoring
    outbox = workdir / "peer-outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    measured = []

    with meter.step("setup") as m:
        context = gx.get_context(mode="ephemeral")
        batch_definition = (context.data_sources.add_pandas("peer")
                            .add_dataframe_asset("signalen")
                            .add_batch_definition_whole_dataframe("alles"))
        suite = context.suites.add(_suite(gx, gxe, municipality, today))
    measured.append(m)

    with meter.step("read") as m:
        df = pd.read_csv(csv_path, sep=";", dtype=str, encoding="utf-8")
        df["datum"] = pd.to_datetime(df["signaaldatum"], format="%Y-%m-%d", errors="coerce")
        df["begin"] = pd.to_datetime(df["ontstaansdatum"], format="%Y-%m-%d", errors="coerce")
        df["bedrag_euro"] = pd.to_numeric(df["bedrag"].str.replace(",", ".", regex=False),
                                          errors="coerce")
        df["pc"] = df["postcode"].str.replace(" ", "", regex=False).str.upper()
        df["wijkteam"] = df["pc"].str[:4].map(teams)
        m.rows = len(df)
    measured.append(m)

    with meter.step("validate", len(df)) as m:
        batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
        bad = set()
        for r in result.results:
            bad.update(r.result.get("unexpected_index_list") or [])
        clean = df.drop(index=list(bad))
    measured.append(m)

    def mac(domain: str):
        prefix = (domain + "\x1f").encode()
        return lambda v: hmac.new(key, prefix + v.encode(), hashlib.sha256).hexdigest()[:32]

    with meter.step("pseudonymise", len(clean)) as m:
        clean = clean.copy()
        address = (clean["pc"] + "|" + clean["huisnummer"].str.extract(r"(\d+)", expand=False)
                   + "|" + clean["huisnummertoevoeging"].fillna("").str.upper())
        person = ("naam:|" + clean["achternaam"].str.lower() + "|"
                  + clean["voornamen"].fillna("").str[:1].str.lower() + "|"
                  + clean["geboortedatum"].fillna("") + "|" + address)
        person = person.where(clean["bsn"].isna(), "bsn:" + clean["bsn"])
        clean["signaal_ps"] = ((clean["partner_naam"] + "|" + clean["signaal_id"])
                               .apply(mac("signaal")))
        clean["huishouden_ps"] = address.apply(mac("huishouden"))
        clean["persoon_ps"] = person.apply(mac("persoon"))
    measured.append(m)

    year, month = (int(p) for p in period.split("-"))
    begin = pd.Timestamp(year, month, 1)
    with meter.step("score") as m:
        month_rows = clean[(clean["datum"] >= begin)
                           & (clean["datum"] < begin + pd.offsets.MonthBegin(1))]
        month_rows = month_rows.drop_duplicates("signaal_ps")
        bills = month_rows["partner_type"].map(
            lambda t: rules.typical_monthly_bill.get(t, rules.other_typical_monthly_bill))
        month_rows = month_rows.assign(
            mille=(month_rows["bedrag_euro"] * 100 * 1000 // (bills * 100)).astype("int64"))
        households = month_rows.groupby("huishouden_ps").agg(
            mille=("mille", "sum"),
            wijkteam=("wijkteam", "first"),
            signalen=("signaal_ps", "count"),
            totaal=("bedrag_euro", "sum"),
            crisis=("crisis", lambda s: (s == "ja").any()),
            soorten=("partner_type", lambda s: sorted(set(s))),
        )
        households["punten"] = households["soorten"].apply(
            lambda types: sum(points.get(t, rules.other_partner_type_points) for t in types))
        households["punten"] += (households["mille"] * rules.points_per_bill_month // 1000).clip(
            upper=rules.amount_points_max)
        households["punten"] += (households["soorten"].str.len() - 1) * rules.multiple_points
        households["punten"] += households["crisis"] * rules.crisis_points
        households["op_lijst"] = (households["crisis"]
                                  | (households["totaal"] >= rules.minimum_amount))
        m.rows = len(month_rows)
    measured.append(m)

    with meter.step("publish", int(households["op_lijst"].sum())) as m:
        newest = (month_rows.sort_values("datum", ascending=False)
                  .groupby("huishouden_ps")
                  .agg(naam=("achternaam", lambda s: " / ".join(dict.fromkeys(s))),
                       straatnaam=("straatnaam", "first"), postcode=("postcode", "first"),
                       huisnummer=("huisnummer", "first"), woonplaats=("woonplaats", "first"),
                       telefoon=("telefoon", lambda s: " / ".join(dict.fromkeys(s.dropna())))))
        listed = households[households["op_lijst"]].join(newest)
        listed = listed.sort_values(["crisis", "punten", "totaal"], ascending=False)
        for team, rows in listed.groupby("wijkteam"):
            rows.drop(columns=["soorten"]).to_csv(outbox / f"{team}.csv", sep=";", index=False)
    measured.append(m)

    return {
        "measurements": [x.as_dict() for x in measured],
        "counts": {
            "rows_read": len(df),
            "rows_clean": len(clean),
            "rows_quarantined": len(bad),
            "households": len(households),
            "listed": int(households["op_lijst"].sum()),
        },
    }
