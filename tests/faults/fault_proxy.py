"""A loopback HTTP proxy in front of a local DynamoDB that injects faults.

It listens on 127.0.0.1, forwards each request to the real server and, at configured
rates, instead:

- `throttle`: answers 400 `ProvisionedThroughputExceededException` (nothing forwarded);
- `error_500`: answers 500 `InternalServerError` (nothing forwarded);
- `drop_before`: closes the connection without answering (nothing forwarded);
- `drop_after`: forwards the request, lets the server apply it, then closes the
  connection without answering: the client cannot know that it was applied;
- `partial` (BatchWriteItem and BatchGetItem only): removes a random subset of the
  writes or keys from the request before forwarding it, and reports exactly those as
  `UnprocessedItems` / `UnprocessedKeys` in the answer. Nothing reported unprocessed
  was ever sent to the server, so a client that trusts the answer loses nothing and
  a client that ignores it loses exactly those items.

Faults can also be forced, one request at a time, with `force(operation, kind)`, and
a request can be held back until the test lets it go, with `hold(operation, nth)`.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from pydantic import BaseModel

from dynamap import RetryPolicy, Session

__all__ = ["GENEROUS", "FaultProxy", "FaultRates", "FaultySession", "Stored", "report"]

#: A generous retry policy: the faults are frequent, the budget must outlast them.
GENEROUS = RetryPolicy(attempts=40, budget=120.0, base=0.01, cap=0.25)

KINDS = ("throttle", "error_500", "drop_before", "drop_after", "partial")
#: The `faulty_session` fixture: `async with faulty_session(rates) as (proxy, session)`.
FaultySession = Callable[..., AbstractAsyncContextManager[tuple["FaultProxy", Session]]]
#: The `stored` fixture: `stored(Model, "PK value")`, the item as DynamoDB holds it,
#: read with plain boto3 and decoded to Python values (None when there is none).
Stored = Callable[[type[BaseModel], str], dict[str, Any] | None]

_TYPE_PREFIX = "com.amazonaws.dynamodb.v20120810#"
_JSON = "application/x-amz-json-1.0"
_FORWARDED_HEADERS = ("Content-Type", "X-Amz-Target", "X-Amz-Date", "Authorization",
                      "X-Amz-Security-Token", "Host")


@dataclass(frozen=True, slots=True)
class FaultRates:
    """The chance of each fault per request (`partial`: per batch request)."""

    throttle: float = 0.0
    error_500: float = 0.0
    drop_before: float = 0.0
    drop_after: float = 0.0
    partial: float = 0.0

    def describe(self) -> str:
        """The rates as one line, for test output."""
        return ", ".join(f"{kind}={rate:.0%}" for kind, rate in asdict(self).items())


class FaultProxy:
    """See the module docstring. Use as `async with FaultProxy(upstream, rates) as proxy`.

    Attributes:
        url: the proxy's endpoint, once started.
        requests: requests received, per operation.
        forwarded: requests forwarded to the server, per operation.
        injected: faults injected, per kind.
        faults: faults injected, per (operation, kind).
        withheld: writes or keys moved to Unprocessed* by `partial`.
    """

    def __init__(self, upstream: str, rates: FaultRates | None = None, *, seed: int = 0) -> None:
        self.upstream = upstream
        self.rates = rates or FaultRates()
        self.seed = seed
        self.rng = random.Random(seed)
        self.url = ""
        self.requests: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.faults: Counter[tuple[str, str]] = Counter()
        self.withheld = 0
        self._forced: dict[str, deque[str]] = {}
        self._holds: dict[tuple[str, int], asyncio.Event] = {}
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    # -- life -------------------------------------------------------------------------

    async def start(self) -> FaultProxy:
        """Start listening on a free loopback port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/", self._handle)
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=128),
            skip_auto_headers=("User-Agent", "Accept-Encoding"))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        """Stop listening and close the connections upstream."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- configuration ----------------------------------------------------------------

    def force(self, operation: str, kind: str) -> None:
        """Inject `kind` into the next `operation` request, whatever the rates say."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {KINDS}")
        self._forced.setdefault(operation, deque()).append(kind)

    def hold(self, operation: str, nth: int) -> asyncio.Event:
        """Hold the `nth` `operation` request (counting from 1) back until the returned
        event is set."""
        release = asyncio.Event()
        self._holds[operation, nth] = release
        return release

    def report(self) -> str:
        """A summary for test output: rates, requests, forwards and faults."""
        requests = sum(self.requests.values())
        forwarded = sum(self.forwarded.values())
        faults = ", ".join(f"{kind}={self.injected[kind]}" for kind in KINDS)
        return (f"fault proxy (seed {self.seed}): rates {self.rates.describe()}\n"
                f"  requests={requests} {dict(self.requests)}\n"
                f"  forwarded={forwarded}; injected: {faults}; withheld by partial="
                f"{self.withheld}")

    # -- handling -----------------------------------------------------------------------

    def _choose(self, operation: str) -> str | None:
        forced = self._forced.get(operation)
        if forced:
            return forced.popleft()
        draw = self.rng.random()
        for kind in ("throttle", "error_500", "drop_before", "drop_after"):
            draw -= getattr(self.rates, kind)
            if draw < 0:
                return kind
        if operation in ("BatchWriteItem", "BatchGetItem") and \
                self.rng.random() < self.rates.partial:
            return "partial"
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        operation = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
        self.requests[operation] += 1
        release = self._holds.pop((operation, self.requests[operation]), None)
        if release is not None:
            await release.wait()
        fault = self._choose(operation)
        if fault is not None:
            self.injected[fault] += 1
            self.faults[operation, fault] += 1
        if fault == "throttle":
            return _error(400, "ProvisionedThroughputExceededException", "injected throttling")
        if fault == "error_500":
            return _error(500, "InternalServerError", "injected server error")
        if fault == "drop_before":
            _drop(request)
        withheld: dict[str, Any] = {}
        to_send: bytes | None = body
        if fault == "partial":
            to_send, withheld = self._withhold(operation, body)
        status, payload = await self._forward(request, operation, to_send)
        if fault == "drop_after":
            _drop(request)
        if withheld and status == 200:
            payload = _merge_unprocessed(operation, payload, withheld)
        return web.Response(status=status, body=payload, content_type=_JSON)

    async def _forward(
        self, request: web.Request, operation: str, body: bytes | None
    ) -> tuple[int, bytes]:
        if body is None:  # everything withheld: the server is not asked at all
            return 200, b"{}"
        assert self._client is not None
        headers = {name: request.headers[name] for name in _FORWARDED_HEADERS
                   if name in request.headers}
        async with self._client.post(self.upstream, data=body, headers=headers) as answer:
            payload = await answer.read()
            self.forwarded[operation] += 1
            return answer.status, payload

    def _withhold(self, operation: str, body: bytes) -> tuple[bytes | None, dict[str, Any]]:
        """Take a random subset out of a batch request; returns what is left to send
        (None when nothing is) and what was taken, shaped as Unprocessed*."""
        request = orjson.loads(body)
        taken: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for table, entry in request["RequestItems"].items():
            if operation == "BatchWriteItem":
                keep, take = self._split(entry)
                if take:
                    taken[table] = take
                if keep:
                    kept[table] = keep
            else:
                keep, take = self._split(entry["Keys"])
                if take:
                    taken[table] = {**entry, "Keys": take}
                if keep:
                    kept[table] = {**entry, "Keys": keep}
        if not kept:
            return None, taken
        return orjson.dumps({**request, "RequestItems": kept}), taken

    def _split(self, entries: list[Any]) -> tuple[list[Any], list[Any]]:
        keep: list[Any] = []
        take: list[Any] = []
        for entry in entries:
            (take if self.rng.random() < 0.5 else keep).append(entry)
        self.withheld += len(take)
        return keep, take


def _error(status: int, code: str, message: str) -> web.Response:
    body = orjson.dumps({"__type": _TYPE_PREFIX + code, "message": message})
    return web.Response(status=status, body=body, content_type=_JSON)


def _drop(request: web.Request) -> None:
    """Close the client's connection without an answer."""
    transport = request.transport
    if transport is not None:
        transport.close()
    raise asyncio.CancelledError


def _merge_unprocessed(operation: str, payload: bytes, withheld: dict[str, Any]) -> bytes:
    answer = orjson.loads(payload)
    if operation == "BatchWriteItem":
        unprocessed = answer.setdefault("UnprocessedItems", {})
        for table, entries in withheld.items():
            unprocessed.setdefault(table, []).extend(entries)
    else:
        answer.setdefault("Responses", {})
        unprocessed = answer.setdefault("UnprocessedKeys", {})
        for table, entry in withheld.items():
            if table in unprocessed:
                unprocessed[table]["Keys"].extend(entry["Keys"])
            else:
                unprocessed[table] = entry
    return orjson.dumps(answer)


def report(proxy: FaultProxy, session: Session, title: str) -> None:
    """Print what the proxy injected and what the client retried (shown with `-s`,
    and by pytest when the test fails)."""
    stats = session.stats
    print(f"\n== {title}")
    print(proxy.report())
    print(f"  client: requests={dict(stats.requests)} retries={dict(stats.retries)} "
          f"errors={dict(stats.errors)}")
