"""dynamap on AWS Lambda: a sync entry point that runs async code, and one session
kept across warm invocations.

```python
from dynamap.aws_lambda import LambdaRunner

runner = LambdaRunner()                 # module level: created once per container

@runner.handler
async def handler(event, context):      # Lambda calls `handler(event, context)`
    page = await Page.get_or_raise(id=event["pathParameters"]["id"])
    return {"statusCode": 200, "body": page.model_dump_json()}
```

Lambda's Python runtime calls the handler synchronously. `asyncio.run` on each call
would start a new event loop every time, and an HTTP connection pool belongs to the
loop it was opened on, so every invocation would open new connections (and a TLS
handshake) to DynamoDB. The runner keeps one event loop for the life of the
container instead: the session it opens on the first invocation, bound for the
process (`Session.bind()`), serves every warm invocation after it, connections and
all. A session that closed (or a call that failed to open one) is opened afresh on
the next invocation.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from dynamap._session import Session

__all__ = ["LambdaRunner"]

T = TypeVar("T")
P = ParamSpec("P")


class LambdaRunner:
    """Runs a Lambda function's async code on one event loop kept across invocations,
    with one session opened on first use and bound for the process.

    Args:
        factory: makes the session, e.g. `lambda: Session(table_prefix="prod-")`.
    """

    def __init__(self, factory: Callable[[], Session] = Session) -> None:
        self.factory = factory
        self.invocations = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: Session | None = None

    @property
    def session(self) -> Session | None:
        """The session of this container, once an invocation has opened it."""
        return self._session

    def run(self, work: Awaitable[T]) -> T:
        """Run one invocation's coroutine to its end on the kept loop, the session open.

        Raises:
            Exception: whatever `work` raises.
        """
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        self.invocations += 1
        return self._loop.run_until_complete(self._with_session(work))

    async def _with_session(self, work: Awaitable[T]) -> T:
        if self._session is None or self._session.state != "open":
            session = self.factory()
            try:
                await session.open()
            except BaseException:
                if inspect.iscoroutine(work):
                    work.close()  # never started: nothing of it ran
                raise
            session.bind()
            self._session = session
        return await work

    def handler(self, function: Callable[P, Awaitable[T]]) -> Callable[P, T]:
        """Turn an async handler into the sync one Lambda calls (a decorator)."""

        @functools.wraps(function)
        def invoke(*args: P.args, **kwargs: P.kwargs) -> T:
            return self.run(function(*args, **kwargs))

        return invoke

    def close(self) -> None:
        """Close the session and the loop (tests; Lambda just freezes the container)."""
        loop, session = self._loop, self._session
        self._session = None
        if loop is None or loop.is_closed():
            return
        if session is not None:
            loop.run_until_complete(session.close())
        loop.close()
        self._loop = None
