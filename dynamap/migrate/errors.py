"""The errors of a migration as a whole (one record's problem is a reject, not an error)."""

from __future__ import annotations

from dynamap.errors import DynamapError, InvalidValue

__all__ = ["MappingError", "SourceError"]


class SourceError(DynamapError):
    """A source cannot be read at all: the file is missing, not text, not SQLite, ..."""


class MappingError(InvalidValue):
    """A field mapping is wrong: an unknown duplicate policy, a path that is empty, ..."""
