from typing import ClassVar

from dynamap import Key, Model, Table

from ..one import First

second = Table("CliPkgSecond")


class Second(Model, table=second):
    pk: ClassVar[Key] = Key("id")

    id: str


__all__ = ["First", "Second"]
