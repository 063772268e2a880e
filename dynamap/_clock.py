"""The time dynamap stamps on writes: never the same twice in one process.

The `updated` timestamp of a write is what proves, after a lost answer, that a stored
item is that write's (see `dynamap._outcome`). Two writes stamped alike could not be
told apart, and a clock can repeat itself: its resolution may be coarse (about 16 ms
on some systems) and it may be set back. `write_time` therefore returns the current
time, or one microsecond (the precision items store) after the last time it returned,
whichever is later.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["write_time"]

_TICK = timedelta(microseconds=1)
_lock = threading.Lock()
_last = datetime.min.replace(tzinfo=UTC)


def write_time() -> datetime:
    """The current UTC time, strictly later than any this process returned before."""
    global _last
    now = datetime.now(UTC)
    with _lock:
        if now <= _last:
            now = _last + _TICK
        _last = now
        return now
