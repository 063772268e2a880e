"""The CliLedger table, later: the same keys and a new GSI."""

from __future__ import annotations

from typing import ClassVar

from dynamap import GSI, Key, Model, Table

ledger = Table("CliLedger")


class Entry(Model, table=ledger):
    pk: ClassVar[Key] = Key("ACCOUNT#{account}")
    sk: ClassVar[Key] = Key("ENTRY#{id}")
    by_day: ClassVar[GSI] = GSI("EntriesByDay", pk="day", sk="id")

    account: str
    id: str
    day: str
    amount: int
