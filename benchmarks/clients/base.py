"""What every client adapter implements, and the drivers they share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from benchmarks.dataset import TABLE

__all__ = ["BATCH", "Bench", "UnsupportedError", "chunks", "gather_limited", "threads_limited"]

T = TypeVar("T")
#: Items per BatchWriteItem request (DynamoDB's maximum).
BATCH = 25


class UnsupportedError(Exception):
    """The client has no way to run this workload (the table shows the reason)."""


class Bench:
    """A client library under test. Every method returns the number of operations or
    items it handled, which the harness divides its time by.

    `prepare` turns plain items (see `benchmarks.dataset.plain_items`) into what the
    library's users hold (models, or dicts); it is not timed.
    """

    name = "?"
    table = TABLE

    async def open(self, endpoint: str) -> None:
        """Connect (create clients, pools) to `endpoint`."""

    async def close(self) -> None:
        """Release every resource opened."""

    def decode(self, body: bytes) -> list[Any]:
        """Turn a Query answer's bytes into this library's result objects."""
        raise UnsupportedError("no decoding without the network")

    def prepare(self, plain: list[dict[str, Any]]) -> Any:
        """The objects users of this library would write, built from plain items."""
        return plain

    def encode(self, prepared: Any) -> int:
        """Turn prepared objects into BatchWriteItem request bodies (25 items each), as
        the library would; returns the number of items encoded."""
        raise UnsupportedError("no encoding without the network")

    async def query(self, partition: str) -> int:
        """Read every item of a partition (every page), decoded."""
        raise NotImplementedError

    async def get_each(self, keys: Sequence[tuple[str, str]]) -> int:
        """GetItem each (PK, SK), one after the other."""
        raise NotImplementedError

    async def get_concurrent(self, keys: Sequence[tuple[str, str]], concurrency: int) -> int:
        """GetItem each (PK, SK), `concurrency` in flight at a time."""
        raise NotImplementedError

    async def put_new(self, prepared: Any) -> int:
        """PutItem each item on the condition that its key is new."""
        raise NotImplementedError

    async def put_concurrent(self, prepared: Any, concurrency: int) -> int:
        """PutItem each item on the condition that its key is new, `concurrency` at once."""
        raise NotImplementedError

    async def batch_write(self, prepared: Any, concurrency: int) -> int:
        """Write every item with BatchWriteItem, `concurrency` requests in flight."""
        raise NotImplementedError

    async def stream(self, partition: str, every: int, probe: Callable[[], None]) -> int:
        """Read a partition item by item without keeping them; call `probe` every
        `every` items (it samples memory)."""
        raise NotImplementedError


def chunks(items: Sequence[T], size: int = BATCH) -> list[Sequence[T]]:
    """`items` cut into consecutive slices of `size`."""
    return [items[start:start + size] for start in range(0, len(items), size)]


async def gather_limited(
    work: Iterable[T], run: Callable[[T], Awaitable[Any]], concurrency: int
) -> int:
    """Run `run` on every element of `work` with at most `concurrency` awaiting."""
    queue = list(work)
    queue.reverse()

    async def worker() -> None:
        while queue:
            await run(queue.pop())

    count = len(queue)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count


def threads_limited(
    work: Iterable[T], run: Callable[[T], Any], pool: ThreadPoolExecutor
) -> int:
    """Run `run` on every element of `work` on a thread pool; wait for all."""
    futures = [pool.submit(run, element) for element in work]
    for future in futures:
        future.result()
    return len(futures)
