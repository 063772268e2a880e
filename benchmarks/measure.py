"""Timing: wall time beside the process's CPU time, and the garbage collector's share.

CPU time is `time.process_time()`: every thread of this process, so the worker
threads of the sync clients and the Rust runtime of pydynox are counted too. Servers
(DynamoDB Local, the canned server) run in other processes and are never counted.

The collector's time is measured with `gc.callbacks` (the CPU time between each
collection's "start" and "stop"), and full (generation 2) collections are counted.
No timed run starts with a `gc.collect()`: the collector's state is whatever the
client's own imports and earlier work left, as in an application.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["GC", "Sample", "measure", "measure_sync"]


class _CollectorMeter:
    """Adds up the CPU time of every collection, and counts the full ones."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
            return
        self.cpu += time.process_time() - self._started
        if info["generation"] == 2:
            self.full += 1

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)


GC = _CollectorMeter()


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run: seconds of wall and CPU time (and of the collector's CPU time,
    with the full collections run) for `count` operations or items."""

    wall: float
    cpu: float
    count: int
    gc_cpu: float = 0.0
    full_collections: int = 0

    def figures(self) -> dict[str, float]:
        """Per operation: wall and CPU microseconds, the collector's share of the CPU,
        full collections per thousand."""
        per = self.count or 1
        return {"wall_us": self.wall / per * 1e6, "cpu_us": self.cpu / per * 1e6,
                "gc_share": self.gc_cpu / self.cpu if self.cpu else 0.0,
                "full_per_1000": self.full_collections / per * 1000}


def _start() -> tuple[float, float, float, int]:
    GC.install()
    return time.perf_counter(), time.process_time(), GC.cpu, GC.full


def _sample(start: tuple[float, float, float, int], count: int) -> Sample:
    wall, cpu, gc_cpu, full = start
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, count,
                  GC.cpu - gc_cpu, GC.full - full)


async def measure(run: Callable[[], Awaitable[int]]) -> Sample:
    """Time one awaited run; `run` returns how many operations or items it did."""
    start = _start()
    count = await run()
    return _sample(start, count)


def measure_sync(run: Callable[[], int]) -> Sample:
    """Time one synchronous run (CPU-only workloads)."""
    start = _start()
    count = run()
    return _sample(start, count)
