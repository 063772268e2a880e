"""The markdown report: a summary of headline figures with ratios and targets, then
every figure of every workload."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from benchmarks.measure import Results
from benchmarks.workloads import WORKLOADS, Metric, Workload

__all__ = ["PEERS", "TARGETS", "Target", "render"]

SUBJECT = "dynamap"
TIMES = "\u00d7"  # the multiplication sign of ratios
NONE = "\u2013"  # an en dash: nothing measured
PEERS = ("aioboto3", "boto3", "aiodynamo", "pydynox", "pynamodb")


@dataclass(frozen=True, slots=True)
class Target:
    """A goal for dynamap's figure: at most/least `bound` times a reference (a peer,
    or the page's orjson.loads floor), or an absolute `bound` when `reference` is None."""

    workload: str
    metric: str
    op: Literal["<=", ">=", "<"]
    bound: float
    reference: str | None = None

    def describe(self) -> str:
        unit = f"{TIMES} {self.reference}" if self.reference else ""
        return f"{self.op} {self.bound:g}{unit}"


TARGETS = (
    Target("page", "wall_ms", "<=", 1.0, "aiodynamo"),
    Target("page", "wall_ms", "<=", 3.0, "orjson.loads"),
    Target("query", "items_s", ">=", 2.4, "aioboto3"),
    Target("get16", "cpu_us", "<=", 1.2, "aiodynamo"),
    Target("batch", "items_s", ">=", 0.9, "pydynox"),
    Target("batch", "cpu_us", "<=", 60.0),
    Target("memory", "pages", "<", 2.0),
)


def _fmt(value: float | None, digits: int) -> str:
    if value is None:
        return NONE
    return f"{value:,.{digits}f}"


def _best_peer(results: Results, workload: str, metric: Metric) -> tuple[str, float] | None:
    found = [(peer, results.median(workload, metric.key, peer)) for peer in PEERS]
    measured = [(peer, value) for peer, value in found if value is not None]
    if not measured:
        return None
    pick = min if metric.better == "lower" else max
    return pick(measured, key=lambda pair: pair[1])


def _ratio(mine: float | None, theirs: float | None) -> str:
    if mine is None or not theirs:
        return NONE
    return f"{mine / theirs:.2f}{TIMES}"


def _target_cell(results: Results, target: Target, floors: dict[str, float]) -> str:
    mine = results.median(target.workload, target.metric, SUBJECT)
    if mine is None:
        return f"{target.describe()}: not measured"
    if target.reference is None:
        value = mine
    else:
        theirs = floors.get(target.reference,
                            results.median(target.workload, target.metric, target.reference))
        if not theirs:
            return f"{target.describe()}: {target.reference} not measured"
        value = mine / theirs
    met = {"<=": value <= target.bound, ">=": value >= target.bound,
           "<": value < target.bound}[target.op]
    shown = f"{value:.2f}{TIMES}" if target.reference else f"{value:,.1f}"
    return f"{'met' if met else '**missed**'}: {shown} (target {target.describe()})"


def _summary(results: Results, clients: Sequence[str], floors: dict[str, float],
             workloads: Sequence[Workload]) -> list[str]:
    head = ["workload", "figure", *clients, "÷ aioboto3", "÷ best peer", "target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for workload in workloads:
        for metric in workload.metrics:
            lines.append(_summary_row(results, workload, metric, clients, floors))
    return lines


def _summary_row(results: Results, workload: Workload, metric: Metric,
                 clients: Sequence[str], floors: dict[str, float]) -> str:
    mine = results.median(workload.name, metric.key, SUBJECT)
    cells = [_fmt(results.median(workload.name, metric.key, c), metric.digits) for c in clients]
    best = _best_peer(results, workload.name, metric)
    best_cell = f"{_ratio(mine, best[1])} ({best[0]})" if best else NONE
    targets = [_target_cell(results, t, floors) for t in TARGETS
               if t.workload == workload.name and t.metric == metric.key]
    arrow = "↓" if metric.better == "lower" else "↑"
    return "| " + " | ".join([
        workload.name, f"{metric.label} {arrow}", *cells,
        _ratio(mine, results.median(workload.name, metric.key, "aioboto3")), best_cell,
        "; ".join(targets),
    ]) + " |"


def render(results: Results, clients: Sequence[str], floors: dict[str, float],
           repetitions: int, seconds: float, workloads: Sequence[Workload] = WORKLOADS,
           supplements: Sequence[str] = ()) -> str:
    """The whole report as markdown."""
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}, {_cpus()} CPUs; {repetitions} interleaved "
        f"repetitions, medians; the whole run took {seconds / 60:.1f} minutes.",
        "",
        "↓ lower is better, ↑ higher is better. Ratios are dynamap (validated models) ÷ "
        "the other client, in the figure's own unit.",
        "",
        *_summary(results, clients, floors, workloads),
        "",
    ]
    if floors:
        lines.append("Floors (CPU ms to parse the page alone): "
                     + ", ".join(f"`{name}` {value:.1f}" for name, value in floors.items()) + ".")
    lines += [f"{name.capitalize()}: {text}." for name, text in results.facts.items()]
    notes = sorted(results.notes.items())
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {client}, {workload}: {text}" for (workload, client), text in notes]
    lines += ["", "Workloads:", ""]
    lines += [f"- **{w.name}**: {w.title}." for w in workloads]
    for table in supplements:
        lines += ["", table.rstrip()]
    return "\n".join(lines) + "\n"


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))
