"""Move the page manager's data from the browser's localStorage into DynamoDB.

The application kept everything under one localStorage key, `pages`: a JSON array of
pages, each with its nodes nested (camelCase, as the TypeScript interfaces have it):

```json
[{"id": "p1", "title": "Home", "isPublished": true,
  "nodes": [{"id": "n1", "pageId": "p1", "title": "Hero", "description": "...",
             "prompt": "...", "generatedImages": ["https://..."],
             "predictionId": "...", "predictionStatus": "succeeded"}]}]
```

`migrate_local_storage` takes that export (`JSON.stringify(localStorage.getItem('pages'))`
saved to a file), and:

1. validates every page and node before anything is written: types as the interfaces
   declare them, no unknown fields, a node's `pageId` equal to its page's id, no
   duplicate ids, no item over DynamoDB's size limit. A refused page takes its nodes
   with it; a refused node leaves its page alone. Refused records go to the rejects
   report with the reason, never to the table;
2. gives each record a `createdAt` (kept when the export has one), increasing in the
   order of the export, so that "newest first" and "creation order" mean what they
   meant in the application;
3. writes pages and nodes with `Session.put_many` (batches of 25, retried, nothing
   dropped);
4. reads every page back with its nodes (one query per page) and compares the counts
   and every field with what was meant to be written.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from pydantic.alias_generators import to_camel

from dynamap import InvalidValue, Session, utcnow
from examples._migration import MigrationReport, describe_validation_error
from examples.page_manager.models import Node, Page
from examples.page_manager.service import get_page_with_nodes

__all__ = ["MigrationError", "load_local_storage", "migrate_local_storage", "plan_import"]

Id = Annotated[StrictStr, Field(min_length=1)]
_IGNORED_IN_COMPARISON = frozenset({"updated_at"})


class MigrationError(Exception):
    """The export as a whole cannot be read (not JSON, or not an array of pages)."""


class _Exported(BaseModel):
    """The localStorage shape: camelCase names, nothing unknown, no coercion of strings
    and booleans."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")


class ExportedNode(_Exported):
    """A node as the application stored it."""

    id: Id
    title: StrictStr
    description: StrictStr
    page_id: Id
    prompt: StrictStr | None = None
    generated_images: list[StrictStr] | None = None
    prediction_id: StrictStr | None = None
    prediction_status: StrictStr | None = None
    created_at: datetime | None = None


class ExportedPage(_Exported):
    """A page as the application stored it; its nodes are checked one by one."""

    id: Id
    title: StrictStr
    is_published: StrictBool
    nodes: list[Any]
    created_at: datetime | None = None


@dataclass(slots=True)
class ImportPlan:
    """The validated records, ready to write: each page with its nodes."""

    pages: list[tuple[Page, list[Node]]] = field(default_factory=list)

    def items(self) -> list[Page | Node]:
        """Every item to write, each page before its nodes."""
        items: list[Page | Node] = []
        for page, nodes in self.pages:
            items.append(page)
            items.extend(nodes)
        return items


def load_local_storage(path: Path) -> list[Any]:
    """Read an export of `localStorage.getItem('pages')`.

    Raises:
        MigrationError: the file is not JSON, or not a JSON array.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MigrationError(f"cannot read {path}: {error}") from error
    if not isinstance(data, list):
        raise MigrationError(f"{path}: expected a JSON array of pages, got {type(data).__name__}")
    return data


class _Planner:
    """Validates an export record by record into an `ImportPlan` and the report."""

    def __init__(self, report: MigrationReport, started: datetime) -> None:
        self.report = report
        self.clock = started
        self.plan = ImportPlan()
        self.page_ids: set[str] = set()

    def next_time(self, given: datetime | None) -> datetime:
        self.clock += timedelta(microseconds=1)
        if given is None:
            return self.clock
        return given.replace(tzinfo=UTC) if given.tzinfo is None else given.astimezone(UTC)

    def add_page(self, position: int, record: Any) -> None:
        where = f"pages[{position}]"
        self.report.read += 1
        try:
            exported = ExportedPage.model_validate(record)
        except ValidationError as error:
            self.report.reject(where, describe_validation_error(error), record)
            self.reject_nested(where, record, "its page was rejected")
            return
        if exported.id in self.page_ids:
            self.report.reject(where, f"duplicate page id {exported.id!r}", record)
            self.reject_nested(where, record, "its page was rejected")
            return
        page = Page(id=exported.id, title=exported.title, is_published=exported.is_published,
                    created_at=self.next_time(exported.created_at))
        if not self.fits(where, page, record):
            self.reject_nested(where, record, "its page was rejected")
            return
        self.page_ids.add(page.id)
        nodes = self.nodes_of(where, page, exported.nodes)
        self.plan.pages.append((page, nodes))

    def nodes_of(self, where: str, page: Page, records: list[Any]) -> list[Node]:
        nodes: dict[str, Node] = {}
        for position, record in enumerate(records):
            node = self.node(f"{where}.nodes[{position}]", page, record, nodes)
            if node is not None:
                nodes[node.id] = node
        return list(nodes.values())

    def node(self, where: str, page: Page, record: Any, seen: dict[str, Node]) -> Node | None:
        self.report.read += 1
        try:
            exported = ExportedNode.model_validate(record)
        except ValidationError as error:
            self.report.reject(where, describe_validation_error(error), record)
            return None
        problem = None
        if exported.page_id != page.id:
            problem = f"pageId {exported.page_id!r} is not its page's id {page.id!r}"
        elif exported.id in seen:
            problem = f"duplicate node id {exported.id!r} in page {page.id!r}"
        if problem is not None:
            self.report.reject(where, problem, record)
            return None
        values = exported.model_dump(exclude={"created_at"}, exclude_none=True)
        node = Node(**values, created_at=self.next_time(exported.created_at))
        return node if self.fits(where, node, record) else None

    def fits(self, where: str, item: Page | Node, record: Any) -> bool:
        try:
            item.to_item()
        except InvalidValue as error:
            self.report.reject(where, str(error), record)
            return False
        return True

    def reject_nested(self, where: str, record: Any, reason: str) -> None:
        nodes = record.get("nodes") if isinstance(record, dict) else None
        for position, node in enumerate(nodes if isinstance(nodes, list) else []):
            self.report.read += 1
            self.report.reject(f"{where}.nodes[{position}]", reason, node)


def plan_import(
    records: list[Any], report: MigrationReport, *, started: datetime | None = None
) -> ImportPlan:
    """Validate an export into the items to write; refused records go to `report`.

    Args:
        records: the parsed export (a list of pages).
        report: where rejects (and the count of records read) are recorded.
        started: the base of generated `createdAt` values (default: now).
    """
    planner = _Planner(report, started or utcnow())
    for position, record in enumerate(records):
        planner.add_page(position, record)
    return planner.plan


async def migrate_local_storage(
    db: Session,
    source: Path,
    *,
    rejects_path: Path | None = None,
    concurrency: int = 16,
) -> MigrationReport:
    """Import a localStorage export of pages and nodes, then verify it.

    Args:
        db: an open session; the `PageManager` table must exist.
        source: the export, a JSON file.
        rejects_path: where to write the rejects as JSON Lines (skipped when None).
        concurrency: how many pages are read back at once while verifying.

    Returns:
        The report: counts read, imported per entity, rejects, and the verification.

    Raises:
        MigrationError: the file cannot be read as an array of pages.
        BatchIncomplete: some items could not be written within the retry budget.
    """
    report = MigrationReport()
    plan = plan_import(load_local_storage(source), report)
    await db.put_many(plan.items())
    report.count("page", len(plan.pages))
    report.count("node", sum(len(nodes) for _, nodes in plan.pages))
    await verify(db, plan, report, concurrency=concurrency)
    if rejects_path is not None:
        report.write_rejects(rejects_path)
    return report


async def verify(
    db: Session, plan: ImportPlan, report: MigrationReport, *, concurrency: int = 16
) -> None:
    """Read every planned page back with its nodes and compare, field by field."""
    limit = asyncio.Semaphore(concurrency)

    async def check(page: Page, nodes: list[Node]) -> None:
        async with limit:
            found = await get_page_with_nodes(db, page.id)
        if found is None:
            report.mismatches.append(f"page {page.id}: missing")
            return
        report.verified += _compare(f"page {page.id}", [page], [found.page], report)
        report.verified += _compare(f"page {page.id} nodes", nodes, found.nodes, report)

    await asyncio.gather(*(check(page, nodes) for page, nodes in plan.pages))


def _compare(
    label: str, expected: list[Page] | list[Node], found: Any, report: MigrationReport
) -> int:
    """Compare records by id and content; returns how many matched."""
    stored = {item.id: _content(item) for item in found}
    if len(stored) != len(expected):
        report.mismatches.append(f"{label}: expected {len(expected)}, found {len(stored)}")
    matched = 0
    for item in expected:
        content = stored.get(item.id)
        if content == _content(item):
            matched += 1
        else:
            state = "missing" if content is None else "differs"
            report.mismatches.append(f"{label}: {item.id} {state}")
    return matched


def _content(item: BaseModel) -> dict[str, Any]:
    return item.model_dump(exclude=set(_IGNORED_IN_COMPARISON))
