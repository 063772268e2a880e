"""Peak memory of reading a query, measured in a fresh child process per client.

`python -m benchmarks.memory CLIENT ENDPOINT PARTITION MODE` prints one JSON line:

- MODE "stream": iterate over the canned server's 100,000-item query, dropping each
  item once seen; flat memory means the growth stays near one or two pages' worth
  however many items.
- MODE "page": read one page (the canned page) and keep every item.
- MODE "parsed" (CLIENT is ignored): the page's bytes parsed by `orjson.loads` and
  kept: the reference "page's worth", the same for every client.

The pages come from the canned server (`benchmarks.canned`), which answers as fast as
a client can read, so a client that prefetches has the next page arriving while it
still holds the current one: the worst case for memory. Resident memory is sampled
from /proc/self/statm every millisecond by a thread (and at every probe during
iteration); growth is the peak minus the resident memory once the client is open.
Memory the process had already freed is reused before RSS grows, so figures of a few
MB vary by a few MB from run to run.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, replace

import orjson

from benchmarks.clients import load

__all__ = ["MemoryResult", "measure_memory"]

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class MemoryResult:
    """One child's answer: peak growth in MB, items read, seconds taken, and how the
    child ended if not normally (after printing its figures)."""

    growth_mb: float
    items: int
    seconds: float
    abnormal_exit: str | None = None


def _resident() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE_BYTES


class _Sampler:
    """Tracks the peak resident size, sampled by a thread and on demand."""

    def __init__(self) -> None:
        self.peak = _resident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def probe(self) -> None:
        self.peak = max(self.peak, _resident())

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self.probe()

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.probe()


def _parsed_page(endpoint: str) -> MemoryResult:
    """The reference "page's worth": one page's answer parsed by orjson and kept (its
    bytes are read before the baseline, so they are not counted)."""
    with urllib.request.urlopen(urllib.request.Request(endpoint, b"{}")) as answer:
        body = answer.read()
    baseline = _resident()
    started = time.perf_counter()
    with _Sampler():
        parsed = orjson.loads(body)
        peak = _resident()
    return MemoryResult((peak - baseline) / 2**20, len(parsed["Items"]),
                        time.perf_counter() - started)


async def _child(client: str, endpoint: str, partition: str, mode: str) -> MemoryResult:
    if mode == "parsed":
        return _parsed_page(endpoint)
    bench = load(client)
    await bench.open(endpoint)
    try:
        baseline = _resident()
        started = time.perf_counter()
        with _Sampler() as sampler:
            if mode == "page":
                kept = await bench.query(partition)
            else:
                kept = await bench.stream(partition, 100, sampler.probe)
        seconds = time.perf_counter() - started
    finally:
        await bench.close()
    return MemoryResult((sampler.peak - baseline) / 2**20, kept, seconds)


def measure_memory(client: str, endpoint: str, partition: str, mode: str) -> MemoryResult:
    """Run one measurement in a child process and return its result.

    Raises:
        RuntimeError: the child failed (its error output is in the message).
    """
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", client, endpoint, partition, mode],
        capture_output=True, text=True, timeout=600, check=False,
    )
    lines = done.stdout.strip().splitlines()
    last_error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output"
    if not lines:  # it failed before it could report anything
        raise RuntimeError(f"exit status {done.returncode}: {last_error}")
    result = MemoryResult(**json.loads(lines[-1]))
    if done.returncode == 0:
        return result
    # e.g. a Rust runtime that panics while the interpreter shuts down: the figures
    # were measured and printed before, so they stand, with a note
    return replace(result, abnormal_exit=f"exit status {done.returncode}: {last_error}")


if __name__ == "__main__":
    result = asyncio.run(_child(*sys.argv[1:5]))
    print(json.dumps({"growth_mb": result.growth_mb, "items": result.items,
                      "seconds": result.seconds}))
