"""Why a pseudonym may be re-identified: every purpose (`doel`) the vault's per-subject audit
lines can carry, in one place.

- A step of the pipeline or of a request: publishing a visit list, a subject access request, an
  erasure request (PUBLICATION, SUBJECT_ACCESS, ERASURE; written as they are).
- A process step that hands data on: the DDAS export, feedback to a partner
  (PROCESSING_PURPOSES, written `proces: CODE`).
- A privacy officer's explicit re-identification, with a reason from a fixed list
  (REIDENTIFY_REASONS, written `handmatig: CODE`): used by `vroeg reidentify --reden CODE` and by
  the portal's form (which shows the Dutch labels and sends the code).

Fixed lists, never free text: a purpose is stored in clear in the audit trail (and a reason in
the `reden` attribute), so it must never carry personal data itself. The strings are the ones
the trail has always held: readers of older lines (subject access, the portal) find them as
they were.
"""

from __future__ import annotations

#: Re-identification as a step of the pipeline or of a request.
PUBLICATION = "publicatie bezoeklijst"
SUBJECT_ACCESS = "inzageverzoek"
ERASURE = "verwijderverzoek"

#: code -> Dutch label, in the order the portal offers them. Codes are what the audit trail keeps.
REIDENTIFY_REASONS: dict[str, str] = {
    "controle": "Controle op rechtmatige verwerking",
    "inzageverzoek": "Inzageverzoek van de betrokkene (AVG art. 15)",
    "rectificatie": "Verzoek tot rectificatie of wissing (AVG art. 16/17)",
    "klacht": "Klacht van de betrokkene",
    "bezwaar": "Bezwaar van de betrokkene (AVG art. 21)",
    "incident": "Onderzoek naar een mogelijk datalek of ander incident",
    "rechtsvordering": "Rechtsvordering of verzoek van een rechter",
}


def is_reason(code: str) -> bool:
    return code in REIDENTIFY_REASONS


def label(code: str) -> str:
    """The Dutch label of a reason code (the code itself for one that is not on the list, such
    as a label stored by an earlier version of the portal)."""
    return REIDENTIFY_REASONS.get(code, code)


def purpose(code: str) -> str:
    """The `doel` of the per-subject re-identification lines."""
    return f"handmatig: {code}"


def choices() -> str:
    """For messages and help texts: the codes, comma-separated."""
    return ", ".join(REIDENTIFY_REASONS)


#: Processings of personal data that are not a person's choice but a step of the process, each
#: logged per data subject with this purpose (`doel`). Not offered in the manual form above.
PROCESSING_PURPOSES: dict[str, str] = {
    "ddas-export": "Verstrekking aan CBS voor de Monitor Vroegsignalering (DDAS-uitwisselmodel)",
    "terugkoppeling": "Terugkoppeling aan de signaalpartner: alleen opgepakt of niet opgepakt",
    "brp-controle": "Controle bij de BRP: ingeschreven op het adres, overleden of buiten de "
                    "gemeente, aantal bewoners en minderjarigen (Wgs art. 3)",
}


def processing_purpose(code: str) -> str:
    """The `doel` of the per-subject lines of a process step (refuses a code not listed)."""
    if code not in PROCESSING_PURPOSES:
        raise ValueError(f"unknown processing purpose {code!r}")
    return f"proces: {code}"
