"""A module whose model declaration is wrong: importing it raises a DefinitionError."""

from __future__ import annotations

from typing import ClassVar

from dynamap import Key, Model, Table


class Broken(Model, table=Table("CliBroken")):
    pk: ClassVar[Key] = Key("ITEM#{missing}")

    id: str
