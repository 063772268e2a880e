"""Default factories for common fields: `id: str = Field(default_factory=new_id)`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

__all__ = ["new_id", "utcnow"]


def new_id() -> str:
    """A new random identifier: a UUID4 in its canonical text form."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
