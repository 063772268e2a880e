"""A stand-in for the HTTP transport, for unit tests of batches and transactions.

A session is given a `FakeTransport` in place of its real one; each request goes to a
handler function that the test writes (answer, or raise a dynamap error), and is
recorded. Nothing touches the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from dynamap import RetryPolicy, Session
from dynamap._transport import Stats

Handler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]] | dict[str, Any]]

#: Retries without waiting to speak of.
QUICK = RetryPolicy(attempts=5, budget=5.0, base=0.0001, cap=0.0002)


class FakeTransport:
    """Answers requests with `handler(operation, request)`; records every request."""

    def __init__(self, handler: Handler, retry: RetryPolicy) -> None:
        self.handler = handler
        self.retry = retry
        self.stats = Stats()
        self.on_request: list[Any] = []
        self.on_response: list[Any] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def exchange(
        self, operation: str, request: Mapping[str, Any], *, table: str | None = None,
        idempotent: bool = True,
    ) -> tuple[dict[str, Any], bool]:
        """`send`, and no earlier try whose answer was lost (the fake loses none)."""
        return await self.send(operation, request, table=table), False

    async def send(
        self, operation: str, request: Mapping[str, Any], *, table: str | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        copy: dict[str, Any] = orjson.loads(orjson.dumps(request))  # as it went out
        self.sent.append((operation, copy))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            answer = self.handler(operation, copy)
            if not isinstance(answer, dict):
                answer = await answer
            return answer
        finally:
            self.in_flight -= 1

    def operations(self) -> list[str]:
        """The operations sent, in order."""
        return [operation for operation, _ in self.sent]


def fake_session(handler: Handler, *, retry: RetryPolicy = QUICK, prefix: str = "") -> tuple[
        Session, FakeTransport]:
    """A session (not yet opened) whose requests go to `handler`."""
    session = Session(endpoint_url="http://127.0.0.1:9", region="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="x", table_prefix=prefix,
                      retry=retry, coalesce_gets=False)
    transport = FakeTransport(handler, retry)
    session.transport = transport  # type: ignore[assignment]
    return session, transport


class MemoryTable:
    """A dict-backed stand-in for the items of BatchWriteItem / BatchGetItem requests."""

    def __init__(self, key_names: tuple[str, ...]) -> None:
        self.key_names = key_names
        self.items: dict[bytes, dict[str, Any]] = {}

    def key(self, item: Mapping[str, Any]) -> bytes:
        return orjson.dumps({name: item[name] for name in self.key_names if name in item},
                            option=orjson.OPT_SORT_KEYS)

    def write(self, entry: Mapping[str, Any]) -> None:
        if "PutRequest" in entry:
            item = entry["PutRequest"]["Item"]
            self.items[self.key(item)] = item
        else:
            self.items.pop(self.key(entry["DeleteRequest"]["Key"]), None)
