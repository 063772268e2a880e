"""Move prompt-to-issue's data from its SQLite database into the single DynamoDB table.

Each relational table maps to one entity (see `legacy` for the old schema and
`models` for the new keys), with its columns mapped by name:

| SQLite table       | entity         | where it goes                         |
| ------------------ | -------------- | ------------------------------------- |
| `users`            | User           | `USER#<id>` / `PROFILE`               |
| `settings`         | Settings       | `USER#<user_id>` / `SETTINGS`         |
| `provider_configs` | ProviderConfig | `USER#<user_id>` / `PROVIDER#<name>`  |
| `conversations`    | Conversation   | `USER#<user_id>` / `CONV#<created>#<id>`, `GSI1` if shared |
| `messages`         | Message        | `CONV#<conversation_id>` / `MSG#<created>#<id>` |
| `tickets`          | Ticket         | `CONV#<conversation_id>` / `TICKET#<id>` |

`migrate_sqlite` runs `dynamap.migrate` over the database (opened read-only): Unix
seconds and text timestamps (`2024-03-15 12:00:00`, UTC) become datetimes, 0/1
booleans, JSON text lists; enums are checked. A NULL column is left out, so the
field's default applies (never "now" for a timestamp that has a value). Rows that do
not fit, or that point at a user or conversation that was not migrated, are rejected
with their table, row and reason; `provider_configs.id` is ignored on purpose (the
item is keyed by user and provider). Afterwards every table is read again and each
migrated row is compared, column by column, with the DynamoDB table read plainly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dynamap import Session
from dynamap.migrate import (
    Context,
    Entity,
    Field,
    MigrationReport,
    Reject,
    SourceError,
    Sqlite,
    migrate,
    utc_datetime,
)
from examples.prompt_to_issue.legacy import TABLES
from examples.prompt_to_issue.models import (
    Conversation,
    Message,
    ProviderConfig,
    Settings,
    Ticket,
    User,
)

__all__ = ["MigrationError", "migrate_sqlite", "sqlite_entities"]


class MigrationError(SourceError):
    """The database as a whole cannot be read (not SQLite, or a table is missing)."""


def _labels(text: object) -> list[Any]:
    if not isinstance(text, str):
        raise Reject(f"labels: expected JSON text, got {text!r}")
    try:
        labels = json.loads(text)
    except json.JSONDecodeError as error:
        raise Reject(f"labels: not JSON ({error})") from None
    if not isinstance(labels, list):
        raise Reject(f"labels: expected a JSON array, got {text!r}")
    return labels


class _Sharing:
    """Conversations: a shared one keeps its share id and time (default: its last
    update); share ids are unique; each conversation's owner is remembered for tickets."""

    def __init__(self) -> None:
        self.share_ids: dict[str, str] = {}
        self.owners: dict[str, str] = {}

    def __call__(self, document: dict[str, Any], context: Context) -> dict[str, Any]:
        shared = document.pop("isShared", 0)
        if shared:
            share_id = document.get("shareId")
            if not share_id:
                raise Reject("is_shared is 1 but share_id is empty")
            first = self.share_ids.setdefault(share_id, context.where)
            if first != context.where:
                raise Reject(f"share_id {share_id!r} is used by {first} too")
            if "sharedAt" not in document:
                document["sharedAt"] = document.get("updatedAt")
                context.note("sharedAt: NULL for a shared conversation, its updated_at")
        else:
            document.pop("shareId", None)
            document.pop("sharedAt", None)
        self.owners[str(document.get("id"))] = str(document.get("userId"))
        return document

    def check_owner(self, document: dict[str, Any], context: Context) -> dict[str, Any]:
        owner = self.owners.get(str(document.get("conversationId")))
        if owner is not None and document.get("userId") != owner:
            raise Reject(f"user_id {document.get('userId')!r} is not the conversation's "
                         f"owner {owner!r}")
        return document


def _columns(*names: str) -> dict[str, str | Field]:
    """camelCase attribute <- snake_case column; the `*_at` columns are text timestamps
    without a zone, which the old app wrote in UTC."""
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)
    return {camel(name): Field(name, convert=utc_datetime) if name.endswith("_at") else name
            for name in names}


def sqlite_entities(path: Path) -> list[Entity]:
    """The six tables as migration entities, parents first.

    Raises:
        MigrationError: the file is missing, or is not a SQLite database of the old
            schema; nothing is read.
    """
    _check_schema(path)
    sharing = _Sharing()

    def table(name: str, model: type[Any], columns: dict[str, str | Field], *,
              references: dict[str, str] | None = None, **options: Any) -> Entity:
        return Entity(name, Sqlite(path, name), model, fields=columns,
                      references=references or {}, **options)

    return [
        table("users", User, _columns("id", "email", "name", "avatar_url", "created_at",
                                      "updated_at")),
        table("settings", Settings, _columns(
            "user_id", "default_provider", "default_model", "platform",
            "default_repository", "theme", "updated_at"), references={"userId": "users"}),
        table("provider_configs", ProviderConfig, _columns(
            "user_id", "provider", "enabled", "model", "base_url", "encrypted_api_key",
            "updated_at"), references={"userId": "users"}, ignore=("id",)),
        table("conversations", Conversation, _columns(
            "id", "user_id", "title", "provider", "model", "is_shared", "share_id",
            "shared_at", "created_at", "updated_at"), references={"userId": "users"},
            transform=sharing),
        table("messages", Message, _columns(
            "id", "conversation_id", "role", "content", "created_at"),
            references={"conversationId": "conversations"}),
        table("tickets", Ticket, {**_columns(
            "id", "conversation_id", "user_id", "platform", "repository", "title", "body",
            "status", "issue_url", "issue_number", "created_at", "updated_at"),
            "labels": Field("labels", convert=_labels)},
            references={"conversationId": "conversations"}, transform=sharing.check_owner),
    ]


def _check_schema(path: Path) -> None:
    if not path.is_file():
        raise MigrationError(f"{path}: no such database file")
    for name in TABLES:
        try:
            next(iter(Sqlite(path, name, query=f'SELECT * FROM "{name}" LIMIT 1')), None)
        except SourceError as error:
            raise MigrationError(str(error)) from None


async def migrate_sqlite(
    db: Session, source: Path, *, rejects_path: Path | None = None, concurrency: int = 16
) -> MigrationReport:
    """Import the SQLite database at `source`, then verify every item written.

    Args:
        db: an open session; the table must exist.
        source: the SQLite database file (opened read-only).
        rejects_path: where to write the rejects as JSON Lines (skipped when None).
        concurrency: requests in flight at once.

    Raises:
        MigrationError: the database cannot be read.
        BatchIncomplete: some items could not be written within the retry budget.
    """
    report = await migrate(db, sqlite_entities(source), concurrency=concurrency)
    if rejects_path is not None:
        report.write_rejects(rejects_path)
    return report
