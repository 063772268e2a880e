"""An in-memory transport for unit tests: scripted answers, every request recorded.

```python
from dynamap import Session
from dynamap.mock import MockTransport

mock = MockTransport()
mock.reply("GetItem", {"Item": {"pk": {"S": "USER#1"}, "entity": {"S": "user"}}})
async with Session(transport=mock) as db:
    raw = await db.send("GetItem", {"TableName": "app", "Key": {"pk": {"S": "USER#1"}}})
assert mock.operations() == ["GetItem"]
```

The mock replaces only the single HTTP exchange of each request: the session still
builds, serialises and retries the request, calls its hooks and counts its `stats`,
so a scripted throttle is retried as a real one is. Answers are taken, for each
request, from the front of that operation's queue (`reply`, `fail`, `disconnect`),
else from the `handler` given, else the request is refused with `UnscriptedRequest`.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from dynamap._transport import Answer, HttpTransport
from dynamap.errors import ConnectionFailed

__all__ = ["Answer", "HttpTransport", "MockRequest", "MockTransport", "UnscriptedRequest"]

#: A handler's answer: the response as a dict (HTTP 200), or an `Answer`.
Reply = Mapping[str, Any] | Answer
Handler = Callable[[str, dict[str, Any]], Reply | Awaitable[Reply]]


class UnscriptedRequest(AssertionError):  # noqa: N818 (an assertion, not a dynamap error)
    """A request came that no scripted answer and no handler answers."""


@dataclass(frozen=True, slots=True)
class MockRequest:
    """One request as it reached the transport (each retry is one more).

    Attributes:
        operation: the DynamoDB operation, e.g. "PutItem".
        body: the request as sent, decoded from its JSON.
    """

    operation: str
    body: dict[str, Any]


class _Disconnect:
    def __init__(self, sent: bool) -> None:
        self.sent = sent


class MockTransport(HttpTransport):
    """Answers a session's requests in memory and records them.

    Args:
        handler: answers requests no scripted answer is queued for:
            `handler(operation, body)` returns the response dict, an `Answer` (an
            error status), or an awaitable of either; it may also raise a dynamap
            `OperationError`, which is retried as the session retries that error.
    """

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        #: Every request, in the order it reached the transport.
        self.requests: list[MockRequest] = []
        #: The most requests that were in the transport at once.
        self.most_in_flight = 0
        self._in_flight = 0
        self._queued: defaultdict[str, deque[Answer | _Disconnect]] = defaultdict(deque)
        self.opened = False

    # -- scripting -----------------------------------------------------------------

    def reply(self, operation: str, response: Mapping[str, Any] | None = None) -> None:
        """Queue a successful answer (HTTP 200 with `response`, default `{}`)."""
        self._queued[operation].append(Answer(200, orjson.dumps(dict(response or {}))))

    def fail(
        self, operation: str, code: str, message: str = "", *, status: int = 400, **fields: Any
    ) -> None:
        """Queue an error answer as DynamoDB gives it, e.g.
        `fail("PutItem", "ProvisionedThroughputExceededException")`; `fields` are
        added to the error body (e.g. `CancellationReasons=[...]`)."""
        body = {
            "__type": f"com.amazonaws.dynamodb.v20120810#{code}",
            "message": message or code,
            **fields,
        }
        self._queued[operation].append(Answer(status, orjson.dumps(body)))

    def disconnect(self, operation: str, *, sent: bool = True) -> None:
        """Queue a lost connection: with `sent`, after the request went out (so it may
        have been applied), else before."""
        self._queued[operation].append(_Disconnect(sent))

    # -- what was sent ---------------------------------------------------------------

    def operations(self) -> list[str]:
        """The operations of the requests received, in order."""
        return [request.operation for request in self.requests]

    def bodies(self, operation: str) -> list[dict[str, Any]]:
        """The bodies of the requests of one operation, in order."""
        return [request.body for request in self.requests if request.operation == operation]

    # -- the exchange ----------------------------------------------------------------

    async def open(self) -> None:
        """Nothing to open."""
        self.opened = True

    async def close(self) -> None:
        """Nothing to close."""
        self.opened = False

    async def exchange(self, operation: str, body: bytes) -> Answer:
        """Record the request and answer it (see the class docstring).

        Raises:
            ConnectionFailed: a `disconnect` was queued for this operation.
            UnscriptedRequest: nothing answers this request.
        """
        request = MockRequest(operation, orjson.loads(body))
        self.requests.append(request)
        self._in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            await asyncio.sleep(0)  # as a real exchange, let other tasks run
            return await self._answer(request)
        finally:
            self._in_flight -= 1

    async def _answer(self, request: MockRequest) -> Answer:
        queue = self._queued.get(request.operation)
        if queue:
            scripted = queue.popleft()
            if isinstance(scripted, _Disconnect):
                failed = ConnectionFailed(
                    "the mock connection was lost",
                    operation=request.operation,
                    code="ConnectionError",
                )
                failed.ambiguous = scripted.sent
                raise failed
            return scripted
        if self.handler is None:
            raise UnscriptedRequest(
                f"no answer is scripted for {request.operation}: {request.body!r}"
            )
        answer = self.handler(request.operation, request.body)
        if isinstance(answer, Awaitable):
            answer = await answer
        if isinstance(answer, Answer):
            return answer
        return Answer(200, orjson.dumps(dict(answer)))
