"""Reason codes for quarantined rows, with the Dutch message a data officer reads.

A message names the file, the row and the column, and says what is wrong and how to fix it. It
never contains the value itself: the value may be personal data, and the officer can look it up
in the original file at the row given.
"""

from __future__ import annotations

from collections.abc import Sequence

from vroeg.schema import label

REASONS: dict[str, str] = {
    # Reading (set by the connectors, see connectors.table.READ_PROBLEM)
    "AANTAL_VELDEN": "de rij heeft een ander aantal velden dan de kopregel",
    "RIJ_ONLEESBAAR": "de rij kan niet worden gelezen (aanhalingstekens kloppen niet)",
    "GENEST_VELD": "een veld bevat een lijst of object in plaats van een enkele waarde",
    # Field rules (quality.suite)
    "VERPLICHT_LEEG": "verplicht veld is leeg",
    "VELD_TE_LANG": "veld is langer dan toegestaan",
    "PARTNERTYPE_ONBEKEND": "partnertype is geen DDAS-waarde (Huur, Energie, Water, Zorg, ...)",
    "DATUM_ONGELDIG": "geen geldige datum in het afgesproken formaat",
    "DATUM_IN_TOEKOMST": "datum ligt in de toekomst",
    "SIGNAAL_TE_OUD": "signaal is ouder dan de toegestane termijn",
    "DATUM_VOLGORDE": "ontstaansdatum ligt na de signaaldatum",
    "BEDRAG_ONGELDIG": "geen geldig bedrag (bijvoorbeeld 1234,56 of 1234.56, zonder valutateken "
                       "of duizendtalscheiding)",
    "BEDRAG_NEGATIEF": "bedrag is negatief",
    "BEDRAG_ONWAARSCHIJNLIJK": "bedrag is onwaarschijnlijk hoog",
    "CRISIS_ONGELDIG": "crisis moet 'ja' of 'nee' zijn",
    "POSTCODE_ONGELDIG": "geen geldige postcode (verwacht 1234AB)",
    "POSTCODE_BUITEN_GEMEENTE": "postcode ligt niet in het werkgebied van een wijkteam van deze "
                                "gemeente",
    "HUISNUMMER_ONGELDIG": "geen geldig huisnummer (cijfers 0-9, eventueel met toevoeging)",
    "BSN_ONGELDIG": "BSN is geen 9 cijfers (0-9) of voldoet niet aan de elfproef",
    # Partner-type rules (quality.suite.build_partner_type_suite)
    "TERMIJN_TE_KORT": "de achterstand (van ontstaansdatum tot signaaldatum) is korter dan de "
                       "termijn waarin dit type partner mag signaleren",
    "TERMIJN_TE_LANG": "de achterstand (van ontstaansdatum tot signaaldatum) is langer dan de "
                       "termijn waarin dit type partner signaleert",
    "BEDRAG_ONDER_AFSPRAAK": "bedrag ligt onder de afgesproken ondergrens voor dit type partner",
    # Within one delivery (quality.validate)
    "SIGNAAL_ID_DUBBEL": "dit signaal-id komt in het bestand vaker voor, met andere gegevens; "
                         "lever per signaal één rij",
    # Whole file
    "BESTAND_AFGEKEURD": "het hele bestand is afgekeurd omdat te veel rijen fouten bevatten",
}


def message(code: str, filename: str, row: int | None, column: str | None,
            in_file: Sequence[str] = ()) -> str:
    """'levering.csv, rij 14, kolom postcode: geen geldige postcode (verwacht 1234AB).'

    in_file: the partner's own name(s) for the column, from its configuration (never a header
    read from the file): 'kolom achternaam (in het bestand: 'Achternaam huurder')', so the data
    officer finds the column in the partner's file.
    """
    where = [filename]
    if row is not None:
        where.append(f"rij {row}")
    if column:
        # Said only where it differs: 'kolom postcode (in het bestand: 'postcode')' is noise.
        differs = any(c.casefold() not in (column.casefold(), label(column).casefold())
                      for c in in_file)
        own = ", ".join(f"'{c}'" for c in in_file)
        where.append(f"kolom {label(column)}" + (f" (in het bestand: {own})" if differs else ""))
    return f"{', '.join(where)}: {REASONS.get(code, code)}."
