"""The markdown report: the headline table (client CPU per item or call, wall time
beside it), the targets, the collector's share and the tracked objects, memory."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from benchmarks import imports
from benchmarks.dataset import PAGE_ITEMS
from benchmarks.workloads import WORKLOADS, Workload

__all__ = ["PEERS", "SUBJECT", "Results", "render"]

SUBJECT = "dynamap"
PEERS = ("aiodynamo", "pydynox", "aioboto3")
TIMES = "\u00d7"
NONE = "\u2013"
#: Client CPU per batch-written item that dynamap must stay under, in µs.
BATCH_BUDGET_US = 40.0
IMPORT_BUDGET_MS = 150.0


@dataclass
class Results:
    """Every value measured: by (workload, figure, client), one per repetition; and per
    client, the process-level figures (import CPU, objects), and notes."""

    values: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)
    process: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    memory: dict[str, dict[str, float]] = field(default_factory=dict)
    page_mb: float | None = None
    imports: dict[str, dict[str, float]] = field(default_factory=dict)

    def add_worker(self, answer: dict[str, object]) -> None:
        """Record one worker process's answer."""
        client = str(answer["client"])
        for name, figures in answer["workloads"].items():  # type: ignore[attr-defined]
            for key, value in figures.items():
                self.values.setdefault((name, key, client), []).append(value)
        for key in ("import_cpu_ms", "objects_at_start", "objects_per_item"):
            if key in answer:
                self.process.setdefault((key, client), []).append(float(answer[key]))  # type: ignore[arg-type]
        for name, text in answer.get("notes", {}).items():  # type: ignore[attr-defined]
            self.notes[(name, client)] = text

    def median(self, workload: str, key: str, client: str) -> float | None:
        found = self.values.get((workload, key, client))
        return statistics.median(found) if found else None

    def process_median(self, key: str, client: str) -> float | None:
        found = self.process.get((key, client))
        return statistics.median(found) if found else None


def _fmt(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else f"{value:,.{digits}f}"


def _per(workload: Workload) -> tuple[str, float]:
    """The unit the headline shows, and the factor from the worker's per-count µs."""
    if workload.per == "page":
        return "ms per page", 1 / 1000
    return f"µs per {workload.per}", 1.0


def _headline(results: Results, clients: Sequence[str]) -> list[str]:
    head = ["workload", "unit", *clients]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for workload in WORKLOADS:
        unit, factor = _per(workload)
        cells = []
        for client in clients:
            cpu = results.median(workload.name, "cpu_us", client)
            wall = results.median(workload.name, "wall_us", client)
            if cpu is None:
                cells.append(NONE)
            elif workload.server == "none":
                cells.append(_fmt(cpu * factor))
            else:
                cells.append(f"{_fmt(cpu * factor)} ({_fmt(wall * factor if wall else None)})")
        lines.append("| " + " | ".join([workload.name, unit, *cells]) + " |")
    return lines


def _gc_table(results: Results, clients: Sequence[str]) -> list[str]:
    head = ["figure", *clients]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, key, digits in (("CPU ms to import the adapter and library", "import_cpu_ms", 0),
                               ("tracked objects at start", "objects_at_start", 0),
                               ("tracked objects per decoded item", "objects_per_item", 1)):
        cells = [_fmt(results.process_median(key, c), digits) for c in clients]
        lines.append("| " + " | ".join([label, *cells]) + " |")
    for workload in WORKLOADS:
        cells = []
        for client in clients:
            share = results.median(workload.name, "gc_share", client)
            full = results.median(workload.name, "full_per_1000", client)
            if share is not None and full is not None and workload.per == "page":
                full /= 1000  # per page, not per 1,000 pages
            cells.append(NONE if share is None or full is None else
                         f"{share * 100:.0f}% ({full:.1f})")
        lines.append("| " + " | ".join([f"GC share, {workload.name}", *cells]) + " |")
    return lines


@dataclass(frozen=True, slots=True)
class _Target:
    text: str
    value: Callable[[Results], float | None]
    bound: float
    unit: str


def _ratio(workload: str, other: str) -> Callable[[Results], float | None]:
    def value(results: Results) -> float | None:
        mine = results.median(workload, "cpu_us", SUBJECT)
        theirs = results.median(workload, "cpu_us", other)
        return mine / theirs if mine and theirs else None
    return value


def _floor_ratio(workload: str) -> Callable[[Results], float | None]:
    def value(results: Results) -> float | None:
        mine = results.median(workload, "cpu_us", SUBJECT)
        floor = results.median("decode", "cpu_us", "floor")
        if mine is None or floor is None:
            return None
        return mine / (floor / PAGE_ITEMS) if workload != "decode" else mine / floor
    return value


def _own(workload: str) -> Callable[[Results], float | None]:
    def value(results: Results) -> float | None:
        return results.median(workload, "cpu_us", SUBJECT)
    return value


def _targets() -> list[_Target]:
    targets = [_Target(f"{w.name}: dynamap ≤ 1.0{TIMES} aiodynamo's CPU",
                       _ratio(w.name, "aiodynamo"), 1.0, TIMES) for w in WORKLOADS]
    for name in ("query", "page", "decode"):
        targets.append(_Target(f"{name}: dynamap ≤ 1.0{TIMES} pydynox's CPU",
                               _ratio(name, "pydynox"), 1.0, TIMES))
        targets.append(_Target(f"{name}: dynamap ≤ 2{TIMES} orjson.loads + model_validate",
                               _floor_ratio(name), 2.0, TIMES))
    for name in ("batch1", "batch8"):
        targets.append(_Target(f"{name}: dynamap ≤ {BATCH_BUDGET_US:g} µs CPU per item",
                               _own(name),
                               BATCH_BUDGET_US, " µs"))
    targets.append(_Target(f"import dynamap ≤ {IMPORT_BUDGET_MS:g} ms CPU, fresh interpreter",
                           lambda r: r.imports.get(SUBJECT, {}).get("cpu_ms"),
                           IMPORT_BUDGET_MS, " ms"))
    targets.append(_Target("import dynamap: botocore modules loaded = 0",
                           lambda r: r.imports.get(SUBJECT, {}).get("botocore_modules"),
                           0, " modules"))
    targets.append(_Target("streaming 100k items: peak RSS growth < 2 pages' worth",
                           lambda r: r.memory.get(SUBJECT, {}).get("pages"), 2.0, " pages"))
    return targets


def _target_lines(results: Results) -> list[str]:
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    for target in _targets():
        value = target.value(results)
        if value is None:
            lines.append(f"| {target.text} | {NONE} | not measured |")
            continue
        digits = ".2f" if target.unit == TIMES else ",.1f"
        shown = f"{value:{digits}}{target.unit}"
        verdict = "met" if value <= target.bound else "**missed**"
        lines.append(f"| {target.text} | {shown} | {verdict} |")
    return lines


def _memory_lines(results: Results) -> list[str]:
    if not results.memory:
        return []
    lines = ["| client | MB growth | in parsed pages | items/s |", "|---|---|---|---|"]
    for client, figures in results.memory.items():
        lines.append(f"| {client} | {figures['stream_mb']:.1f} | {figures['pages']:.2f} | "
                     f"{figures['items_s']:,.0f} |")
    return lines


def render(results: Results, clients: Sequence[str], repetitions: int, seconds: float,
           supplements: Sequence[str] = ()) -> str:
    """The whole report as markdown."""
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, Python "
        f"{platform.python_version()}, {len(os.sched_getaffinity(0))} CPUs; every client in "
        f"a fresh process per repetition, {repetitions} interleaved repetitions, medians; "
        f"the whole run took {seconds / 60:.1f} minutes.",
        "",
        "Client CPU (`process_time`) per item, call or page, wall time in brackets; "
        "dynamap returns validated models, the peers plain dicts (aioboto3: DynamoDB JSON); "
        "`dynamap-raw` is dynamap's plain dicts, `dynamap-frozen` is dynamap with the "
        "opt-in `freeze_startup()`, `floor` is `orjson.loads` of the page plus "
        "`model_validate` on ready dicts.",
        "",
        *_headline(results, clients),
        "",
        "Targets:",
        "",
        *_target_lines(results),
        "",
        "The collector and the heap (GC share: the collector's CPU over the client's CPU, "
        "with full collections per 1,000 items or calls, per page for decode and encode, "
        "in brackets):",
        "",
        *_gc_table(results, clients),
    ]
    if results.imports:
        lines += ["", "Imports, each in a fresh interpreter (median of the repetitions):", "",
                  imports.markdown(results.imports)]
    memory = _memory_lines(results)
    if memory:
        lines += ["", "Memory: a 100,000-item query streamed from the canned server (40 "
                  "pages), nothing kept, in a child process; peak RSS growth"
                  + (f", a parsed page's worth being {results.page_mb:.1f} MB"
                     if results.page_mb else "") + ":", "", *memory]
    if results.notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {client}, {name}: {text}"
                  for (name, client), text in sorted(results.notes.items())]
    lines += ["", "Workloads:", ""]
    lines += [f"- **{w.name}**: {w.title}." for w in WORKLOADS]
    for table in supplements:
        lines += ["", table.rstrip()]
    return "\n".join(lines) + "\n"
