"""`python -m benchmarks.batch_write`: writing many items, dynamap against hand-written
aioboto3 loops, on a DynamoDB Local started here.

Every client writes the same items (`benchmarks.dataset`, about 400 bytes each) to a
partition of its own, and the partition is counted afterwards: a run only counts if
every item is stored. The aioboto3 clients start from the plain Python values, as an
application would, so their timings include boto3's serialiser, as dynamap's include
its encoder. Reported: items per second of wall time (median of the repetitions) and
the BatchWriteItem requests sent, after a warm-up round. Options: `--items N`
(10,000), `--repetitions R` (3).

Clients:
- dynamap `put_many`: chunks of 25, 8 requests in flight, unprocessed items retried.
- dynamap `put_many`, `concurrency=1`: one request at a time.
- aioboto3 loop: `batch_write_item` per chunk of 25, one after another, unprocessed
  items sent again after a pause.
- aioboto3 gather: the same per chunk, 8 chunks at a time (`asyncio.gather` with a
  semaphore).
- aioboto3 `batch_writer`: the resource API's buffered writer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from functools import partial
from typing import Any

import aioboto3
from boto3.dynamodb.types import TypeSerializer

from benchmarks.dataset import TABLE, plain_items
from benchmarks.models import BenchItem, instances
from dynamap import Session
from dynamap.local import LocalDynamoDB

__all__ = ["Row", "aioboto3_client", "local_session", "markdown", "requests_counter"]

CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench",
               "region_name": "us-east-1"}
_SERIALIZER = TypeSerializer()


class Row:
    """The measurements of one client: wall seconds per repetition, requests sent."""

    def __init__(self, client: str) -> None:
        self.client = client
        self.walls: list[float] = []
        self.requests: list[int] = []
        self.count = 0

    def add(self, wall: float, requests: int, count: int) -> None:
        self.walls.append(wall)
        self.requests.append(requests)
        self.count = count

    @property
    def per_second(self) -> float:
        return self.count / statistics.median(self.walls)


def markdown(title: str, rows: Sequence[Row], unit: str, extra: str = "") -> str:
    """A markdown table of the rows, with the ratio to the first one."""
    lines = [f"### {title}", "", f"| client | {unit}/s ↑ | median wall s | requests sent "
             f"| vs {rows[0].client} |", "|---|---|---|---|---|"]
    for row in rows:
        ratio = row.per_second / rows[0].per_second
        lines.append(f"| {row.client} | {row.per_second:,.0f} | "
                     f"{statistics.median(row.walls):.3f} | "
                     f"{int(statistics.median(row.requests)):,} | {ratio:.2f}x |")
    return "\n".join([*lines, "", extra] if extra else lines)


@asynccontextmanager
async def local_session(server: LocalDynamoDB, **options: Any) -> AsyncIterator[Session]:
    """A dynamap session on the local server."""
    async with Session(endpoint_url=server.endpoint_url, region="us-east-1",
                       aws_access_key_id="bench", aws_secret_access_key="bench",
                       **options) as db:
        yield db


@asynccontextmanager
async def aioboto3_client(server: LocalDynamoDB) -> AsyncIterator[Any]:
    """An aioboto3 DynamoDB client on the local server."""
    session = aioboto3.Session(**CREDENTIALS)
    async with session.client("dynamodb", endpoint_url=server.endpoint_url) as client:
        yield client


def requests_counter(client: Any, operation: str) -> Callable[[], int]:
    """Count the `operation` requests a botocore client sends; returns a reader."""
    sent = [0]

    def count(**_: Any) -> None:
        sent[0] += 1

    client.meta.events.register(f"before-send.dynamodb.{operation}", count)
    return lambda: sent[0]


# -- the aioboto3 loops --------------------------------------------------------------------


def _typed(item: dict[str, Any]) -> dict[str, Any]:
    values = {**item, "score": Decimal(repr(item["score"]))}  # boto3 refuses floats
    return {name: _SERIALIZER.serialize(value) for name, value in values.items()}


async def _write_chunk(client: Any, chunk: list[dict[str, Any]]) -> None:
    request = {TABLE: [{"PutRequest": {"Item": _typed(item)}} for item in chunk]}
    pause = 0.05
    while request:
        answer = await client.batch_write_item(RequestItems=request)
        request = answer.get("UnprocessedItems") or {}
        if request:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


def _chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [items[i:i + 25] for i in range(0, len(items), 25)]


async def aioboto3_loop(client: Any, items: list[dict[str, Any]]) -> None:
    for chunk in _chunks(items):
        await _write_chunk(client, chunk)


async def aioboto3_gather(client: Any, items: list[dict[str, Any]]) -> None:
    slots = asyncio.Semaphore(8)

    async def write(chunk: list[dict[str, Any]]) -> None:
        async with slots:
            await _write_chunk(client, chunk)

    await asyncio.gather(*(write(chunk) for chunk in _chunks(items)))


async def aioboto3_batch_writer(server: LocalDynamoDB, items: list[dict[str, Any]]) -> int:
    """Write with the resource API's batch_writer; returns the requests it sent."""
    session = aioboto3.Session(**CREDENTIALS)
    async with session.resource("dynamodb", endpoint_url=server.endpoint_url) as resource:
        table = await resource.Table(TABLE)
        sent = requests_counter(table.meta.client, "BatchWriteItem")
        async with table.batch_writer() as writer:
            for item in items:
                await writer.put_item(Item={**item, "score": Decimal(repr(item["score"]))})
        return sent()


# -- the run --------------------------------------------------------------------------------


async def _timed(run: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    started = time.perf_counter()
    requests = await run()
    return time.perf_counter() - started, requests


async def _one_round(server: LocalDynamoDB, db: Session, count: int, round_: int,
                     rows: dict[str, Row]) -> None:
    async def dynamap_many(concurrency: int, group: str) -> int:
        async with local_session(server) as session:
            await session.put_many(instances(group, count), concurrency=concurrency)
            return session.stats.requests.get("BatchWriteItem", 0)

    async def boto_loop(write: Callable[[Any, list[dict[str, Any]]], Awaitable[None]],
                        group: str) -> int:
        async with aioboto3_client(server) as client:
            sent = requests_counter(client, "BatchWriteItem")
            await write(client, plain_items(group, count))
            return sent()

    runs: dict[str, Callable[[str], Awaitable[int]]] = {
        "dynamap put_many": lambda group: dynamap_many(8, group),
        "dynamap put_many, concurrency=1": lambda group: dynamap_many(1, group),
        "aioboto3 loop": lambda group: boto_loop(aioboto3_loop, group),
        "aioboto3 gather (8)": lambda group: boto_loop(aioboto3_gather, group),
        "aioboto3 batch_writer": lambda group: aioboto3_batch_writer(
            server, plain_items(group, count)),
    }
    for number, (client, run) in enumerate(runs.items()):
        group = f"bw{round_}-{number}"
        wall, requests = await _timed(partial(run, group))
        stored = await db.query(BenchItem, group=group).count()
        if stored != count:
            raise AssertionError(f"{client} stored {stored} of {count} items")
        rows.setdefault(client, Row(client)).add(wall, requests, count)


async def main(count: int, repetitions: int) -> str:
    """Run the benchmark and return the markdown report."""
    with LocalDynamoDB("dynamodb-local") as server:
        async with local_session(server) as db:
            await db.create_tables(BenchItem)
            await _one_round(server, db, min(count, 2_000), -1, {})  # warm the server up
            rows: dict[str, Row] = {}
            for round_ in range(repetitions):
                await _one_round(server, db, count, round_, rows)
    return markdown(f"Batch write: {count:,} items, median of {repetitions} "
                    "(DynamoDB Local)", list(rows.values()), "items")


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_write",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=3)
    arguments = parser.parse_args(argv)
    print(asyncio.run(main(arguments.items, arguments.repetitions)))


if __name__ == "__main__":
    cli()
