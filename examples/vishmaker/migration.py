"""Move VishMaker's PostgreSQL data into its six DynamoDB tables.

The input is a PostgreSQL CSV export, one file per table, as
`\\copy projects TO 'projects.csv' WITH (FORMAT csv, HEADER)` writes it:

| file                          | columns                                                          |
|-------------------------------|------------------------------------------------------------------|
| `projects.csv`                | id, name, initial_prompt, user_id, created_at, updated_at        |
| `user_flows.csv`              | id, project_id, name, description, steps (jsonb), created_at     |
| `high_level_requirements.csv` | id, user_flow_id, name, description, order, created_at           |
| `low_level_requirements.csv`  | id, high_level_requirement_id, name, description,                |
|                               | tech_stack_details, created_at                                   |
| `test_cases.csv`              | id, low_level_requirement_id, name, description,                 |
|                               | expected_result, created_at                                      |
| `waitlist.csv`                | id, email, status, created_at                                    |

PostgreSQL keys rows with serial integers and links them with foreign keys; the
DynamoDB tables key them with UUIDs (`id`, `uiid`) and link them with `project_id`
and `parent_uiid`. Each legacy id becomes a UUID derived from it (`legacy_uuid`), so
a re-run writes the same items again instead of duplicating them, and a child's
foreign key becomes its parent's UUID without a lookup table.

The import is `dynamap.migrate`, one `Entity` per file, parents before children:

- columns are found by their header names, in any order; a column the mapping does
  not carry (an extra one the export has) is reported by name and count;
- an id may be a serial integer or a UUID (`uuid` primary keys): an integer becomes
  `legacy_uuid(table, id)`, a UUID is kept as it is, and a foreign key is converted
  the same way, so a child finds its parent without a lookup table;
- NULL (an unquoted empty cell) is not a value: the field keeps its default (an empty
  description stays ""), and a NULL `updated_at` takes the row's `created_at`, never
  the time of the import; both are counted in the report;
- a row that cannot be stored, or a child whose parent was not migrated, is rejected
  with its file, line and reason; a repeated id or email is a duplicate naming the
  line it collides with (`duplicates="first"` keeps the first);
- afterwards every file is read again and each migrated row is compared, column by
  column, with the tables read plainly; a rerun writes nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dynamap import Model, Session
from dynamap.migrate import (
    Context,
    Csv,
    Duplicates,
    Entity,
    Field,
    MigrationReport,
    Reject,
    SourceError,
    migrate,
)
from dynamap.migrate.csvparse import parse_csv

from .models import (
    HighLevelRequirement,
    LowLevelRequirement,
    Project,
    TestCase,
    UserFlow,
    WaitlistEntry,
)

__all__ = ["EXPORT_TABLES", "ExportError", "export_entities", "import_export", "legacy_uuid"]

#: The namespace of the UUIDs derived from legacy ids.
LEGACY_NAMESPACE = uuid.UUID("6f0c51c2-5b7e-4d0a-9a57-3f1c2e9b8d41")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: The exported tables, parents first: (file name, model, parent table, its column).
EXPORT_TABLES: tuple[tuple[str, type[Model], str | None, str | None], ...] = (
    ("projects", Project, None, None),
    ("user_flows", UserFlow, "projects", "project_id"),
    ("high_level_requirements", HighLevelRequirement, "user_flows", "user_flow_id"),
    ("low_level_requirements", LowLevelRequirement, "high_level_requirements",
     "high_level_requirement_id"),
    ("test_cases", TestCase, "low_level_requirements", "low_level_requirement_id"),
    ("waitlist", WaitlistEntry, None, None),
)


class ExportError(SourceError):
    """The export as a whole is unusable: a file is missing or lacks a column."""


def legacy_uuid(table: str, legacy_id: int) -> str:
    """The UUID a legacy integer row id becomes, the same on every run."""
    return str(uuid.uuid5(LEGACY_NAMESPACE, f"{table}:{legacy_id}"))


# -- converting one cell ----------------------------------------------------------------


def _new_id(table: str, column: str) -> Any:
    def convert(text: str) -> str:
        value = text.strip()
        if re.fullmatch(r"[0-9]+", value):
            return legacy_uuid(table, int(value))
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise Reject(f"{column} {text!r} is neither an integer nor a UUID") from None
    return convert


def _text(column: str) -> Field:
    def convert(text: str) -> str:
        if not text.strip():
            raise Reject(f"{column} is empty")
        return text
    return Field(column, convert=convert, missing="reject")


def _timestamp(column: str) -> Field:
    def convert(text: str) -> datetime:
        """A `timestamp` / `timestamptz` as PostgreSQL writes it; naive values are UTC."""
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise Reject(f"{column} {text!r} is not a timestamp") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return Field(column, convert=convert)


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Reject(f"order {text!r} is not an integer") from None


def _json_list(text: str) -> list[Any]:
    try:
        value = json.loads(text) if text.strip() else []
    except json.JSONDecodeError:
        raise Reject("steps is not valid JSON") from None
    if not isinstance(value, list):
        raise Reject("steps is not a JSON array")
    return value


def _email(text: str) -> str:
    if not _EMAIL.match(text):
        raise Reject(f"email {text!r} is not an email address")
    return text


def _updated_from_created(document: dict[str, Any], context: Context) -> dict[str, Any]:
    if "updated_at" not in document and "created_at" in document:
        document["updated_at"] = document["created_at"]
        context.note("updated_at: NULL, the row's created_at")
    return document


# -- the entities ---------------------------------------------------------------------


def _fields(table: str, parent: str | None, column: str | None) -> dict[str, str | Field]:
    """attribute <- column, for one exported table."""
    common: dict[str, str | Field] = {"name": _text("name"), "description": "description",
                                      "created_at": _timestamp("created_at")}
    key = "id" if table == "projects" else "uiid"
    fields: dict[str, str | Field] = {key: Field("id", convert=_new_id(table, "id"),
                                                 missing="reject")}
    if parent is not None and column is not None:
        target = "project_id" if table == "user_flows" else "parent_uiid"
        fields[target] = Field(column, convert=_new_id(parent, column), missing="reject")
    extra: dict[str, dict[str, str | Field]] = {
        "projects": {"name": _text("name"), "initial_prompt": "initial_prompt",
                     "user_id": _text("user_id"), "created_at": _timestamp("created_at"),
                     "updated_at": _timestamp("updated_at")},
        "user_flows": {**common, "steps": Field("steps", convert=_json_list)},
        "high_level_requirements": {**common, "order": Field("order", convert=_integer)},
        "low_level_requirements": {**common, "tech_stack_details": "tech_stack_details"},
        "test_cases": {**common, "expected_result": "expected_result"},
    }
    return {**fields, **extra[table]}


def export_entities(directory: Path, duplicates: Duplicates = "first") -> list[Entity]:
    """The six files as migration entities, parents first.

    Raises:
        ExportError: a file is missing, or lacks a column its rows need.
    """
    entities = []
    for table, model, parent, column in EXPORT_TABLES:
        path = directory / f"{table}.csv"
        if table == "waitlist":
            fields: dict[str, str | Field] = {
                "email": Field("email", convert=_email, missing="reject"),
                "status": "status", "created_at": _timestamp("created_at")}
            entity = Entity(table, Csv(path), model, fields=fields, ignore=("id",),
                            identity="email", duplicates=duplicates)
        else:
            fields = _fields(table, parent, column)
            references = {} if parent is None else {
                "project_id" if table == "user_flows" else "parent_uiid": parent}
            entity = Entity(table, Csv(path), model, fields=fields, references=references,
                            identity="id" if table == "projects" else "uiid",
                            duplicates=duplicates,
                            transform=_updated_from_created if table == "projects" else None)
        _check_header(path, entity)
        entities.append(entity)
    return entities


def _check_header(path: Path, entity: Entity) -> None:
    if not path.is_file():
        raise ExportError(f"{path} is missing from the export")
    header = next(parse_csv(path.read_text(encoding="utf-8-sig")), None)
    columns = set(header.cells) if header is not None else set()
    for spec in entity.specs().values():
        if spec.missing == "reject" and spec.source not in columns:
            raise ExportError(f"{path.name} has no column {spec.source!r} "
                              f"(its header: {sorted(str(c) for c in columns)})")


async def import_export(
    db: Session, directory: Path, *, duplicates: Duplicates = "first"
) -> MigrationReport:
    """Read, write and verify a whole export (see the module docstring).

    Returns:
        The report, per table: rows read, written, unchanged, rejected, duplicates,
        skipped, unmapped columns, and the check against the files.

    Raises:
        ExportError: the export as a whole is unusable; nothing was written.
        BatchIncomplete: some items could not be written after retries.
    """
    return await migrate(db, export_entities(directory, duplicates))
