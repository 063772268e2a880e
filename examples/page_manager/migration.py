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
saved to a file) and runs `dynamap.migrate` over it, pages first, then the nodes
nested in them:

1. every page and node is checked before anything of its kind is written: types as
   the interfaces declare them (no coercion of strings and booleans), a node's
   `pageId` equal to its page's id, no item over DynamoDB's size limit. A refused page
   takes its nodes with it (their page was not migrated); a refused node leaves its
   page alone. A repeated id is a duplicate, naming the record it collides with. A
   field the interfaces do not have is reported by name and count;
2. a record without `createdAt` gets one, increasing in the order of the export
   (so that "newest first" and "creation order" mean what they meant in the
   application), from the run's time. Those times are made up by the run, so a rerun
   keeps what the first run stored: nothing is re-stamped;
3. pages and nodes are written as they are, in batches; an item already stored as the
   run would write it is left alone;
4. the export is read again and every page and node is compared, field by field, with
   the table read plainly.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from pydantic.alias_generators import to_camel

from dynamap import Session
from dynamap.migrate import (
    Children,
    Context,
    Entity,
    JsonDocument,
    MigrationReport,
    Reject,
    SourceError,
    describe_validation,
    migrate,
)
from examples.page_manager.models import Node, Page

__all__ = ["MigrationError", "export_entities", "load_local_storage", "migrate_local_storage"]

Id = Annotated[StrictStr, Field(min_length=1)]


class MigrationError(SourceError):
    """The export as a whole cannot be read (not JSON, or not an array of pages)."""


class _Exported(BaseModel):
    """The localStorage shape: camelCase names, no coercion of strings and booleans
    (fields it does not know are reported by the migration as not mapped)."""

    model_config = ConfigDict(alias_generator=to_camel)


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


def _strict(exported: type[BaseModel], document: dict[str, Any]) -> None:
    try:
        exported.model_validate(document)
    except ValidationError as error:
        raise Reject(describe_validation(error)) from None


def _created(document: dict[str, Any], context: Context, offset: int) -> None:
    if "createdAt" not in document:
        document["createdAt"] = context.now + timedelta(microseconds=offset)
        context.stamp("createdAt")
        context.note("createdAt: not in the export, the run's time in export order")


def _page(document: dict[str, Any], context: Context) -> dict[str, Any]:
    _strict(ExportedPage, {**document, "nodes": []})
    _created(document, context, context.meta["position"] * _PER_PAGE)
    return document


def _node(document: dict[str, Any], context: Context) -> dict[str, Any]:
    _strict(ExportedNode, document)
    page_id = context.meta["parent"].get("id")
    if document.get("pageId") != page_id:
        raise Reject(f"pageId {document.get('pageId')!r} is not its page's id {page_id!r}")
    page, position = context.meta["position"]
    _created(document, context, page * _PER_PAGE + position + 1)
    return document


_PER_PAGE = 100_000
_NODE_FIELDS = ("id", "pageId", "title", "description", "prompt", "generatedImages",
                "predictionId", "predictionStatus", "createdAt")


def export_entities(source: Path) -> list[Entity]:
    """The export's pages and nodes as migration entities.

    Raises:
        MigrationError: the file cannot be read as an array of pages.
    """
    load_local_storage(source)
    pages = JsonDocument(source, label="pages")
    return [
        Entity("pages", pages, Page,
               fields={name: name for name in ("id", "title", "isPublished", "createdAt")},
               ignore=("nodes",), transform=_page),
        Entity("nodes", Children(pages, "nodes"), Node,
               fields={name: name for name in _NODE_FIELDS}, references={"pageId": "pages"},
               transform=_node),
    ]


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
        concurrency: requests in flight at once.

    Returns:
        The report: per entity, what was read, written, unchanged, rejected, duplicate,
        and the check against the export.

    Raises:
        MigrationError: the file cannot be read as an array of pages.
        BatchIncomplete: some items could not be written within the retry budget.
    """
    report = await migrate(db, export_entities(source), concurrency=concurrency)
    if rejects_path is not None:
        report.write_rejects(rejects_path)
    return report
