"""Coalescing concurrent gets into BatchGetItem requests.

A web handler that does `await asyncio.gather(*(db.get(User, id=i) for i in ids))`
would send one GetItem per id. Instead, every `get` made in the same event-loop tick
is parked on a future, and one callback scheduled with `call_soon` sends them together:
one GetItem when a single key is waiting, else BatchGetItem in chunks of 100 keys per
table. Consistent and eventually consistent reads are kept in separate requests.
Duplicate keys are sent once and answered to every caller. BatchGetItem is read
through `dynamap._batch_read`, the loop `db.get_many` uses: unprocessed keys are
retried with the session's retry policy; if any are still unread when it is spent,
their callers get `BatchIncomplete`, never a silent None, and when a retryable error
outlasted the retries, that error, as a single get would raise it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from dynamap._batch_read import MAX_BATCH_GET, KeyReads, read_chunk
from dynamap._context import Context
from dynamap._identity import Item, canonical_key
from dynamap.errors import BatchIncomplete

__all__ = ["MAX_BATCH_GET", "GetCoalescer", "canonical_key"]


@dataclass(slots=True)
class _Waiting:
    key: Item
    futures: list[asyncio.Future[Item | None]] = field(default_factory=list)


_Group = dict[bytes, _Waiting]


class GetCoalescer:
    """Collects the gets of one event-loop tick and sends them together."""

    def __init__(self, session: Context) -> None:
        self._session = session
        self._pending: dict[tuple[str, bool], _Group] = {}
        self._scheduled = False
        self._flushing: set[asyncio.Task[None]] = set()

    async def get(self, table: str, key: Item, consistent: bool) -> Item | None:
        """The item with `key` in `table`, or None; sent with the other gets of this tick."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Item | None] = loop.create_future()
        group = self._pending.setdefault((table, consistent), {})
        waiting = group.setdefault(canonical_key(key), _Waiting(key))
        waiting.futures.append(future)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._start_flush)
        return await future

    def _start_flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, {}
        for (table, consistent), group in pending.items():
            task = asyncio.ensure_future(self._send_group(table, consistent, group))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Wait for every request in flight (used when the session closes)."""
        while self._flushing:
            await asyncio.gather(*list(self._flushing), return_exceptions=True)

    async def _send_group(self, table: str, consistent: bool, group: _Group) -> None:
        waiting = list(group.values())
        try:
            if len(waiting) == 1:
                await self._get_one(table, consistent, waiting[0])
                return
            chunks = [waiting[i : i + MAX_BATCH_GET] for i in range(0, len(waiting), MAX_BATCH_GET)]
            await asyncio.gather(*(self._get_chunk(table, consistent, chunk) for chunk in chunks))
        except BaseException as error:
            _fail(waiting, error)

    async def _get_one(self, table: str, consistent: bool, waiting: _Waiting) -> None:
        request: dict[str, Any] = {"TableName": table, "Key": waiting.key}
        if consistent:
            request["ConsistentRead"] = True
        answer = await self._session.send("GetItem", request, table=table)
        _resolve(waiting, answer.get("Item"))

    async def _get_chunk(self, table: str, consistent: bool, chunk: list[_Waiting]) -> None:
        by_key = {canonical_key(w.key): w for w in chunk}
        reads = KeyReads(table, consistent, tuple(chunk[0].key))
        await read_chunk(self._session, reads, {k: w.key for k, w in by_key.items()})
        unread = set(reads.unread)
        for identity, waiting in by_key.items():
            if identity not in unread:
                _resolve(waiting, reads.found.get(identity))
        if unread:
            left = [by_key[identity] for identity in reads.unread]
            error = (
                reads.errors[-1]
                if reads.errors
                else BatchIncomplete("BatchGetItem retries ran out", [w.key for w in left])
            )
            _fail(left, error)


def _resolve(waiting: _Waiting, item: Item | None) -> None:
    for future in waiting.futures:
        if not future.done():
            future.set_result(item)


def _fail(waiting: list[_Waiting], error: BaseException) -> None:
    for entry in waiting:
        for future in entry.futures:
            if future.done():
                continue
            if isinstance(error, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(error)
