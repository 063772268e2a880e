"""An opt-in helper for long-running services: keep the garbage collector off the
objects that start-up created.

Every full collection of CPython's cyclic garbage collector walks every tracked object
alive, and an application's imports (dynamap, pydantic, aiohttp, the application's own
modules and models) leave tens of thousands of them that live as long as the process.
Reading items creates many short-lived containers (a 1 MB Query page is some 56,000
dicts and lists), which trigger collections that walk those long-lived objects again
and again. `freeze_startup` moves everything alive at the moment it is called into the
collector's permanent generation (`gc.freeze`), which collections skip.

dynamap never calls it itself: it changes the whole process's collector, which is the
application's decision. Call it once, when start-up is done (imports made, models
defined, sessions opened) and before serving:

```python
from dynamap.collector import freeze_startup

frozen = freeze_startup()
assert frozen > 0
```

Objects frozen are never freed by the cyclic collector (reference counting still frees
them), so call it once, not per request.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_startup"]


def freeze_startup() -> int:
    """Collect once, then freeze every object alive (`gc.freeze()`).

    Returns:
        How many objects are now in the permanent generation.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
