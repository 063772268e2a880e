"""Sessions on `dynamap.mock.MockTransport`, for unit tests of batches and transactions.

A session is given a mock transport (`Session(transport=...)`); each request goes
through the session's retry loop, hooks and statistics to a handler function that the
test writes (answer, or raise a dynamap error), and is recorded. Nothing touches the
network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from dynamap import RetryPolicy, Session
from dynamap.mock import MockTransport

Handler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]] | dict[str, Any]]

#: Retries without waiting to speak of.
QUICK = RetryPolicy(attempts=5, budget=5.0, base=0.0001, cap=0.0002)


class RecordingMock(MockTransport):
    """A `MockTransport` whose requests read as (operation, body) pairs."""

    @property
    def sent(self) -> list[tuple[str, dict[str, Any]]]:
        """The requests received, as (operation, body)."""
        return [(request.operation, request.body) for request in self.requests]


def fake_session(handler: Handler, *, retry: RetryPolicy = QUICK, prefix: str = "") -> tuple[
        Session, RecordingMock]:
    """A session (not yet opened) whose requests go to `handler`."""
    transport = RecordingMock(handler)
    session = Session(region="us-east-1", table_prefix=prefix, retry=retry,
                      coalesce_gets=False, transport=transport)
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
