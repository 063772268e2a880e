"""The workloads: what each one runs, and per what it is counted.

Every workload runs inside a worker process of one client (`benchmarks.worker`), takes
that process's `Context` and the client's adapter, runs once, and returns a `Sample`
(wall and CPU seconds, the collector's share, the count it is divided by).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from benchmarks.clients import Bench
from benchmarks.dataset import PAGE_ITEMS, partition, plain_items
from benchmarks.measure import Sample, measure, measure_sync

__all__ = ["QUERY_GROUP", "QUERY_ITEMS", "WORKLOADS", "Context", "Workload"]

#: Sizes, as the issue states them.
QUERY_ITEMS = 10_000
GETS = 1_000
PUTS = 1_000
CONCURRENCY = 16
BATCH_ITEMS = 10_000
#: Canned pages fetched (and pages decoded) per repetition.
PAGES_PER_RUN = 10

QUERY_GROUP = "query-10k"


@dataclass
class Context:
    """What one worker process shares between its workloads."""

    canned_url: str
    local_url: str
    page: bytes
    repetition: int = 0
    get_keys: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(7)
        numbers = rng.sample(range(QUERY_ITEMS), GETS)
        self.get_keys = [(partition(QUERY_GROUP), f"ITEM#{n:07d}") for n in numbers]


Runner = Callable[[Context, Bench], Awaitable[Sample]]


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload: its name, its title, what its figure is per (and its unit), its
    runner, which server it needs, and the dynamap variants that also run it."""

    name: str
    title: str
    per: Literal["item", "call", "page"]
    run: Runner
    server: Literal["canned", "local", "none"]
    variants: tuple[str, ...] = ()


def _base(name: str) -> str:
    return name.split("-")[0]


async def _page(ctx: Context, bench: Bench) -> Sample:
    async def run() -> int:
        for _ in range(PAGES_PER_RUN):
            assert await bench.query(partition("canned")) == PAGE_ITEMS
        return PAGES_PER_RUN * PAGE_ITEMS

    return await measure(run)


async def _decode(ctx: Context, bench: Bench) -> Sample:
    def run() -> int:
        for _ in range(PAGES_PER_RUN):
            assert len(bench.decode(ctx.page)) == PAGE_ITEMS
        return PAGES_PER_RUN

    return measure_sync(run)


async def _encode(ctx: Context, bench: Bench) -> Sample:
    prepared = bench.prepare(plain_items("encode", PAGE_ITEMS))

    def run() -> int:
        for _ in range(PAGES_PER_RUN):
            assert bench.encode(prepared) == PAGE_ITEMS
        return PAGES_PER_RUN

    return measure_sync(run)


async def _query(ctx: Context, bench: Bench) -> Sample:
    sample = await measure(lambda: bench.query(partition(QUERY_GROUP)))
    assert sample.count == QUERY_ITEMS, sample.count
    return sample


async def _get16(ctx: Context, bench: Bench) -> Sample:
    return await measure(lambda: bench.get_concurrent(ctx.get_keys, CONCURRENCY))


async def _put16(ctx: Context, bench: Bench) -> Sample:
    group = f"put-{_base(bench.name)}-{ctx.repetition}"
    prepared = bench.prepare(plain_items(group, PUTS))
    return await measure(lambda: bench.put_concurrent(prepared, CONCURRENCY))


def _batch(tasks: int) -> Runner:
    async def run(ctx: Context, bench: Bench) -> Sample:
        group = f"batch{tasks}-{_base(bench.name)}-{ctx.repetition}"
        prepared = bench.prepare(plain_items(group, BATCH_ITEMS))
        sample = await measure(lambda: bench.batch_write(prepared, tasks))
        assert sample.count == BATCH_ITEMS, sample.count
        return sample

    return run


WORKLOADS: tuple[Workload, ...] = (
    Workload("batch1", "BatchWriteItem 10,000 items, 1 request in flight (DynamoDB Local)",
             "item", _batch(1), "local"),
    Workload("batch8", "BatchWriteItem 10,000 items, 8 requests in flight (DynamoDB Local)",
             "item", _batch(8), "local", ("dynamap-frozen",)),
    Workload("query", "Query 10,000 items, every page, kept (DynamoDB Local)", "item",
             _query, "local", ("dynamap-raw", "dynamap-frozen")),
    Workload("page", "One full Query page (2,562 items, 1 MB of items) from the canned "
             "server, ten in a row", "item", _page, "canned", ("dynamap-raw", "dynamap-frozen")),
    Workload("get16", "1,000 GetItem, 16 concurrent (DynamoDB Local)", "call", _get16,
             "local", ("dynamap-coalesced",)),
    Workload("put16", "1,000 conditional PutItem (attribute_not_exists), 16 concurrent "
             "(DynamoDB Local)", "call", _put16, "local"),
    Workload("decode", "Decode one 2,562-item page's bytes to the client's objects, CPU "
             "only", "page", _decode, "none", ("dynamap-raw", "floor", "dynamap-frozen")),
    Workload("encode", "Encode 2,562 items to BatchWriteItem request bodies, CPU only",
             "page", _encode, "none"),
)
