"""Running a migration: plan, write what changed, verify against the source."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from dynamap import Session
from dynamap._compiler import compiled_of
from dynamap.errors import UniqueConstraintViolated
from dynamap.migrate.mapping import Context, Entity, Skip, map_record
from dynamap.migrate.paths import get_path
from dynamap.migrate.plain import decode_item, differences
from dynamap.migrate.plan import Planned, hashable, plan_entity
from dynamap.migrate.report import EntityReport, MigrationReport, Problem
from dynamap.migrate.store import fetch_items, write_items

__all__ = ["CHUNK", "migrate", "verify_entity"]

#: Records reconciled and written per step; `progress` is called after each.
CHUNK = 500

Progress = Callable[[str, int], None]


async def migrate(
    db: Session,
    entities: Sequence[Entity],
    *,
    verify: bool = True,
    progress: Progress | None = None,
    now: datetime | None = None,
    concurrency: int = 8,
) -> MigrationReport:
    """Migrate every entity, in order, then check the table against the sources.

    Each entity's source is read and mapped before anything of it is written; records
    that cannot be migrated are rejected (or reported as duplicates, or skipped) with
    their place in the source. Items already stored as this run would write them are
    left alone, and values this run makes up (`Fill(NOW)`, stamps) keep what is stored,
    so a rerun, or a run resumed after a kill, changes nothing already migrated.

    Args:
        db: an open session; the tables must exist.
        entities: the entities, each after the ones it refers to.
        verify: re-read every source and compare each mapped field with the table.
        progress: called with (entity name, items handled so far) after each chunk.
        now: the run's time (default: the current time).
        concurrency: requests in flight at once.

    Raises:
        SourceError: a source cannot be read at all; nothing of it was written.
        BatchIncomplete: items were still unwritten after the retry budget.
    """
    now = now or datetime.now(UTC)
    report = MigrationReport()
    known: dict[str, set[Any]] = {}
    kept: dict[str, dict[str, Planned]] = {}
    for entity in entities:
        part = EntityReport(entity.name)
        report.entities.append(part)
        planned = plan_entity(entity, part, now, known)
        stored = await _write_entity(db, entity, planned, part, progress, concurrency)
        kept[entity.name] = {item.where: item for item in stored}
        known[entity.name] = {
            hashable(get_path(_stored_view(item.instance), entity.identity)) for item in stored
        }
    if verify:
        for entity in entities:
            await verify_entity(db, entity, kept[entity.name], report[entity.name], now)
    return report


def _stored_view(instance: BaseModel) -> dict[str, Any]:
    return decode_item(compiled_of(type(instance)).to_item(instance))


async def _write_entity(
    db: Session,
    entity: Entity,
    planned: list[Planned],
    report: EntityReport,
    progress: Progress | None,
    concurrency: int,
) -> list[Planned]:
    stored: list[Planned] = []
    for start in range(0, len(planned), CHUNK):
        chunk = planned[start : start + CHUNK]
        stored += await _write_chunk(db, entity, chunk, report, concurrency)
        if progress is not None:
            progress(entity.name, start + len(chunk))
    return stored


async def _write_chunk(
    db: Session,
    entity: Entity,
    chunk: list[Planned],
    report: EntityReport,
    concurrency: int,
) -> list[Planned]:
    compiled = compiled_of(entity.model)
    table = db.table_name(entity.model)
    existing = await fetch_items(
        db, table, [compiled.key_of(p.instance) for p in chunk], concurrency=concurrency
    )
    changed: list[Planned] = []
    for planned in chunk:
        before = existing.get(planned.key)
        if before is not None:
            _keep_made_up_values(planned, before)
            if decode_item(compiled.to_item(planned.instance)) == decode_item(before):
                report.unchanged += 1
                continue
        changed.append(planned)
    written = await _put(db, entity, table, changed, report, concurrency)
    return [p for p in chunk if p.key in existing and p not in changed] + written


def _keep_made_up_values(planned: Planned, before: dict[str, Any]) -> None:
    """Values the model defaulted, or the run made up, take what is stored."""
    compiled = compiled_of(type(planned.instance))
    names = compiled.codec.attribute_names
    made_up = {
        name
        for name in type(planned.instance).model_fields
        if name not in planned.instance.model_fields_set or names.get(name, name) in planned.stamped
    }
    made_up -= compiled.key_fields
    if not made_up:
        return
    try:
        stored = compiled.from_item(before)
    except Exception:  # an item the model cannot read keeps nothing
        return
    planned.instance = planned.instance.model_copy(
        update={name: getattr(stored, name) for name in made_up}
    )


async def _put(
    db: Session,
    entity: Entity,
    table: str,
    changed: list[Planned],
    report: EntityReport,
    concurrency: int,
) -> list[Planned]:
    compiled = compiled_of(entity.model)
    if not compiled.options.unique:
        await write_items(
            db, table, [compiled.to_item(p.instance) for p in changed], concurrency=concurrency
        )
        report.written += len(changed)
        return changed
    slots = asyncio.Semaphore(concurrency)
    written: list[Planned] = []

    async def one(planned: Planned) -> None:
        async with slots:
            try:
                await db.put(planned.instance)
            except UniqueConstraintViolated as error:
                report.rejected.append(
                    Problem(
                        planned.where,
                        f"{error.field} {error.value!r} is already taken in the table",
                        planned.record,
                    )
                )
                return
        written.append(planned)
        report.written += 1

    await asyncio.gather(*(one(planned) for planned in changed))
    return written


async def verify_entity(
    db: Session,
    entity: Entity,
    kept: dict[str, Planned],
    report: EntityReport,
    now: datetime,
) -> None:
    """Re-read the source and compare every mapped field of every migrated record with
    the table, read plainly (BatchGetItem, DynamoDB JSON decoded by hand)."""
    compiled = compiled_of(entity.model)
    table = db.table_name(entity.model)
    expected: list[tuple[str, dict[str, Any], set[str], str]] = []
    for record in entity.source:
        planned = kept.get(record.where)
        if planned is None or record.data is None:
            continue
        context = Context(now, record.where, record.meta)
        document = map_record(entity, record.data, context)
        if isinstance(document, Skip):
            report.mismatches.append(f"{record.where}: the source changed during the run")
            continue
        expected.append((record.where, document, context.stamped, planned.key))
    keys = [compiled.key_of(kept[where].instance) for where, *_ in expected]
    stored = await fetch_items(db, table, keys)
    seen: set[str] = set()
    for where, document, stamped, key in expected:
        if key in seen:
            continue
        seen.add(key)
        item = stored.get(key)
        if item is None:
            if _expired(compiled, document, now):
                report.expired += 1
            else:
                report.mismatches.append(f"{where}: not in the table")
            continue
        found = decode_item(item)
        problems = [
            line
            for name, value in document.items()
            if name not in stamped
            for line in differences(value, found.get(name, _ABSENT), name)
        ]
        if problems:
            report.mismatches.append(f"{where}: " + "; ".join(problems))
        else:
            report.verified += 1


_ABSENT: Any = get_path({}, "absent")


def _expired(compiled: Any, document: dict[str, Any], now: datetime) -> bool:
    """Whether the document's TTL attribute was already past when the run wrote it."""
    ttl = compiled.options.ttl
    if ttl is None:
        return False
    value = document.get(compiled.codec.attribute_names.get(ttl, ttl))
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    return isinstance(value, datetime) and value.astimezone(UTC) <= now
