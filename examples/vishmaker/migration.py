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

The import runs in three steps, so nothing is written from a bad export:

1. `read_export` parses and validates every row, parents before children. A row
   that cannot be stored is rejected, and so is a
   child whose parent is missing or was itself rejected: DynamoDB has no foreign
   keys to catch an orphan later. A repeated id or email is rejected too, because
   DynamoDB would silently let the second row overwrite the first. Rejects go to the
   report (`examples._migration.MigrationReport`) with the file, line and fields.
2. `write_export` writes the accepted items with batch writes (25 per request,
   unprocessed items retried; whatever still fails is raised, never dropped).
3. `verify_export` reads every item back by its key (`get_many`) and compares it
   field by field.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dynamap import InvalidValue, Model, Session

from .._migration import MigrationReport, describe_validation_error
from .models import (
    HighLevelRequirement,
    LowLevelRequirement,
    Project,
    TestCase,
    UserFlow,
    WaitlistEntry,
)

__all__ = [
    "EXPORT_TABLES",
    "ExportError",
    "ExportPlan",
    "import_export",
    "legacy_uuid",
    "read_export",
    "verify_export",
    "write_export",
]

#: The namespace of the UUIDs derived from legacy ids.
LEGACY_NAMESPACE = uuid.UUID("6f0c51c2-5b7e-4d0a-9a57-3f1c2e9b8d41")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Row = dict[str, str]
#: Builds a model from a row, the row's new id and its parent's new id ("" if none).
Builder = Callable[[Row, str, str], Model]


class ExportError(ValueError):
    """The export as a whole is unusable: a file is missing or its header is wrong."""


class RowError(ValueError):
    """One row cannot be imported; the message is the reject reason."""


@dataclass(slots=True)
class ExportPlan:
    """What an export turns into: the items to write, per table, and the report so far
    (rows read, rejects)."""

    items: dict[str, list[Model]] = field(default_factory=dict)
    report: MigrationReport = field(default_factory=MigrationReport)

    def all_items(self) -> Iterator[Model]:
        """Every accepted item, parents before children."""
        for items in self.items.values():
            yield from items


def legacy_uuid(table: str, legacy_id: int) -> str:
    """The UUID a legacy row id becomes, the same on every run."""
    return str(uuid.uuid5(LEGACY_NAMESPACE, f"{table}:{legacy_id}"))


# -- parsing one value ------------------------------------------------------------------


def _text(row: Row, column: str) -> str:
    value = row[column]
    if not value.strip():
        raise RowError(f"{column} is empty")
    return value


def _integer(row: Row, column: str) -> int:
    try:
        return int(row[column])
    except ValueError:
        raise RowError(f"{column} {row[column]!r} is not an integer") from None


def _timestamp(row: Row, column: str) -> datetime:
    """A `timestamp` / `timestamptz` as PostgreSQL writes it; naive values are UTC."""
    try:
        parsed = datetime.fromisoformat(row[column])
    except ValueError:
        raise RowError(f"{column} {row[column]!r} is not a timestamp") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _json_list(row: Row, column: str) -> list[Any]:
    if not row[column]:
        return []
    try:
        value = json.loads(row[column])
    except json.JSONDecodeError:
        raise RowError(f"{column} is not valid JSON") from None
    if not isinstance(value, list):
        raise RowError(f"{column} is not a JSON array")
    return value


# -- one row of each table ----------------------------------------------------------------


def _project(row: Row, new_id: str, _parent: str) -> Model:
    return Project(id=new_id, user_id=_text(row, "user_id"), name=_text(row, "name"),
                   initial_prompt=row["initial_prompt"],
                   created_at=_timestamp(row, "created_at"),
                   updated_at=_timestamp(row, "updated_at"))


def _user_flow(row: Row, new_id: str, parent: str) -> Model:
    return UserFlow(uiid=new_id, project_id=parent, name=_text(row, "name"),
                    description=row["description"], steps=_json_list(row, "steps"),
                    created_at=_timestamp(row, "created_at"))


def _high_level(row: Row, new_id: str, parent: str) -> Model:
    return HighLevelRequirement(uiid=new_id, parent_uiid=parent, name=_text(row, "name"),
                                description=row["description"], order=_integer(row, "order"),
                                created_at=_timestamp(row, "created_at"))


def _low_level(row: Row, new_id: str, parent: str) -> Model:
    return LowLevelRequirement(uiid=new_id, parent_uiid=parent, name=_text(row, "name"),
                               description=row["description"],
                               tech_stack_details=row["tech_stack_details"],
                               created_at=_timestamp(row, "created_at"))


def _test_case(row: Row, new_id: str, parent: str) -> Model:
    return TestCase(uiid=new_id, parent_uiid=parent, name=_text(row, "name"),
                    description=row["description"], expected_result=row["expected_result"],
                    created_at=_timestamp(row, "created_at"))


def _waitlist(row: Row, _new_id: str, _parent: str) -> Model:
    email = _text(row, "email")
    if not _EMAIL.match(email):
        raise RowError(f"email {email!r} is not an email address")
    return WaitlistEntry.model_validate(
        {"email": email, "status": row["status"], "created_at": _timestamp(row, "created_at")})


@dataclass(frozen=True, slots=True)
class _Table:
    """How one exported table maps to its DynamoDB table."""

    name: str
    columns: tuple[str, ...]
    build: Builder
    parent: tuple[str, str] | None = None  # (parent table, foreign key column)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


#: The exported tables, parents before children.
EXPORT_TABLES: tuple[_Table, ...] = (
    _Table("projects", ("id", "name", "initial_prompt", "user_id", "created_at",
                        "updated_at"), _project),
    _Table("user_flows", ("id", "project_id", "name", "description", "steps", "created_at"),
           _user_flow, ("projects", "project_id")),
    _Table("high_level_requirements", ("id", "user_flow_id", "name", "description", "order",
                                       "created_at"),
           _high_level, ("user_flows", "user_flow_id")),
    _Table("low_level_requirements", ("id", "high_level_requirement_id", "name",
                                      "description", "tech_stack_details", "created_at"),
           _low_level, ("high_level_requirements", "high_level_requirement_id")),
    _Table("test_cases", ("id", "low_level_requirement_id", "name", "description",
                          "expected_result", "created_at"),
           _test_case, ("low_level_requirements", "low_level_requirement_id")),
    _Table("waitlist", ("id", "email", "status", "created_at"), _waitlist),
)


# -- reading the export -------------------------------------------------------------------


def read_export(directory: Path) -> ExportPlan:
    """Parse and validate a whole export; nothing is sent.

    Raises:
        ExportError: a file is missing, or its header is not the expected columns.
    """
    reader = _ExportReader(directory)
    for table in EXPORT_TABLES:
        reader.read(table)
    return reader.plan


class _ExportReader:
    """Reads the tables in order, remembering the new id of every accepted row."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.plan = ExportPlan()
        self.new_ids: dict[str, dict[int, str]] = {}
        self.seen_keys: set[tuple[str, str]] = set()

    def read(self, table: _Table) -> None:
        self.plan.items[table.name] = []
        self.new_ids[table.name] = {}
        report = self.plan.report
        for line, values in _rows(self.directory / table.file, table.columns):
            report.read += 1
            try:
                self.accept(table, _row(values, table.columns))
            except RowError as error:
                report.reject(f"{table.file} line {line}", str(error), values)

    def accept(self, table: _Table, row: Row) -> None:
        legacy_id = _integer(row, "id")
        if legacy_id in self.new_ids[table.name]:
            raise RowError(f"id {legacy_id} appears twice")
        new_id = legacy_uuid(table.name, legacy_id)
        item = _validated(table.build, row, new_id, self.parent_of(table, row))
        key = (table.name, _primary_key(item))
        if key in self.seen_keys:
            raise RowError(f"key {key[1]} appears twice; the second row would overwrite "
                           "the first")
        self.seen_keys.add(key)
        self.new_ids[table.name][legacy_id] = new_id
        self.plan.items[table.name].append(item)
        self.plan.report.count(table.name)

    def parent_of(self, table: _Table, row: Row) -> str:
        if table.parent is None:
            return ""
        parent_table, column = table.parent
        parent_id = _integer(row, column)
        new_id = self.new_ids[parent_table].get(parent_id)
        if new_id is None:
            raise RowError(f"{column} {parent_id} names no imported row of {parent_table}")
        return new_id


def _validated(build: Builder, row: Row, new_id: str, parent: str) -> Model:
    try:
        item = build(row, new_id, parent)
        item.to_item()  # what DynamoDB cannot store (an item over 400 KB) fails here
    except ValidationError as error:
        raise RowError(describe_validation_error(error)) from None
    except InvalidValue as error:
        raise RowError(str(error)) from None
    return item


def _primary_key(item: Model) -> str:
    key = type(item).__dynamap__.key_of(item)
    return "/".join(next(iter(value.values())) for value in key.values())


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """(starting line, fields) for every data row, after checking the header."""
    if not path.is_file():
        raise ExportError(f"{path} is missing from the export")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None or tuple(header) != columns:
                raise ExportError(
                    f"{path.name}: the header is {header}, expected {list(columns)}")
            line = reader.line_num + 1
            for values in reader:
                start, line = line, reader.line_num + 1
                yield start, values
        except (csv.Error, UnicodeDecodeError) as error:
            raise ExportError(f"{path.name} line {reader.line_num + 1} cannot be read as "
                              f"UTF-8 CSV: {error}") from None


def _row(values: list[str], columns: tuple[str, ...]) -> Row:
    if len(values) != len(columns):
        raise RowError(f"the row has {len(values)} fields, expected {len(columns)}")
    return dict(zip(columns, values, strict=True))


# -- writing and verifying -----------------------------------------------------------------


async def write_export(db: Session, plan: ExportPlan) -> None:
    """Write every accepted item with batch writes.

    Raises:
        BatchIncomplete: some items could not be written after retries; it lists them.
    """
    async with db.batch() as batch:
        for item in plan.all_items():
            batch.put(item)


async def verify_export(db: Session, plan: ExportPlan) -> list[str]:
    """Read every accepted item back by its key (BatchGetItem, 100 keys a request) and
    compare it with what was planned.

    Returns:
        One line per item that is missing or differs; empty when all is well.
    """
    mismatches = []
    for items in plan.items.values():
        if not items:
            continue
        model = type(items[0])
        fields = model.__dynamap__.key_fields
        keys = [{name: getattr(item, name) for name in fields} for item in items]
        stored = await db.get_many(model, keys, consistent=True)
        for planned, found in zip(items, stored, strict=True):
            if found is None:
                mismatches.append(f"{_describe(planned)} is missing")
            elif found != planned:
                mismatches.append(f"{_describe(planned)} differs: stored {found!r}")
    return mismatches


def _describe(item: Model) -> str:
    return f"{type(item).__name__} {_primary_key(item)}"


async def import_export(db: Session, directory: Path) -> MigrationReport:
    """Read, write and verify a whole export (see the module docstring).

    Returns:
        The report: rows read, items imported per table, rejects, items verified and
        any mismatches.

    Raises:
        ExportError: the export as a whole is unusable; nothing was written.
        BatchIncomplete: some items could not be written after retries.
    """
    plan = read_export(directory)
    await write_export(db, plan)
    report = plan.report
    report.mismatches = await verify_export(db, plan)
    report.verified = sum(len(items) for items in plan.items.values()) - len(report.mismatches)
    return report
