"""The workloads: what each one runs, and the figures it records.

Every workload function takes the run's `Context` and one client name, runs once, and
returns its figures by metric. The harness calls each (workload, client) pair once per
repetition, clients in a rotating order, and reports medians.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from benchmarks.canned import STREAM_GROUP, STREAM_ITEMS
from benchmarks.clients import Bench
from benchmarks.dataset import PAGE_ITEMS, partition, plain_items
from benchmarks.measure import Results, Sample, measure, measure_sync
from benchmarks.memory import measure_memory

__all__ = ["WORKLOADS", "Context", "Metric", "Workload"]

#: Sizes, as the issue states them.
QUERY_ITEMS = 10_000
GETS = 1_000
GET_CONCURRENCY = 16
PUTS = 1_000
BATCH_ITEMS = 10_000
BATCH_CONCURRENCY = 8
#: Canned pages fetched (and pages decoded) per repetition.
PAGES_PER_RUN = 10

QUERY_GROUP = "query-10k"


@dataclass(frozen=True, slots=True)
class Metric:
    """One figure of a workload: its key, how it is shown, and which way is better."""

    key: str
    label: str
    better: Literal["lower", "higher"]
    digits: int = 0


@dataclass
class Context:
    """What a run shares: servers, the clients open on each, data, and the repetition."""

    canned_url: str
    local_url: str
    page: bytes
    canned: dict[str, Bench] = field(default_factory=dict)
    local: dict[str, Bench] = field(default_factory=dict)
    repetition: int = 0
    get_keys: list[tuple[str, str]] = field(default_factory=list)
    #: MB that one page's answer takes once parsed (by orjson): "a page's worth".
    parsed_page_mb: float | None = None
    results: Results = field(default_factory=Results)

    def __post_init__(self) -> None:
        rng = random.Random(7)
        numbers = rng.sample(range(QUERY_ITEMS), GETS)
        self.get_keys = [(partition(QUERY_GROUP), f"ITEM#{n:07d}") for n in numbers]


Figures = dict[str, float]
Runner = Callable[[Context, str], Awaitable[Figures]]


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload: its title, its figures (the first is the headline), its runner, the
    dynamap variants it also runs for, and whether it is repeated (memory runs once:
    it is not a timing, and each run starts two child processes per client)."""

    name: str
    title: str
    metrics: tuple[Metric, ...]
    run: Runner
    variants: tuple[str, ...] = ()
    repeat: bool = True


def _base(name: str) -> str:
    return name.split("-")[0] if name.startswith("dynamap") else name


# -- CPU only ------------------------------------------------------------------------


async def _page(ctx: Context, client: str) -> Figures:
    bench = ctx.canned[client]

    async def run() -> int:
        for _ in range(PAGES_PER_RUN):
            assert await bench.query(partition("canned")) == PAGE_ITEMS
        return PAGES_PER_RUN

    sample = await measure(run)
    return {"wall_ms": sample.wall_us / 1000, "cpu_ms": sample.cpu_us / 1000}


async def _decode(ctx: Context, client: str) -> Figures:
    bench = ctx.local[client]

    def run() -> int:
        for _ in range(PAGES_PER_RUN):
            assert bench.decode(ctx.page) == PAGE_ITEMS
        return PAGES_PER_RUN

    sample = measure_sync(run)
    return {"cpu_ms": sample.cpu_us / 1000}


async def _encode(ctx: Context, client: str) -> Figures:
    bench = ctx.local[client]
    prepared = bench.prepare(plain_items("encode", PAGE_ITEMS))
    sample = measure_sync(lambda: bench.encode(prepared))
    return {"cpu_ms": sample.cpu * 1000}


FLOORS: dict[str, Callable[[bytes], Any]] = {"orjson.loads": orjson.loads}


def floor_ms(page: bytes, loads: Callable[[bytes], Any]) -> float:
    """CPU milliseconds to parse the page with `loads` alone (the floor)."""
    def run() -> int:
        for _ in range(PAGES_PER_RUN):
            loads(page)
        return PAGES_PER_RUN

    return measure_sync(run).cpu_us / 1000


# -- DynamoDB Local ------------------------------------------------------------------


async def _query(ctx: Context, client: str) -> Figures:
    bench = ctx.local[client]

    async def run() -> int:
        return await bench.query(partition(QUERY_GROUP))

    sample = await measure(run)
    assert sample.count == QUERY_ITEMS, sample.count
    return {"items_s": sample.per_second, "cpu_us": sample.cpu_us}


def _calls(sample: Sample) -> Figures:
    return {"calls_s": sample.per_second, "wall_us": sample.wall_us, "cpu_us": sample.cpu_us}


async def _get_each(ctx: Context, client: str) -> Figures:
    bench = ctx.local[client]
    return _calls(await measure(lambda: bench.get_each(ctx.get_keys)))


async def _get_concurrent(ctx: Context, client: str) -> Figures:
    bench = ctx.local[client]
    return _calls(await measure(lambda: bench.get_concurrent(ctx.get_keys, GET_CONCURRENCY)))


async def _put_new(ctx: Context, client: str) -> Figures:
    bench = ctx.local[client]
    group = f"put-{_base(client)}-{ctx.repetition}"
    prepared = bench.prepare(plain_items(group, PUTS))
    return _calls(await measure(lambda: bench.put_new(prepared)))


async def _batch(ctx: Context, client: str) -> Figures:
    bench = ctx.local[client]
    group = f"batch-{_base(client)}-{ctx.repetition}"
    prepared = bench.prepare(plain_items(group, BATCH_ITEMS))
    sample = await measure(lambda: bench.batch_write(prepared, BATCH_CONCURRENCY))
    assert sample.count == BATCH_ITEMS, sample.count
    return {"items_s": sample.per_second, "cpu_us": sample.cpu_us}


async def _memory(ctx: Context, client: str) -> Figures:
    if ctx.parsed_page_mb is None:
        reference = measure_memory("-", ctx.canned_url, partition("canned"), "parsed")
        ctx.parsed_page_mb = reference.growth_mb
        ctx.results.facts["page's worth"] = (
            f"one page's answer parsed by `orjson.loads` and kept grows RSS by "
            f"{reference.growth_mb:.1f} MB (its bytes: {len(ctx.page) / 2**20:.1f} MB)")
    stream = measure_memory(client, ctx.canned_url, partition(STREAM_GROUP), "stream")
    assert stream.items == STREAM_ITEMS, stream.items
    if stream.abnormal_exit:
        ctx.results.note("memory", client, "the child process ended abnormally after "
                         f"reporting its figures ({stream.abnormal_exit})")
    return {
        "stream_mb": stream.growth_mb,
        "pages": stream.growth_mb / ctx.parsed_page_mb,
        "items_s": stream.items / stream.seconds,
    }


_MS_PAGE = Metric("wall_ms", "ms per page", "lower", 1)
_CPU_MS_PAGE = Metric("cpu_ms", "CPU ms per page", "lower", 1)
_CALLS = (Metric("wall_us", "µs per call", "lower"), Metric("cpu_us", "CPU µs per call", "lower"),
          Metric("calls_s", "calls/s", "higher"))

WORKLOADS: tuple[Workload, ...] = (
    Workload("page", "Query page (2,562 items, 1.6 MB) from a canned local server",
             (_MS_PAGE, _CPU_MS_PAGE), _page, ("dynamap-raw",)),
    Workload("decode", "Decode that page's bytes to Python objects, CPU only",
             (Metric("cpu_ms", "CPU ms per page", "lower", 1),), _decode, ("dynamap-raw",)),
    Workload("encode", "Encode 2,562 items to PutItem request bodies, CPU only",
             (Metric("cpu_ms", "CPU ms", "lower", 1),), _encode),
    Workload("query", "Query 10,000 items (one partition, every page) from DynamoDB Local",
             (Metric("items_s", "items/s", "higher"), Metric("cpu_us", "CPU µs per item",
                                                            "lower", 1)), _query, ("dynamap-raw",)),
    Workload("get", "1,000 GetItem, one after the other", _CALLS, _get_each),
    Workload("get16", "1,000 GetItem, 16 concurrent",
             (Metric("cpu_us", "CPU µs per call", "lower"), Metric("calls_s", "calls/s", "higher"),
              Metric("wall_us", "µs per call", "lower")), _get_concurrent,
             ("dynamap-coalesced",)),
    Workload("put", "1,000 conditional PutItem (attribute_not_exists), one after the other",
             _CALLS, _put_new),
    Workload("batch", "BatchWriteItem 10,000 items, 8 requests in flight",
             (Metric("items_s", "items/s", "higher"), Metric("cpu_us", "CPU µs per item",
                                                            "lower", 1)), _batch),
    Workload("memory", "Stream a 100,000-item query (40 pages) from the canned server: "
             "peak RSS growth, in a child process",
             (Metric("stream_mb", "MB growth, streaming 100k", "lower", 1),
              Metric("pages", "growth in parsed pages", "lower", 2),
              Metric("items_s", "items/s", "higher")), _memory, repeat=False),
)
