"""The stores the project keeps its state in, as users know them (README: "Where things are").

Named in messages about a store's fault (vroeg.safety.fault_of) and on the engines of the
databases (vroeg.opsdb.db.create), so this module imports nothing heavy: the portal uses it too.
"""

from __future__ import annotations

from enum import StrEnum


class Store(StrEnum):
    """Where the project keeps its state, in the words of the README; the value names it in a
    sentence."""

    WAREHOUSE = "het warehouse"
    OPSDB = "de operationele database"
    VAULT = "de kluis"
    ARCHIVE = "het archief"
    OUTBOX = "de outbox"


#: Top-level folders and files of VROEG_HOME (vroeg.settings.Home) and the store they hold.
HOME_PARTS = {"warehouse": Store.WAREHOUSE, "vroeg.sqlite": Store.OPSDB, "vault": Store.VAULT,
              "archive": Store.ARCHIVE, "outbox": Store.OUTBOX}
