"""`python -m benchmarks`: run every workload for dynamap and its peers and write the
markdown report (stdout and `benchmarks/results.md`).

DynamoDB Local and the canned server are started here and the read data is written
once. Then, per repetition, every client runs all its workloads in a fresh process of
its own (`benchmarks.worker`), clients in a rotating order, so that each is measured
with its own imports loaded, and only those, as in an application. The memory
workload runs once per client at the end, in child processes of its own. Options:
`--repetitions N` (3), `--only batch1,query,...,memory,imports`, `--clients dynamap,...`,
`--supplements` (also run `benchmarks.batch_write` and `benchmarks.coalesced_get`),
`--output PATH`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import batch_write, coalesced_get, imports
from benchmarks.canned import STREAM_GROUP, STREAM_ITEMS, canned_server
from benchmarks.dataset import partition
from benchmarks.memory import measure_memory
from benchmarks.models import BenchItem, instances
from benchmarks.report import PEERS, SUBJECT, Results, render
from benchmarks.workloads import QUERY_GROUP, QUERY_ITEMS, WORKLOADS
from dynamap import Session
from dynamap.local import LocalDynamoDB, free_port

RESULTS = Path(__file__).with_name("results.md")
#: Every client of a default run: the subject, its variants, the floor, the peers.
DEFAULT_CLIENTS = (SUBJECT, "dynamap-raw", "dynamap-frozen", "floor", *PEERS)


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--clients", default="", help="comma-separated client names")
    parser.add_argument("--supplements", action="store_true")
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


def _workloads_of(client: str, only: set[str]) -> list[str]:
    """The workloads a client runs: the peers and dynamap all; a variant its own."""
    names = [w.name for w in WORKLOADS if not only or w.name in only]
    if client in (SUBJECT, *PEERS, "boto3", "pynamodb"):
        return names
    return [w.name for w in WORKLOADS if w.name in names and client in w.variants]


def _worker(client: str, canned: str, local: str, repetition: int,
            names: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", client, canned, local, str(repetition),
         ",".join(names)], capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"exit status {done.returncode}: {tail}")
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _repetitions(clients: Sequence[str], only: set[str], canned: str, local: str,
                 repetitions: int, results: Results) -> None:
    for repetition in range(repetitions):
        shift = repetition % len(clients)
        for client in [*clients[shift:], *clients[:shift]]:
            names = _workloads_of(client, only)
            if not names:
                continue
            started = time.perf_counter()
            try:
                results.add_worker(_worker(client, canned, local, repetition, names))
            except RuntimeError as error:
                results.notes[("all", client)] = f"failed: {error}"
                _log(f"{client}: failed: {error}")
                continue
            _log(f"[{repetition + 1}/{repetitions}] {client}: "
                 f"{time.perf_counter() - started:.1f} s")


def _memory(clients: Sequence[str], canned: str, results: Results) -> None:
    reference = measure_memory("-", canned, partition("canned"), "parsed")
    results.page_mb = reference.growth_mb
    for client in clients:
        if client not in (SUBJECT, *PEERS):
            continue
        stream = measure_memory(client, canned, partition(STREAM_GROUP), "stream")
        assert stream.items == STREAM_ITEMS, stream.items
        results.memory[client] = {"stream_mb": stream.growth_mb,
                                  "pages": stream.growth_mb / reference.growth_mb,
                                  "items_s": stream.items / stream.seconds}
        _log(f"[memory] {client}: {stream.growth_mb:.1f} MB")


async def main(argv: Sequence[str]) -> str:
    """Run the benchmarks; returns the report."""
    args = _arguments(argv)
    only = set(filter(None, args.only.split(",")))
    clients = [c for c in args.clients.split(",") if c] or list(DEFAULT_CLIENTS)
    started = time.perf_counter()
    results = Results()
    with LocalDynamoDB("dynamodb-local") as server, canned_server(free_port()) as canned:
        _log(f"writing data to {server.endpoint_url}")
        await _write_data(server.endpoint_url)
        if only - {"memory", "imports"} or not only:
            _repetitions(clients, only - {"memory", "imports"}, canned, server.endpoint_url,
                         args.repetitions, results)
        if not only or "memory" in only:
            _memory(clients, canned, results)
    if not only or "imports" in only:
        results.imports = imports.measure_imports(max(args.repetitions, 3))
    extra = []
    if args.supplements:
        extra.append(await batch_write.main(10_000, args.repetitions))
        extra.append(await coalesced_get.main(200, args.repetitions))
    shown = [c for c in clients if any(key[2] == c for key in results.values)]
    report = render(results, shown, args.repetitions, time.perf_counter() - started, extra)
    args.output.write_text(report)
    return report


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the servers started are stopped on the way out


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    print(asyncio.run(main(sys.argv[1:])), end="")
