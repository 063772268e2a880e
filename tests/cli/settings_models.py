"""A table with point-in-time recovery, deletion protection and a stream."""

from __future__ import annotations

from typing import ClassVar

from dynamap import Key, Model, Table

guarded = Table("CliGuarded", point_in_time_recovery=True, deletion_protection=True,
                stream="KEYS_ONLY")


class Record(Model, table=guarded, entity="record"):
    pk: ClassVar[Key] = Key("id")

    id: str
