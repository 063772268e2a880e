"""Coalescing concurrent gets into BatchGetItem requests.

A web handler that does `await asyncio.gather(*(db.get(User, id=i) for i in ids))`
would send one GetItem per id. Instead, every `get` made in the same event-loop tick
is parked on a future, and one callback scheduled with `call_soon` sends them together:
one GetItem when a single key is waiting, else BatchGetItem in chunks of 100 keys per
table. Consistent and eventually consistent reads are kept in separate requests.
Duplicate keys are sent once and answered to every caller. Unprocessed keys are
retried with the session's retry policy; if any are still unread when it is spent,
their callers get `BatchIncomplete`, never a silent None.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dynamap._context import Context
from dynamap._identity import Item, canonical_key
from dynamap.errors import BatchIncomplete

__all__ = ["GetCoalescer", "canonical_key"]

MAX_BATCH_GET = 100


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
            chunks = [waiting[i:i + MAX_BATCH_GET] for i in range(0, len(waiting),
                                                                   MAX_BATCH_GET)]
            await asyncio.gather(*(self._get_chunk(table, consistent, chunk)
                                   for chunk in chunks))
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
        key_names = list(chunk[0].key)
        state = self._session.retry.start()
        while by_key:
            found, unprocessed = await self._batch_get(table, consistent, by_key)
            for item in found:
                waiting = by_key.pop(canonical_key({n: item[n] for n in key_names}), None)
                if waiting is not None:
                    _resolve(waiting, item)
            for canonical in set(by_key) - unprocessed:
                _resolve(by_key.pop(canonical), None)
            if by_key:
                delay = state.next_delay()
                if delay is None:
                    error = BatchIncomplete("BatchGetItem retries ran out",
                                            [w.key for w in by_key.values()])
                    _fail(list(by_key.values()), error)
                    return
                await asyncio.sleep(delay)

    async def _batch_get(
        self, table: str, consistent: bool, by_key: Mapping[bytes, _Waiting]
    ) -> tuple[list[Item], set[bytes]]:
        request_items: dict[str, Any] = {"Keys": [w.key for w in by_key.values()]}
        if consistent:
            request_items["ConsistentRead"] = True
        answer = await self._session.send("BatchGetItem", {"RequestItems": {table: request_items}},
                                          table=table)
        found: list[Item] = answer.get("Responses", {}).get(table, [])
        left = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        return found, {canonical_key(key) for key in left}


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
