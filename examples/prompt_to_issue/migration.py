"""Move prompt-to-issue's data from its SQLite database into the single DynamoDB table.

Each relational table maps to one entity (see `legacy` for the old schema and
`models` for the new keys):

| SQLite table       | entity         | where it goes                         |
| ------------------ | -------------- | ------------------------------------- |
| `users`            | User           | `USER#<id>` / `PROFILE`               |
| `settings`         | Settings       | `USER#<user_id>` / `SETTINGS`         |
| `provider_configs` | ProviderConfig | `USER#<user_id>` / `PROVIDER#<name>`  |
| `conversations`    | Conversation   | `USER#<user_id>` / `CONV#<created>#<id>`, `GSI1` if shared |
| `messages`         | Message        | `CONV#<conversation_id>` / `MSG#<created>#<id>` |
| `tickets`          | Ticket         | `CONV#<conversation_id>` / `TICKET#<id>` |

`migrate_sqlite` reads every row (stdlib `sqlite3`, in a worker thread), converts and
validates it (Unix seconds to datetimes, 0/1 to booleans, JSON text to lists, enums
checked), and refuses rows that do not fit or that point at a user or conversation
that does not exist (or was refused): those go to the rejects report, never to the
table. The rest is written with `Session.put_many`, then every user's and every
conversation's partition is read back with one query each and compared, item by
item, with what was meant to be written.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dynamap import InvalidValue, Model, Session
from examples._migration import MigrationReport, describe_validation_error
from examples.prompt_to_issue.legacy import TABLES
from examples.prompt_to_issue.models import (
    Conversation,
    Message,
    ProviderConfig,
    Settings,
    Ticket,
    User,
    prompt_to_issue,
)
from examples.prompt_to_issue.repositories import conversation_partition, user_partition

__all__ = ["ImportPlan", "MigrationError", "migrate_sqlite", "plan_import", "read_database"]

Row = dict[str, Any]


class MigrationError(Exception):
    """The database as a whole cannot be read (not SQLite, or a table is missing)."""


class RowRejectedError(ValueError):
    """One row cannot be imported; the message says why."""


def read_database(path: Path) -> dict[str, list[Row]]:
    """Every row of every table of the old schema, as dicts, in primary-key order.

    Raises:
        MigrationError: the file is not a SQLite database with the old schema.
    """
    if not path.is_file():
        raise MigrationError(f"{path}: no such database file")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise MigrationError(f"cannot open {path}: {error}") from error
    connection.row_factory = sqlite3.Row
    try:
        return {table: [dict(row) for row in connection.execute(
            f"SELECT * FROM {table} ORDER BY rowid")] for table in TABLES}
    except sqlite3.Error as error:
        raise MigrationError(f"{path}: {error}") from error
    finally:
        connection.close()


@dataclass(slots=True)
class ImportPlan:
    """The validated items, grouped by the partition they land in."""

    users: dict[str, list[Model]] = field(default_factory=dict)
    conversations: dict[str, list[Model]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    share_ids: set[str] = field(default_factory=set)

    def items(self) -> list[Model]:
        """Every item to write, partition by partition."""
        partitions = [*self.users.values(), *self.conversations.values()]
        return [item for partition in partitions for item in partition]


def _labels(text: object) -> list[Any]:
    if not isinstance(text, str):
        raise RowRejectedError(f"labels: expected JSON text, got {text!r}")
    try:
        labels = json.loads(text)
    except json.JSONDecodeError as error:
        raise RowRejectedError(f"labels: not JSON ({error})") from None
    if not isinstance(labels, list):
        raise RowRejectedError(f"labels: expected a JSON array, got {text!r}")
    return labels


def _conversation(row: Row) -> Row:
    values = _row({name: value for name, value in row.items() if name != "is_shared"})
    if row.get("is_shared"):
        if not row.get("share_id"):
            raise RowRejectedError("is_shared is 1 but share_id is empty")
        values["shared_at"] = row.get("shared_at") or row.get("updated_at")
    else:
        values.pop("share_id", None)
        values.pop("shared_at", None)
    return values


def _ticket(row: Row) -> Row:
    return {**_row(row), "labels": _labels(row.get("labels"))}


def _row(row: Row) -> Row:
    """The row without its NULLs, so that a nullable column takes the field's default."""
    return {name: value for name, value in row.items() if value is not None}


#: table -> (model, row converter)
_MAPPING: Mapping[str, tuple[type[Model], Callable[[Row], Row]]] = {
    "users": (User, _row),
    "settings": (Settings, _row),
    "provider_configs": (ProviderConfig, _row),
    "conversations": (Conversation, _conversation),
    "messages": (Message, _row),
    "tickets": (Ticket, _ticket),
}


class _Planner:
    """Turns rows into an `ImportPlan`, recording refused rows in the report."""

    def __init__(self, report: MigrationReport) -> None:
        self.report = report
        self.plan = ImportPlan()

    def convert(self, table: str, position: int, row: Row) -> Model | None:
        model, prepare = _MAPPING[table]
        where = f"{table} row {position + 1}"
        try:
            item = model.model_validate(prepare(row))
            self.check_parent(item)
            item.to_item()
        except ValidationError as error:
            self.report.reject(where, describe_validation_error(error), row)
        except (RowRejectedError, InvalidValue) as error:
            self.report.reject(where, str(error), row)
        else:
            return item
        return None

    def check_parent(self, item: BaseModel) -> None:
        if (isinstance(item, Settings | ProviderConfig | Conversation)
                and item.user_id not in self.plan.users):
            raise RowRejectedError(f"user {item.user_id!r} does not exist or was rejected")
        if isinstance(item, Message | Ticket):
            owner = self.plan.owners.get(item.conversation_id)
            if owner is None:
                raise RowRejectedError(
                    f"conversation {item.conversation_id!r} does not exist or was rejected")
            if isinstance(item, Ticket) and item.user_id != owner:
                raise RowRejectedError(
                    f"user_id {item.user_id!r} is not the conversation's owner {owner!r}")
        if isinstance(item, Conversation) and item.share_id in self.plan.share_ids:
            raise RowRejectedError(f"share_id {item.share_id!r} is used twice")

    def add(self, item: Model) -> None:
        if isinstance(item, User):
            self.plan.users[item.id] = [item]
        elif isinstance(item, Settings | ProviderConfig):
            self.plan.users[item.user_id].append(item)
        elif isinstance(item, Conversation):
            self.plan.users[item.user_id].append(item)
            self.plan.owners[item.id] = item.user_id
            self.plan.conversations[item.id] = []
            if item.share_id is not None:
                self.plan.share_ids.add(item.share_id)
        elif isinstance(item, Message | Ticket):
            self.plan.conversations[item.conversation_id].append(item)
        self.report.count(type(item).__name__)


def plan_import(rows: Mapping[str, list[Row]], report: MigrationReport) -> ImportPlan:
    """Validate the rows of every table (parents first) into the items to write."""
    planner = _Planner(report)
    for table in TABLES:
        for position, row in enumerate(rows.get(table, [])):
            report.read += 1
            item = planner.convert(table, position, row)
            if item is not None:
                planner.add(item)
    return planner.plan


async def migrate_sqlite(
    db: Session, source: Path, *, rejects_path: Path | None = None, concurrency: int = 16
) -> MigrationReport:
    """Import the SQLite database at `source`, then verify every item written.

    Args:
        db: an open session; the table must exist.
        source: the SQLite database file (opened read-only).
        rejects_path: where to write the rejects as JSON Lines (skipped when None).
        concurrency: how many partitions are read back at once while verifying.

    Raises:
        MigrationError: the database cannot be read.
        BatchIncomplete: some items could not be written within the retry budget.
    """
    report = MigrationReport()
    rows = await asyncio.to_thread(read_database, source)
    plan = plan_import(rows, report)
    await db.put_many(plan.items())
    await verify(db, plan, report, concurrency=concurrency)
    if rejects_path is not None:
        report.write_rejects(rejects_path)
    return report


async def verify(
    db: Session, plan: ImportPlan, report: MigrationReport, *, concurrency: int = 16
) -> None:
    """Read every planned partition back with one query and compare item by item."""
    limit = asyncio.Semaphore(concurrency)

    async def check(partition: str, expected: list[Model]) -> None:
        async with limit:
            found = await db.query(prompt_to_issue, raw_pk=partition).all()
        report.verified += _compare(partition, expected, found, report)

    checks = [check(user_partition(user), items) for user, items in plan.users.items()]
    checks += [check(conversation_partition(conversation), items)
               for conversation, items in plan.conversations.items()]
    await asyncio.gather(*checks)


def _compare(
    partition: str, expected: list[Model], found: list[Any], report: MigrationReport
) -> int:
    stored = {_identity(item): item for item in found}
    if len(stored) != len(expected):
        report.mismatches.append(f"{partition}: expected {len(expected)} items, found "
                                 f"{len(stored)}")
    matched = 0
    for item in expected:
        twin = stored.get(_identity(item))
        if twin is not None and twin == item:
            matched += 1
        else:
            state = "missing" if twin is None else "differs"
            report.mismatches.append(f"{partition}: {_identity(item)} {state}")
    return matched


def _identity(item: Model) -> tuple[str, str]:
    key = item.to_item()
    return item.__dynamap__.entity, str(key["SK"]["S"])
