"""The CliLedger table as first deployed: no index."""

from __future__ import annotations

from typing import ClassVar

from dynamap import Key, Model, Table

ledger = Table("CliLedger")


class Entry(Model, table=ledger):
    pk: ClassVar[Key] = Key("ACCOUNT#{account}")
    sk: ClassVar[Key] = Key("ENTRY#{id}")

    account: str
    id: str
    day: str
    amount: int
