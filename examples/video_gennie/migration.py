"""Move generation states from the seed's file storage into DynamoDB.

The file storage keeps one JSON document per generation, `<generationId>.json`, in
one directory, with the state as the application holds it (camelCase names, ISO
timestamps). `migrate_file_storage`:

1. reads every `*.json` file of the directory (in a worker thread);
2. validates each one as a `GenerationState` before anything is written: a file
   that is not JSON, does not fit the model, is named after another generation, or
   is over DynamoDB's item size goes to the rejects report, never to the table;
3. keeps `createdAt` / `updatedAt` as they are (a missing `createdAt` becomes the
   file's modification time) and gives each state its TTL, `expiresAt`;
4. writes them with `Session.put_many` (batches of 25, retried, nothing dropped);
5. reads every one back with `Session.get_many` (batches of 100) and compares it
   with what was meant to be written.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dynamap import InvalidValue
from examples._migration import MigrationReport, describe_validation_error
from examples.video_gennie.models import GenerationState
from examples.video_gennie.storage import DynamoDBStorage

__all__ = ["StateFile", "migrate_file_storage", "plan_import", "read_directory",
           "write_state_file"]


@dataclass(frozen=True, slots=True)
class StateFile:
    """One file of the file storage, as read."""

    name: str
    data: bytes
    modified: datetime


def write_state_file(directory: Path, state: GenerationState) -> Path:
    """Write a state the way the file storage does: `<generationId>.json`, camelCase."""
    path = directory / f"{state.generation_id}.json"
    document = state.model_dump(mode="json", by_alias=True, exclude_none=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def read_directory(directory: Path) -> list[StateFile]:
    """Every `*.json` file of the file storage's directory, in name order.

    Raises:
        NotADirectoryError: `directory` is not a directory.
    """
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory")
    files = []
    for path in sorted(directory.glob("*.json")):
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        files.append(StateFile(path.name, path.read_bytes(), modified))
    return files


def plan_import(
    files: list[StateFile], storage: DynamoDBStorage, report: MigrationReport
) -> list[GenerationState]:
    """Validate the files into the states to write; refused files go to `report`."""
    states = []
    for file in files:
        report.read += 1
        state = _state(file, storage, report)
        if state is not None:
            states.append(state)
    return states


def _state(
    file: StateFile, storage: DynamoDBStorage, report: MigrationReport
) -> GenerationState | None:
    try:
        document = json.loads(file.data)
        state = GenerationState.model_validate(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.reject(file.name, f"not JSON: {error}", file.data.decode("utf-8", "replace"))
        return None
    except ValidationError as error:
        report.reject(file.name, describe_validation_error(error), document)
        return None
    if f"{state.generation_id}.json" != file.name:
        report.reject(file.name, f"the file holds generation {state.generation_id!r}",
                      document)
        return None
    state.created_at = state.created_at or file.modified
    state.updated_at = state.updated_at or state.created_at
    expires = state.expires_at or storage.expiry(state.created_at)
    state.expires_at = None if expires is None else expires.replace(microsecond=0)
    try:
        state.to_item()
    except InvalidValue as error:
        report.reject(file.name, str(error), document)
        return None
    return state


async def migrate_file_storage(
    storage: DynamoDBStorage, directory: Path, *, rejects_path: Path | None = None
) -> MigrationReport:
    """Import the file storage's directory into DynamoDB, then verify every state.

    Args:
        storage: an initialized `DynamoDBStorage` (its table exists).
        directory: the file storage's directory of `<generationId>.json` files.
        rejects_path: where to write the rejects as JSON Lines (skipped when None).

    Raises:
        NotADirectoryError: `directory` is not a directory.
        BatchIncomplete: some states could not be written within the retry budget.
    """
    report = MigrationReport()
    files = await asyncio.to_thread(read_directory, directory)
    states = plan_import(files, storage, report)
    await storage.db.put_many(states)
    report.count("generation", len(states))
    keys = [{"generation_id": state.generation_id} for state in states]
    found = await storage.db.get_many(GenerationState, keys)
    for state, stored in zip(states, found, strict=True):
        if stored is None:
            report.mismatches.append(f"{state.generation_id}: missing")
        elif comparable(stored) != comparable(state):
            report.mismatches.append(f"{state.generation_id}: differs")
        else:
            report.verified += 1
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
