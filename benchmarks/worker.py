"""One client's workloads in a fresh process: `python -m benchmarks.worker CLIENT
CANNED_URL LOCAL_URL REPETITION WORKLOAD,...` prints one JSON object.

The process imports only the benchmark's own plumbing (the data generator, orjson)
and the client's library, as an application using that library would; dynamap is
not imported in a peer's process. Reported, beside each workload's figures:

- `import_cpu_ms`: CPU milliseconds to import the client's adapter and library;
- `objects_at_start`: tracked objects (`len(gc.get_objects())`) once the client is
  open and warmed up, before the first workload;
- `objects_per_item`: tracked objects each decoded item holds (the decode workload's
  result kept, after a collection, divided by its items).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any

from benchmarks.clients import Bench, UnsupportedError, load
from benchmarks.dataset import canned_page, partition
from benchmarks.workloads import WORKLOADS, Context, Workload

__all__ = ["run_worker"]


def _objects_per_item(bench: Bench, page: bytes) -> float:
    gc.collect()
    before = len(gc.get_objects())
    kept = bench.decode(page)
    gc.collect()
    return (len(gc.get_objects()) - before) / len(kept)


async def _warm_up(ctx: Context, canned: Bench | None, local: Bench | None,
                   workloads: list[Workload]) -> None:
    """One request of each kind that will be timed, so that no first call is."""
    names = {w.name for w in workloads}
    if canned is not None:
        await canned.query(partition("canned"))
    if local is not None and names & {"get16", "query"}:
        await local.get_concurrent(ctx.get_keys[:20], 4)
    if "decode" in names:
        assert local is not None or canned is not None
        (local or canned).decode(ctx.page)  # type: ignore[union-attr]


async def run_worker(client: str, canned_url: str, local_url: str, repetition: int,
                     names: list[str]) -> dict[str, Any]:
    """Run the named workloads for `client`; returns every figure."""
    started = time.process_time()
    canned, local = load(client), load(client)
    import_cpu = time.process_time() - started
    workloads = [w for w in WORKLOADS if w.name in names]
    ctx = Context(canned_url, local_url, canned_page(), repetition)
    out: dict[str, Any] = {"client": client, "import_cpu_ms": import_cpu * 1000,
                           "workloads": {}, "notes": {}}
    opened: list[Bench] = []
    try:
        if any(w.server == "canned" for w in workloads):
            await canned.open(canned_url)
            opened.append(canned)
        await local.open(local_url)
        opened.append(local)
        await _warm_up(ctx, canned if canned in opened else None, local, workloads)
        out["objects_at_start"] = len(gc.get_objects())
        for workload in workloads:
            bench = canned if workload.server == "canned" else local
            try:
                sample = await workload.run(ctx, bench)
            except UnsupportedError as error:
                out["notes"][workload.name] = str(error)
                continue
            out["workloads"][workload.name] = sample.figures()
            if workload.name == "decode":
                out["objects_per_item"] = _objects_per_item(bench, ctx.page)
    finally:
        for bench in opened:
            await bench.close()
    return out


if __name__ == "__main__":
    client, canned_url, local_url, repetition, names = sys.argv[1:6]
    result = asyncio.run(run_worker(client, canned_url, local_url, int(repetition),
                                    names.split(",")))
    print(json.dumps(result))
