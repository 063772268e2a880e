from typing import ClassVar

from dynamap import Key, Model, Table

first = Table("CliPkgFirst")


class First(Model, table=first):
    pk: ClassVar[Key] = Key("id")

    id: str
