"""Markers that choose how a field is stored, used inside ``typing.Annotated``.

```python
from dynamap import NumericBool, EpochSeconds

class Page(Model, table=app):
    is_published: NumericBool = False          # stored as N 0/1, so it can key an index
    expires_at: EpochSeconds | None = None     # stored as N epoch seconds (DynamoDB TTL)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

__all__ = ["AsEpochSeconds", "AsNumber", "EpochSeconds", "NumericBool"]


@dataclass(frozen=True, slots=True)
class AsNumber:
    """Store a bool as the number 0 or 1 (type N), e.g. to use it as an index key.

    DynamoDB keys must be S, N or B, so a bool cannot key an index as BOOL.
    """


@dataclass(frozen=True, slots=True)
class AsEpochSeconds:
    """Store a datetime as whole seconds since the Unix epoch (type N), as DynamoDB TTL needs."""


NumericBool = Annotated[bool, AsNumber()]
EpochSeconds = Annotated[datetime, AsEpochSeconds()]
