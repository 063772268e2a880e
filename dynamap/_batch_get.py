"""Batch reads: `db.get_many(Model, keys)`, in BatchGetItem requests of 100 keys.

```python
found = await db.get_many(Page, [{"id": a}, {"id": b}, {"id": a}])
# [Page, Page | None, Page]: in the order asked, None where there is no item
```

Every key is built (and checked) before the first request. Repeated keys are asked
once and answered to each position, each with its own instance. Chunks are read
concurrently (8 at a time); `UnprocessedKeys`, throttling, 5xx answers and dropped
connections are retried under the session's `RetryPolicy`, and keys still unread
when it runs out are raised as `BatchIncomplete`, carrying exactly the key mappings
that were handed in and not read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamap._batch_read import MAX_BATCH_GET, KeyReads, read_chunk
from dynamap._compiler import CompiledModel, compiled_of
from dynamap._context import Context
from dynamap._identity import Item, canonical_key
from dynamap.errors import BatchIncomplete

__all__ = ["MAX_BATCH_GET", "get_many"]

M = TypeVar("M", bound=BaseModel)


async def get_many(
    session: Context,
    model: type[M],
    keys: Iterable[Mapping[str, Any]],
    *,
    consistent: bool = False,
    concurrency: int = 8,
) -> list[M | None]:
    """Read many items of one model by their key fields; see `Session.get_many`."""
    compiled = compiled_of(model)
    given = list(keys)
    encoded = [compiled.key_from(key) for key in given]
    identities = [canonical_key(key) for key in encoded]
    distinct: dict[bytes, tuple[Item, Mapping[str, Any]]] = {}
    for identity, key, asked in zip(identities, encoded, given, strict=True):
        distinct.setdefault(identity, (key, asked))
    names = tuple(attribute.attribute for attribute in compiled.key_attributes)
    reads = KeyReads(session.table_name(model), consistent, names)
    await _read_all(session, reads, {i: key for i, (key, _) in distinct.items()}, concurrency)
    if reads.unread:
        cause = reads.errors[-1] if reads.errors else None
        error = BatchIncomplete(
            "BatchGetItem: the retry budget ran out",
            [distinct[identity][1] for identity in reads.unread],
        )
        raise error from cause
    return [_decoded(compiled, reads.found.get(identity)) for identity in identities]


def _decoded(compiled: CompiledModel[M], item: Item | None) -> M | None:
    return None if item is None else compiled.from_item(item)


async def _read_all(
    session: Context, reads: KeyReads, keys: dict[bytes, Item], concurrency: int
) -> None:
    slots = asyncio.Semaphore(concurrency)
    identities = list(keys)

    async def read(chunk: list[bytes]) -> None:
        async with slots:
            await read_chunk(session, reads, {i: keys[i] for i in chunk})

    chunks = [identities[i : i + MAX_BATCH_GET] for i in range(0, len(identities), MAX_BATCH_GET)]
    outcomes = await asyncio.gather(*(read(chunk) for chunk in chunks), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
