"""A model with a unique field, which batched imports cannot keep unique."""

from __future__ import annotations

from typing import ClassVar

from dynamap import Key, Model, Table

members = Table("CliMembers")


class Member(Model, table=members, unique=("email",)):
    pk: ClassVar[Key] = Key("MEMBER#{id}")

    id: str
    email: str
