"""`freeze_startup` freezes what is alive and leaves the collector running."""

from __future__ import annotations

import gc

from dynamap.collector import freeze_startup


def test_freeze_startup_freezes_the_objects_alive_and_keeps_collecting() -> None:
    kept = [[] for _ in range(100)]
    try:
        frozen = freeze_startup()
        # frozen objects can be freed afterwards (by other threads of the test run too),
        # never added: the count can only have gone down since
        assert frozen >= gc.get_freeze_count() >= len(kept)
        assert gc.isenabled()
        assert not any(obj is kept[0] for obj in gc.get_objects())  # not scanned any more
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
