"""`python -m benchmarks.idempotent_updates`: what it costs to never apply an update
twice, on a DynamoDB Local started here (no faults).

One counter item of a given size is incremented `--count` times, one call after the
other, with `update_key(..., add={"hits": 1})` (not safe to repeat, so sent under
`RetryPolicy.non_idempotent`) and, for comparison, with `update_key(..., set=...)`
(safe to repeat, always a plain UpdateItem):

- "transaction": a one-action TransactWriteItems with a ClientRequestToken, then a
  consistent GetItem to return the item;
- "no-retry": a plain UpdateItem, not retried after a lost answer.

Reported per call: the capacity DynamoDB says it consumed (ReturnConsumedCapacity,
per operation), the requests sent, and the median and 95th percentile latency, after
a warm-up round.
DynamoDB Local reports capacity as DynamoDB prices it; its latencies are a local
engine's and only their ratio means something. Options: `--count N` (300),
`--size BYTES` of padding in the item (100; try 3000 to cross the 1 KB write unit).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time
from collections.abc import Awaitable, Callable

from benchmarks.batch_write import local_session
from dynamap import Key, Model, RetryPolicy, Session, Table
from dynamap.local import LocalDynamoDB

table = Table("IdempotencyBench")


class Counter(Model, table=table, entity="counter"):
    pk = Key("COUNTER#{name}")
    name: str
    hits: int = 0
    label: str = ""
    padding: str = ""


async def measure(
    server: LocalDynamoDB, mode: str, count: int, size: int,
    call: Callable[[Session, int], Awaitable[object]],
) -> str:
    retry = dataclasses.replace(RetryPolicy(), non_idempotent=mode)  # type: ignore[arg-type]
    async with local_session(server, retry=retry, consumed_capacity=True,
                             table_prefix=f"bench-{mode}-") as db:
        await db.create_tables(Counter)
        await db.put(Counter(name="c", padding="x" * size))
        db.stats.consumed_capacity.clear()
        db.stats.requests.clear()
        latencies = []
        for n in range(count):
            started = time.perf_counter()
            await call(db, n)
            latencies.append(time.perf_counter() - started)
        capacity = {op: round(units / count, 2) for op, units in
                    sorted(db.stats.consumed_capacity.items())}
        requests = {op: round(sent / count, 2) for op, sent in sorted(db.stats.requests.items())}
        stored = await db.get_or_raise(Counter, name="c", consistent=True)
        await db.drop_tables(Counter)
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return (f"| {mode} | {capacity} | {requests} | {statistics.median(latencies) * 1000:.2f} "
            f"| {p95 * 1000:.2f} | hits={stored.hits} |")


async def add(db: Session, n: int) -> object:
    return await db.update_key(Counter, key={"name": "c"}, add={"hits": 1})


async def set_label(db: Session, n: int) -> object:
    return await db.update_key(Counter, key={"name": "c"}, set={"label": f"l{n}"})


async def main(count: int, size: int) -> None:
    with LocalDynamoDB("dynamodb-local") as server:
        rows = ["| mode | capacity units per call | requests per call | median ms | "
                "p95 ms | stored |", "|---|---|---|---|---|---|"]
        for mode in ("transaction", "no-retry"):  # a warm-up round: the engine is a JVM
            await measure(server, mode, count, size, add)
        for mode in ("transaction", "no-retry"):
            rows.append(await measure(server, mode, count, size, add))
        rows.append((await measure(server, "transaction", count, size, set_label)).replace(
            "| transaction |", "| set= (retry-safe, any mode) |", 1))
    print(f"### update_key(add=) of a counter item with {size} bytes of padding, "
          f"{count} calls (DynamoDB Local)\n")
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--size", type=int, default=100)
    options = parser.parse_args()
    asyncio.run(main(options.count, options.size))
