"""What became of a delivery: the one list of its statuses, for the registry, the flows, the
portal, the CLI and the database, whose column accepts no other value (a CHECK constraint,
migration i13_0001).

A delivery is registered `ontvangen` before anything is read, and ends in one of the others.
Two more outcomes are reported for an attempt that never became a delivery record, so they are
never stored: `geweigerd` and `leeg`.
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    """The `status` of a row in `deliveries`."""

    #: Registered and archived; being read, validated and loaded.
    ONTVANGEN = "ontvangen"
    #: Loaded: every row is loaded, quarantined or a recognised duplicate.
    GELADEN = "geladen"
    #: Rejected whole: more bad rows than validation.max_bad_share (the file is kept).
    AFGEKEURD = "afgekeurd"
    #: Not readable as its partner's format (encoding, delimiter, a broken workbook, ...).
    ONLEESBAAR = "onleesbaar"
    #: The same bytes as a delivery already loaded: nothing loaded again.
    DUBBEL = "dubbel"
    #: Processing stopped with an error (or was interrupted and taken over by a later attempt).
    MISLUKT = "mislukt"


class NotReceived(StrEnum):
    """The outcome of an attempt that registered no delivery (a summary's status, never stored)."""

    #: Refused before it was received: unknown partner, too large, wrong channel, ...
    GEWEIGERD = "geweigerd"
    #: A partner's database view returned no rows.
    LEEG = "leeg"


#: The state that makes a re-sent identical file a duplicate. A file that was rejected or
#: unreadable is processed again when it is re-sent: the partner configuration may have been
#: fixed since (a wrong delimiter or encoding), and a second rejection loads nothing either.
PROCESSED: tuple[DeliveryStatus, ...] = (DeliveryStatus.GELADEN,)
#: Refused whole; processed again when re-sent (see PROCESSED).
REFUSED: tuple[DeliveryStatus, ...] = (DeliveryStatus.AFGEKEURD, DeliveryStatus.ONLEESBAAR)
#: Final states: the delivery's rows are all accounted for.
FINAL: tuple[DeliveryStatus, ...] = (DeliveryStatus.GELADEN, DeliveryStatus.AFGEKEURD,
                                     DeliveryStatus.ONLEESBAAR, DeliveryStatus.DUBBEL)
#: Outcomes that need the data officer (notified; `vroeg ingest` and `collect` exit 1).
PROBLEMS: tuple[str, ...] = (DeliveryStatus.AFGEKEURD, DeliveryStatus.ONLEESBAAR,
                             NotReceived.GEWEIGERD, DeliveryStatus.MISLUKT)


class RunStatus(StrEnum):
    """The `status` of a row in `runs` (a CHECK constraint, migration i19_0003)."""

    #: Working: its process records a heartbeat (vroeg.opsdb.runs.HEARTBEAT_SECONDS).
    GESTART = "gestart"
    #: Every team's list is published (or left as it was, unchanged).
    GEPUBLICEERD = "gepubliceerd"
    #: Stopped with an error; the next run of the month finishes it under its own id.
    MISLUKT = "mislukt"
    #: Its process died without a word (killed, a power cut): found by the next run of the
    #: month, which finishes it like a failed one.
    AFGEBROKEN = "afgebroken"


class RunKind(StrEnum):
    """The `kind` of a row in `runs` (migration i17_0001)."""

    #: The monthly (period) run: scores every household and publishes every team's list.
    MAAND = "maand"
    #: The crisis lane (flows.crisis): adds a period's crisis households to their team's
    #: current list as soon as a delivery brings them. Never taken over by a monthly run.
    CRISIS = "crisis"


#: Runs the next run of their month takes over (same rules): teams already published are kept.
RESUMABLE: tuple[RunStatus, ...] = (RunStatus.MISLUKT, RunStatus.AFGEBROKEN)
