"""models.py: the application's models."""

from dynamap import Key, Model, Table

notes = Table("Notes")


class Note(Model, table=notes, entity="note"):
    pk = Key("NOTE#{id}")

    id: str
    text: str = ""
