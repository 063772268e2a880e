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
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamap._context import Context
from dynamap._identity import Item, canonical_key
from dynamap.coalesce import MAX_BATCH_GET
from dynamap.compiler import CompiledModel, compiled_of
from dynamap.errors import BatchIncomplete, OperationError
from dynamap.retry import RetryPolicy

__all__ = ["MAX_BATCH_GET", "get_many"]

M = TypeVar("M", bound=BaseModel)


@dataclass(slots=True)
class _Reads:
    """The state of one get_many: what is found, what is left, and why."""

    table: str
    consistent: bool
    key_names: tuple[str, ...]
    found: dict[bytes, Item] = field(default_factory=dict)
    unread: list[bytes] = field(default_factory=list)
    errors: list[OperationError] = field(default_factory=list)

    def request(self, keys: Iterable[Item]) -> dict[str, Any]:
        entry: dict[str, Any] = {"Keys": list(keys)}
        if self.consistent:
            entry["ConsistentRead"] = True
        return {"RequestItems": {self.table: entry}}

    def identity(self, item: Mapping[str, Any]) -> bytes:
        return canonical_key({name: item[name] for name in self.key_names if name in item})


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
    reads = _Reads(session.table_name(model), consistent, names)
    await _read_all(session, reads, {i: key for i, (key, _) in distinct.items()}, concurrency)
    if reads.unread:
        cause = reads.errors[-1] if reads.errors else None
        error = BatchIncomplete("BatchGetItem: the retry budget ran out",
                                [distinct[identity][1] for identity in reads.unread])
        raise error from cause
    return [_decoded(compiled, reads.found.get(identity)) for identity in identities]


def _decoded(compiled: CompiledModel[M], item: Item | None) -> M | None:
    return None if item is None else compiled.from_item(item)


async def _read_all(
    session: Context, reads: _Reads, keys: dict[bytes, Item], concurrency: int
) -> None:
    slots = asyncio.Semaphore(concurrency)
    identities = list(keys)

    async def read(chunk: list[bytes]) -> None:
        async with slots:
            await _read_chunk(session, reads, {i: keys[i] for i in chunk})

    chunks = [identities[i:i + MAX_BATCH_GET] for i in range(0, len(identities),
                                                               MAX_BATCH_GET)]
    outcomes = await asyncio.gather(*(read(chunk) for chunk in chunks), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def _read_chunk(session: Context, reads: _Reads, pending: dict[bytes, Item]) -> None:
    state = session.retry.start()
    while pending:
        try:
            answer = await session.send("BatchGetItem", reads.request(pending.values()),
                                        table=reads.table)
        except OperationError as error:
            if not RetryPolicy.retryable(error):
                raise
            reads.errors.append(error)
            reads.unread.extend(pending)
            return
        for item in answer.get("Responses", {}).get(reads.table, []):
            identity = reads.identity(item)
            if pending.pop(identity, None) is not None:
                reads.found[identity] = item
        left = answer.get("UnprocessedKeys", {}).get(reads.table, {}).get("Keys", [])
        pending = {identity: pending[identity] for identity in map(canonical_key, left)
                   if identity in pending}
        delay = state.next_delay() if pending else None
        if pending and delay is None:
            reads.unread.extend(pending)
            return
        if delay is not None:
            await asyncio.sleep(delay)
