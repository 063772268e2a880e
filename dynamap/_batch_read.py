"""The one BatchGetItem loop: read a chunk of keys of one table, retrying what is left.

`db.get_many` (`dynamap._batch_get`) and the coalesced gets (`dynamap._coalesce`) both
read through `read_chunk`, under one failure policy:

- `UnprocessedKeys` are asked again after the session's `RetryPolicy` delay; when
  the policy is spent, the keys still left are `unread`.
- A retryable error (throttling, 5xx, a lost connection) that outlasts the
  transport's own retries leaves the chunk's remaining keys `unread`, the error kept
  in `errors`; any other error is raised.
- A key neither returned nor left unprocessed has no item.

Each caller reports `unread` keys its own way, never as a silent None.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dynamap._context import Context
from dynamap._identity import Item, canonical_key
from dynamap._retry import RetryPolicy
from dynamap.errors import OperationError

__all__ = ["MAX_BATCH_GET", "KeyReads", "read_chunk"]

#: The most keys one BatchGetItem request may ask for.
MAX_BATCH_GET = 100


@dataclass(slots=True)
class KeyReads:
    """The state of reads of one table: what is found, what is left unread, and why."""

    table: str
    consistent: bool
    key_names: tuple[str, ...]
    found: dict[bytes, Item] = field(default_factory=dict)
    unread: list[bytes] = field(default_factory=list)
    errors: list[OperationError] = field(default_factory=list)

    def request(self, keys: Iterable[Item]) -> dict[str, Any]:
        """The BatchGetItem request of these keys."""
        entry: dict[str, Any] = {"Keys": list(keys)}
        if self.consistent:
            entry["ConsistentRead"] = True
        return {"RequestItems": {self.table: entry}}

    def identity(self, item: Mapping[str, Any]) -> bytes:
        """The canonical key of a returned item."""
        return canonical_key({name: item[name] for name in self.key_names if name in item})


async def read_chunk(session: Context, reads: KeyReads, pending: dict[bytes, Item]) -> None:
    """Read up to `MAX_BATCH_GET` keys (canonical key -> key) into `reads`.

    Raises:
        OperationError: an error that retrying cannot help (a validation error, a
            missing table, access denied).
    """
    state = session.retry.start()
    while pending:
        try:
            answer = await session.send(
                "BatchGetItem", reads.request(pending.values()), table=reads.table
            )
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
        pending = {
            identity: pending[identity]
            for identity in map(canonical_key, left)
            if identity in pending
        }
        delay = state.next_delay() if pending else None
        if pending and delay is None:
            reads.unread.extend(pending)
            return
        if delay is not None:
            await asyncio.sleep(delay)
