"""A model whose version and timestamps dynamap maintains, for the restore round trip."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from dynamap import Key, Model, Table, utcnow

notes = Table("CliNotes")


class Note(Model, table=notes, version="version", created="created_at",
           updated="updated_at"):
    pk: ClassVar[Key] = Key("NOTE#{id}")

    id: str
    text: str
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    seen_at: datetime = Field(default_factory=utcnow)
