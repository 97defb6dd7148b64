"""A privacy officer's explicit re-identification of a pseudonym: who is behind a household or
person pseudonym (from an audit line, say), with a reason from privacy/purposes.py.

The one way to see a name or address in the portal, and `vroeg reidentify` on the command line.
The vault writes one audit line per data subject before it decrypts anything. Nothing here opens
the warehouse (the portal never loads DuckDB; docs/design.md, "The portal").
"""

from __future__ import annotations

import re

from governance.subject import INTERNAL_COLUMNS, SubjectProblem
from privacy.context import Context
from privacy.purposes import choices, is_reason, purpose


def reidentify_pseudonym(ctx: Context, pseudonym: str, *, reason: str, case: str | None,
                         trace_id: str, **attributes) -> list[dict]:
    """The records behind a household or person pseudonym (e.g. from an audit line); logged.

    Used by `vroeg reidentify` and by the portal's re-identification form. `reason` is a code from
    privacy.purposes.REIDENTIFY_REASONS; `attributes` (e.g. the portal user's name) go onto the
    bulk line.
    """
    if not is_reason(reason):
        raise SubjectProblem(f"Reden moet een van {choices()} zijn.")
    if case is not None and not re.fullmatch(r"[A-Za-z0-9._/-]{1,40}", case):
        raise SubjectProblem("Een zaaknummer bestaat uit letters, cijfers en . _ / - (max. 40).")
    households = {r.huishouden for r in ctx.vault.index(households=[pseudonym])}
    persons = None
    if not households:
        by_person = ctx.vault.index(persons=[pseudonym])
        households = {r.huishouden for r in by_person}
        persons = [pseudonym] if by_person else None
    extra = {"zaak": case} if case else {}
    with ctx.audit.operation("heridentificatie-handmatig", trace_id, reden=reason, **extra,
                             **attributes) as op:
        found = ctx.vault.reidentify(sorted(households), purpose=purpose(reason),
                                     audit=ctx.audit, trace_id=trace_id, parent=op.operation_id,
                                     persons=persons, **extra, **attributes)
        records = [{k: v for k, v in rec.items() if k not in INTERNAL_COLUMNS}
                   for household in found.values() for rec in household]
        op.attributes["kluisrecords"] = len(records)
    return records
