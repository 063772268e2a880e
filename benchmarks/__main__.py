"""`python -m benchmarks`: run every workload for dynamap and its peers and write the
markdown report (stdout and `benchmarks/results.md`).

DynamoDB Local and the canned server are started here; the data is written once per
run. Then the two benchmarks of their own, `benchmarks.batch_write` (dynamap's batch
writer against hand-written aioboto3 loops) and `benchmarks.coalesced_get` (a handler's
concurrent gets, coalesced), run and their tables are appended. Options:
`--repetitions N` (3), `--only page,query,...,batch_write,coalesced_get`,
`--clients dynamap,...`, `--output PATH`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from benchmarks import batch_write, coalesced_get
from benchmarks.canned import canned_server
from benchmarks.clients import CLIENTS, Bench, UnsupportedError, load
from benchmarks.dataset import BenchItem, canned_page, instances
from benchmarks.measure import Results
from benchmarks.report import PEERS, SUBJECT, render
from benchmarks.workloads import (
    FLOORS,
    QUERY_GROUP,
    QUERY_ITEMS,
    WORKLOADS,
    Context,
    Workload,
    floor_ms,
)
from dynamap import Session
from dynamap.local import LocalDynamoDB, free_port

RESULTS = Path(__file__).with_name("results.md")


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--clients", default="", help="comma-separated client names")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _write_data(endpoint: str) -> None:
    """Create the table and write the partition the read workloads read."""
    async with Session(endpoint_url=endpoint, region="us-east-1", aws_access_key_id="bench",
                       aws_secret_access_key="bench") as db:
        await db.create_tables(BenchItem)
        await db.put_many(instances(QUERY_GROUP, QUERY_ITEMS))


async def _open(ctx: Context, names: Sequence[str], results: Results) -> list[str]:
    """Open every client on both servers; a client that fails is noted and left out."""
    opened = []
    for name in names:
        try:
            canned, local = load(name), load(name)
            await canned.open(ctx.canned_url)
            await local.open(ctx.local_url)
        except Exception as error:  # a peer that does not install or run here
            results.note("all", name, f"left out: {type(error).__name__}: {error}")
            _log(f"{name}: left out ({error!r})")
            continue
        ctx.canned[name], ctx.local[name] = canned, local
        opened.append(name)
    return opened


async def _warm_up(ctx: Context, names: Sequence[str]) -> None:
    """One request of each kind per client, so that no first call is timed."""
    for name in names:
        await ctx.canned[name].query("GROUP#canned")
        await ctx.local[name].get_each(ctx.get_keys[:20])


def _runs_for(workload: Workload, clients: Sequence[str]) -> list[str]:
    return [c for c in clients if "-" not in c or c in workload.variants]


async def _run_one(ctx: Context, workload: Workload, client: str, results: Results) -> None:
    started = time.perf_counter()
    try:
        figures = await workload.run(ctx, client)
    except UnsupportedError as error:
        results.note(workload.name, client, str(error))
        return
    except Exception as error:
        results.note(workload.name, client, f"failed: {type(error).__name__}: {error}")
        _log(f"{workload.name} / {client}: failed\n{traceback.format_exc()}")
        return
    for metric, value in figures.items():
        results.add(workload.name, metric, client, value)
    _log(f"    {time.perf_counter() - started:.1f} s")


async def _repetitions(ctx: Context, workloads: Sequence[Workload], clients: Sequence[str],
                       repetitions: int, results: Results, floors: dict[str, list[float]]) -> None:
    for repetition in range(repetitions):
        ctx.repetition = repetition
        for name, loads in FLOORS.items():
            floors.setdefault(name, []).append(floor_ms(ctx.page, loads))
        for workload in (w for w in workloads if w.repeat):
            order = _runs_for(workload, clients)
            shift = repetition % len(order)
            for client in order[shift:] + order[:shift]:
                _log(f"[{repetition + 1}/{repetitions}] {workload.name}: {client}")
                await _run_one(ctx, workload, client, results)
    for workload in (w for w in workloads if not w.repeat):
        for client in _runs_for(workload, clients):
            _log(f"[once] {workload.name}: {client}")
            await _run_one(ctx, workload, client, results)


async def _close(benches: Sequence[Bench]) -> None:
    for bench in benches:
        try:
            await bench.close()
        except Exception as error:
            _log(f"{bench.name}: close failed ({error!r})")


#: Benchmarks of their own, run after the suite, whose tables are appended to the report.
SUPPLEMENTS: dict[str, Callable[[int], Awaitable[str]]] = {
    "batch_write": lambda repetitions: batch_write.main(10_000, repetitions),
    "coalesced_get": lambda repetitions: coalesced_get.main(200, repetitions),
}


async def _suite(args: argparse.Namespace, workloads: Sequence[Workload],
                 names: Sequence[str], results: Results) -> tuple[list[str], dict[str, float]]:
    """Run the workloads; returns the clients that ran and the floors' medians."""
    floors: dict[str, list[float]] = {}
    with LocalDynamoDB("dynamodb-local") as server, canned_server(free_port()) as canned_url:
        ctx = Context(canned_url, server.endpoint_url, canned_page(), results=results)
        _log(f"writing data to {server.endpoint_url}")
        await _write_data(server.endpoint_url)
        clients = await _open(ctx, names, results)
        try:
            await _warm_up(ctx, clients)
            await _repetitions(ctx, workloads, clients, args.repetitions, results, floors)
        finally:
            await _close([*ctx.canned.values(), *ctx.local.values()])
    return clients, {name: statistics.median(values) for name, values in floors.items()}


async def main(argv: Sequence[str]) -> str:
    """Run the benchmarks; returns the report."""
    args = _arguments(argv)
    only = set(filter(None, args.only.split(",")))
    workloads = [w for w in WORKLOADS if not only or w.name in only]
    wanted = [c for c in args.clients.split(",") if c] or [SUBJECT, *PEERS]
    variants = [v for w in workloads for v in w.variants if v.split("-")[0] in wanted]
    names = [c for c in CLIENTS if c in wanted or c in variants]
    started = time.perf_counter()
    results = Results()
    clients: list[str] = []
    floors: dict[str, float] = {}
    if workloads:
        clients, floors = await _suite(args, workloads, names, results)
    extra = []
    for name, run in SUPPLEMENTS.items():
        if not only or name in only:
            _log(f"[supplement] {name}")
            extra.append(await run(args.repetitions))
    report = render(results, [c for c in CLIENTS if c in clients], floors, args.repetitions,
                    time.perf_counter() - started, workloads, extra)
    args.output.write_text(report)
    return report


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the servers started are stopped on the way out


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    print(asyncio.run(main(sys.argv[1:])), end="")
