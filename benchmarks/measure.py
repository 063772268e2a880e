"""Timing: wall time beside the process's CPU time, repetitions and medians.

CPU time is `time.process_time()`: every thread of this process, so the worker
threads of the sync clients and the Rust runtime of pydynox are counted too. Servers
(DynamoDB Local, the canned server) run in other processes and are never counted.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["Results", "Sample", "measure", "measure_sync"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run: seconds of wall and CPU time for `count` operations or items."""

    wall: float
    cpu: float
    count: int

    @property
    def per_second(self) -> float:
        """Operations (or items) per second of wall time."""
        return self.count / self.wall if self.wall else 0.0

    @property
    def wall_us(self) -> float:
        """Microseconds of wall time per operation."""
        return self.wall / self.count * 1e6 if self.count else 0.0

    @property
    def cpu_us(self) -> float:
        """Microseconds of CPU time per operation."""
        return self.cpu / self.count * 1e6 if self.count else 0.0


async def measure(run: Callable[[], Awaitable[int]]) -> Sample:
    """Time one awaited run; `run` returns how many operations or items it did."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    count = await run()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, count)


def measure_sync(run: Callable[[], int]) -> Sample:
    """Time one synchronous run (CPU-only workloads)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, count)


@dataclass
class Results:
    """Every value measured, by (workload, metric, client), notes on what failed or
    what a figure means for one client, and facts about the run (references)."""

    values: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)

    def add(self, workload: str, metric: str, client: str, value: float) -> None:
        """Record one repetition's value."""
        self.values.setdefault((workload, metric, client), []).append(value)

    def note(self, workload: str, client: str, text: str) -> None:
        """Record why a client has no figure for a workload (or what it measured)."""
        self.notes[(workload, client)] = text

    def median(self, workload: str, metric: str, client: str) -> float | None:
        """The median of the repetitions, or None when nothing was measured."""
        found = self.values.get((workload, metric, client))
        return statistics.median(found) if found else None
