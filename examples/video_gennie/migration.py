"""Move generation states from the seed's file storage into DynamoDB.

The file storage keeps one JSON document per generation, `<generationId>.json`, in
one directory, with the state as the application holds it (camelCase names, ISO
timestamps). `migrate_file_storage` runs `dynamap.migrate` over that directory:

1. every `*.json` file is one record; a file that is not JSON, does not fit the
   model, is named after another generation, or is over DynamoDB's item size is
   rejected with its name and the reason, never written;
2. `createdAt` / `updatedAt` are kept as they are; a file without `createdAt` takes
   the file's modification time (counted in the report);
3. **retention is an explicit policy.** Each state gets its TTL, `expiresAt` =
   `createdAt` + `retention` (7 days, as the storage does), unless the file has one.
   A state whose expiry is already past would be deleted by DynamoDB's TTL within
   minutes of the migration, so `expired` says what happens to it, and the report
   counts it: `"renew"` (default: kept, with a fresh expiry, now + retention),
   `"skip"` (not migrated, reported as skipped) or `"expire"` (migrated with its past
   expiry: DynamoDB deletes it). `retention=None` migrates every state without a TTL;
4. the states are written as they are (no timestamp re-stamped); a state already
   stored as the run would write it is left alone, and a renewed expiry keeps what a
   previous run stored, so a rerun changes nothing;
5. the directory is read again and every migrated state is compared, field by field
   with nested stage maps, with the table read plainly.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from dynamap.migrate import (
    Context,
    Directory,
    Entity,
    MigrationReport,
    Reject,
    Skip,
    SourceError,
    migrate,
)
from examples.video_gennie.models import GenerationState
from examples.video_gennie.storage import DEFAULT_RETENTION, DynamoDBStorage

__all__ = ["ExpiredPolicy", "comparable", "generation_entity", "migrate_file_storage",
           "write_state_file"]

ExpiredPolicy = Literal["renew", "skip", "expire"]
_FIELDS = ("generationId", "initialParams", "script", "audio", "keywords", "clips",
           "baseVideo", "finalVideo", "youtube", "createdAt", "updatedAt", "expiresAt")


def write_state_file(directory: Path, state: GenerationState) -> Path:
    """Write a state the way the file storage does: `<generationId>.json`, camelCase."""
    path = directory / f"{state.generation_id}.json"
    document = state.model_dump(mode="json", by_alias=True, exclude_none=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise Reject(f"expected an ISO timestamp, got {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Reject(f"not an ISO timestamp: {value!r}") from None


class _Retention:
    """The transform: file name check, creation time, and the retention policy."""

    def __init__(self, retention: timedelta | None, expired: ExpiredPolicy) -> None:
        self.retention, self.expired = retention, expired

    def __call__(self, document: dict[str, Any], context: Context) -> dict[str, Any] | Skip:
        if f"{document.get('generationId')}.json" != context.where:
            raise Reject(f"the file holds generation {document.get('generationId')!r}")
        if "createdAt" not in document:
            document["createdAt"] = context.meta["modified"].isoformat()
            context.note("createdAt: not in the file, the file's modification time")
        if "updatedAt" not in document:
            document["updatedAt"] = document["createdAt"]
            context.note("updatedAt: not in the file, its createdAt")
        if self.retention is None:
            document.pop("expiresAt", None)
            return document
        return self.expiry(document, context)

    def expiry(self, document: dict[str, Any], context: Context) -> dict[str, Any] | Skip:
        assert self.retention is not None
        if "expiresAt" in document:
            expires = _instant(document["expiresAt"])
        else:
            expires = _instant(document["createdAt"]) + self.retention
        expires = expires.replace(microsecond=0)
        if expires > context.now:
            document["expiresAt"] = expires.isoformat()
            return document
        if self.expired == "skip":
            context.note("already past retention: skipped")
            return Skip(f"its expiry {expires.isoformat()} is already past (expired='skip')")
        if self.expired == "expire":
            context.note("already past retention: migrated with the past expiry, "
                         "DynamoDB's TTL deletes them")
            document["expiresAt"] = expires.isoformat()
            return document
        context.note(f"already past retention: kept with a fresh expiry (now + "
                     f"{self.retention})")
        document["expiresAt"] = (context.now + self.retention).replace(microsecond=0)
        context.stamp("expiresAt")
        return document


def generation_entity(
    directory: Path, *, retention: timedelta | None = DEFAULT_RETENTION,
    expired: ExpiredPolicy = "renew",
) -> Entity:
    """The file storage's directory as a migration entity (see the module docstring)."""
    if not directory.is_dir():
        raise SourceError(f"{directory} is not a directory")
    return Entity("generations", Directory(directory), GenerationState,
                  fields={name: name for name in _FIELDS},
                  transform=_Retention(retention, expired), identity="generationId")


async def migrate_file_storage(
    storage: DynamoDBStorage, directory: Path, *, rejects_path: Path | None = None,
    retention: timedelta | None = None, expired: ExpiredPolicy = "renew",
) -> MigrationReport:
    """Import the file storage's directory into DynamoDB, then verify every state.

    Args:
        storage: an initialized `DynamoDBStorage` (its table exists).
        directory: the file storage's directory of `<generationId>.json` files.
        rejects_path: where to write the rejects as JSON Lines (skipped when None).
        retention: how long a migrated generation is kept (default: the storage's).
        expired: what happens to a generation already past retention (see above).

    Raises:
        SourceError: `directory` is not a directory.
        BatchIncomplete: some states could not be written within the retry budget.
    """
    keep = retention if retention is not None else storage.retention
    report = await migrate(storage.db, [generation_entity(directory, retention=keep,
                                                          expired=expired)])
    if rejects_path is not None:
        report.write_rejects(rejects_path)
    return report


def comparable(state: GenerationState) -> Any:
    """A state's content with every number as a Decimal.

    The free-form stage maps read back their numbers as `Decimal` (DynamoDB numbers
    are decimal); a float was stored from its shortest repr, so `Decimal(repr(x))` is
    exactly what reads back.
    """
    return _numbers_as_decimals(state.model_dump())


def _numbers_as_decimals(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _numbers_as_decimals(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers_as_decimals(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    return value
