"""The one text format dynamap stores datetimes in, so that string order is time order.

Every datetime is converted to UTC and written with a fixed width and microseconds,
e.g. ``2024-03-15T12:00:00.000000Z``. A naive datetime is refused: it would read back
aware, not equal to what was written. Parsing accepts any ISO-8601 form (``Z`` or an
offset, with or without fractions; text without an offset is read as UTC), so data
written by other tools reads back.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_datetime", "parse_datetime"]


def format_datetime(value: datetime) -> str:
    """Return `value` in UTC as fixed-width ISO-8601 text ending in ``Z``.

    Raises:
        ValueError: `value` is naive (has no time zone).
    """
    if value.tzinfo is None:
        raise ValueError(
            f"{value!r} is a naive datetime (no time zone): give it one, e.g. "
            "value.replace(tzinfo=UTC)"
        )
    utc = value.astimezone(UTC)
    # Not strftime: its %Y does not zero-pad years below 1000 on every platform.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def parse_datetime(text: str) -> datetime:
    """Parse ISO-8601 text into an aware UTC datetime (naive text is taken as UTC).

    Raises:
        ValueError: if `text` is not ISO-8601.
    """
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
