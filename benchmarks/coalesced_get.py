"""`python -m benchmarks.coalesced_get`: a web handler that reads 50 items at once with
`asyncio.gather`, dynamap (which coalesces the gets of one event-loop tick into
BatchGetItem) against aioboto3, on a DynamoDB Local started here.

Each client serves the same handlers, one after another; each handler gets 50 random
items (of 2,000 written beforehand) concurrently and returns them as Python objects:
dynamap as validated models, aioboto3 through boto3's TypeDeserializer. Every item
asked is checked to be found. Reported: gets per second of wall time (median of the
repetitions, after a warm-up round) and the requests sent. Options: `--handlers N`
(200), `--repetitions R` (3).

Clients:
- dynamap `get` in a gather: coalesced into one BatchGetItem per handler.
- dynamap `get`, `coalesce_gets=False`: one GetItem per get.
- aioboto3 `get_item` in a gather: one GetItem per get.
- aioboto3 `batch_get_item`: the hand-written batch, unprocessed keys asked again.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from benchmarks.batch_write import (
    Row,
    aioboto3_client,
    local_session,
    markdown,
    requests_counter,
)
from benchmarks.dataset import TABLE, item_key
from benchmarks.models import BenchItem, instances
from dynamap import Session
from dynamap.local import LocalDynamoDB

GROUP = "coalesce"
ITEMS = 2_000
PER_HANDLER = 50
_DESERIALIZER = TypeDeserializer()

Handler = Callable[[list[int]], Awaitable[int]]


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def dynamap_handler(db: Session) -> Handler:
    async def handle(numbers: list[int]) -> int:
        found = await asyncio.gather(*(db.get(BenchItem, group=GROUP, id=f"{n:07d}")
                                       for n in numbers))
        return sum(item is not None for item in found)

    return handle


def aioboto3_get_handler(client: Any) -> Handler:
    async def get(number: int) -> dict[str, Any] | None:
        answer = await client.get_item(TableName=TABLE, Key=item_key(GROUP, number))
        return _plain(answer["Item"]) if "Item" in answer else None

    async def handle(numbers: list[int]) -> int:
        found = await asyncio.gather(*(get(n) for n in numbers))
        return sum(item is not None for item in found)

    return handle


def aioboto3_batch_handler(client: Any) -> Handler:
    async def handle(numbers: list[int]) -> int:
        request = {TABLE: {"Keys": [item_key(GROUP, n) for n in dict.fromkeys(numbers)]}}
        found: list[dict[str, Any]] = []
        pause = 0.05
        while request:
            answer = await client.batch_get_item(RequestItems=request)
            found += [_plain(item) for item in answer["Responses"].get(TABLE, [])]
            request = answer.get("UnprocessedKeys") or {}
            if request:
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)
        return len(found)

    return handle


async def _serve(handle: Handler, batches: list[list[int]]) -> tuple[float, int]:
    started = time.perf_counter()
    found = 0
    for numbers in batches:
        found += await handle(numbers)
    wall = time.perf_counter() - started
    expected = sum(len(set(numbers)) for numbers in batches)
    if found < expected:
        raise AssertionError(f"found {found} of {expected} items")
    return wall, found


async def _one_round(server: LocalDynamoDB, batches: list[list[int]],
                     rows: dict[str, Row]) -> None:
    gets = sum(map(len, batches))
    for client, coalesce in (("dynamap gather (coalesced)", True),
                             ("dynamap gather, coalesce_gets=False", False)):
        async with local_session(server, coalesce_gets=coalesce) as db:
            wall, _ = await _serve(dynamap_handler(db), batches)
            rows.setdefault(client, Row(client)).add(wall, sum(db.stats.requests.values()), gets)
    for client, make in (("aioboto3 get_item gather", aioboto3_get_handler),
                         ("aioboto3 batch_get_item", aioboto3_batch_handler)):
        async with aioboto3_client(server) as boto:
            counters = [requests_counter(boto, op) for op in ("GetItem", "BatchGetItem")]
            wall, _ = await _serve(make(boto), batches)
            rows.setdefault(client, Row(client)).add(wall, sum(c() for c in counters), gets)


async def main(handlers: int, repetitions: int) -> str:
    """Run the benchmark and return the markdown report."""
    rng = random.Random(2024)
    batches = [[rng.randrange(ITEMS) for _ in range(PER_HANDLER)] for _ in range(handlers)]
    with LocalDynamoDB("dynamodb-local") as server:
        async with local_session(server) as db:
            await db.create_tables(BenchItem)
            await db.put_many(instances(GROUP, ITEMS))
        await _one_round(server, batches[:20], {})  # warm the server up
        rows: dict[str, Row] = {}
        for _ in range(repetitions):
            await _one_round(server, batches, rows)
    return markdown(f"Coalesced gets: {handlers} handlers of {PER_HANDLER} concurrent gets, "
                    f"median of {repetitions} (DynamoDB Local)", list(rows.values()), "gets")


def cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coalesced_get",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--handlers", type=int, default=200)
    parser.add_argument("--repetitions", type=int, default=3)
    arguments = parser.parse_args(argv)
    print(asyncio.run(main(arguments.handlers, arguments.repetitions)))


if __name__ == "__main__":
    cli()
