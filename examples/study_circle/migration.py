"""Move AI Study Circle's MongoDB data into its five DynamoDB tables.

The input is a directory of `mongoexport` dumps, one JSON Lines file per collection
(`mongoexport --collection users --out users.json`, ...): `users.json`,
`contents.json`, `summaries.json`, `exams.json` and `templates.json`. Each line is
one document in MongoDB extended JSON, relaxed or canonical (`{"$oid": ...}`,
`{"$date": "2024-03-15T12:00:00.000Z"}` or `{"$date": {"$numberLong": ...}}`,
`{"$numberLong": "42"}`, ...); the wrappers are unwrapped by the same code
`dynamap import` uses (`dynamap.cli.readers.from_extended_json`).

Documents keep their ids: `_id` becomes `id`, so an ObjectId reference (`owner`,
`createdBy`) stays valid as it is; the `content` reference of summaries and exams
becomes `contentId`, as the DynamoDB tables name it. Mongoose's `__v` is dropped.

The import runs in steps, and every document refused on the way goes to the rejects
report (`examples._migration.MigrationReport`) with its file, line and reason:

1. `read_dump` parses and validates every line: broken JSON, bad extended JSON,
   documents the models refuse, repeated ids, and emails or usernames used twice in
   the dump are rejected, and so is every document that refers to a rejected or
   missing user or content (DynamoDB has no foreign keys to catch an orphan later).
2. Users are written one `put` at a time, so that dynamap's unique guards on email
   and username apply: a user whose email or username is already taken in the table
   is rejected, and so are the documents that refer to it.
3. Everything else is written with batch writes.
4. Every imported document is read back (`get_many`) and compared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from dynamap import InvalidValue, Session, UniqueConstraintViolated
from dynamap.cli.readers import RowError, from_extended_json

from .._migration import MigrationReport, describe_validation_error
from .models import Content, Document, Exam, Summary, Template, User

__all__ = [
    "COLLECTIONS",
    "Accepted",
    "Collection",
    "DumpError",
    "DumpPlan",
    "import_dump",
    "read_dump",
]

#: Users written at once; each is a small transaction with its unique guards.
USER_WRITES_IN_FLIGHT = 16


class DumpError(ValueError):
    """The dump as a whole is unusable: a collection's file is missing or not text."""


class DocumentError(ValueError):
    """One document cannot be imported; the message is the reject reason."""


@dataclass(frozen=True, slots=True)
class Collection:
    """How one MongoDB collection maps to its DynamoDB table.

    Attributes:
        file: the mongoexport file.
        model: the model its documents become.
        renames: document fields renamed before validation.
        references: (field, model) pairs: the field holds the id of an item of model.
    """

    file: str
    model: type[Document]
    renames: tuple[tuple[str, str], ...] = (("_id", "id"),)
    references: tuple[tuple[str, type[Document]], ...] = ()


#: The collections, each after the ones it refers to.
COLLECTIONS: tuple[Collection, ...] = (
    Collection("users.json", User),
    Collection("contents.json", Content, references=(("owner", User),)),
    Collection("summaries.json", Summary, (("_id", "id"), ("content", "contentId")),
               (("owner", User), ("content_id", Content))),
    Collection("exams.json", Exam, (("_id", "id"), ("content", "contentId")),
               (("owner", User), ("content_id", Content))),
    Collection("templates.json", Template, references=(("created_by", User),)),
)


@dataclass(slots=True)
class Accepted:
    """One accepted document: where it came from, as read, and the item it became."""

    source: str
    record: Any
    item: Document


@dataclass(slots=True)
class DumpPlan:
    """The accepted documents per collection, and the report so far."""

    documents: dict[type[Document], list[Accepted]] = field(default_factory=dict)
    report: MigrationReport = field(default_factory=MigrationReport)

    def ids(self, model: type[Document]) -> set[str]:
        """The ids of the accepted documents of one model."""
        return {accepted.item.id for accepted in self.documents.get(model, [])}

    def refuse(self, accepted: Accepted, reason: str) -> None:
        """Move an accepted document to the rejects."""
        self.documents[type(accepted.item)].remove(accepted)
        self.report.reject(accepted.source, reason, accepted.record)

    def drop_orphans(self) -> None:
        """Reject every document that refers to an item that is not accepted; the
        collections are checked in order, so orphans of orphans go too."""
        for collection in COLLECTIONS:
            known = {target: self.ids(target) for _, target in collection.references}
            for accepted in list(self.documents.get(collection.model, [])):
                for name, target in collection.references:
                    value = getattr(accepted.item, name)
                    if value not in known[target]:
                        stored = collection.model.__dynamap__.codec.attribute_names[name]
                        kind = target.__name__.lower()
                        self.refuse(accepted, f"{stored} {value!r} is not an imported {kind}")
                        break


# -- reading ----------------------------------------------------------------------------


def read_dump(directory: Path) -> DumpPlan:
    """Parse and validate a whole dump; nothing is sent.

    Raises:
        DumpError: a collection's file is missing or is not UTF-8 text.
    """
    plan = DumpPlan()
    for collection in COLLECTIONS:
        _read_collection(plan, directory / collection.file, collection)
    plan.drop_orphans()
    return plan


def _read_collection(plan: DumpPlan, path: Path, collection: Collection) -> None:
    if not path.is_file():
        raise DumpError(f"{path} is missing from the dump")
    accepted = plan.documents.setdefault(collection.model, [])
    taken: set[tuple[str, object]] = set()
    for line, text in _lines(path):
        plan.report.read += 1
        source = f"{collection.file} line {line}"
        try:
            record = _parse(text)
        except DocumentError as error:
            plan.report.reject(source, str(error), text)
            continue
        try:
            item = _item(collection, record)
            _claim(taken, item)
        except DocumentError as error:
            plan.report.reject(source, str(error), record)
            continue
        accepted.append(Accepted(source, record, item))


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line.

    Raises:
        DumpError: the file is not UTF-8 text (mongoexport writes UTF-8).
    """
    number = 0
    try:
        with path.open(encoding="utf-8") as stream:
            for number, text in enumerate(stream, start=1):
                if text.strip():
                    yield number, text.rstrip("\n")
    except UnicodeDecodeError as error:
        raise DumpError(f"{path.name} after line {number} is not UTF-8 text: {error}") \
            from None


def _parse(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise DocumentError(f"not valid JSON: {error}") from None


def _item(collection: Collection, record: Any) -> Document:
    if not isinstance(record, dict):
        raise DocumentError(f"a document must be a JSON object, not {type(record).__name__}")
    try:
        data = from_extended_json(record)
    except RowError as error:
        raise DocumentError(str(error)) from None
    data.pop("__v", None)
    for old, new in collection.renames:
        if old in data:
            data[new] = data.pop(old)
    if "id" not in data:
        raise DocumentError("the document has no _id")
    try:
        item = collection.model.model_validate(data)
        item.to_item()  # what DynamoDB cannot store (NaN, an item over 400 KB) fails here
    except ValidationError as error:
        raise DocumentError(describe_validation_error(error)) from None
    except InvalidValue as error:
        raise DocumentError(str(error)) from None
    return item


def _claim(taken: set[tuple[str, object]], item: Document) -> None:
    """Refuse a document whose id, or unique field, an earlier document already has."""
    names = ["id", *type(item).__dynamap__.options.unique]
    claims = [(name, getattr(item, name)) for name in names]
    for name, value in claims:
        if (name, value) in taken:
            raise DocumentError(f"{name} {value!r} is used by an earlier document of the dump")
    taken.update(claims)


# -- writing and verifying ----------------------------------------------------------------


async def _write_users(db: Session, plan: DumpPlan, in_flight: int) -> None:
    slots = asyncio.Semaphore(in_flight)

    async def write(accepted: Accepted) -> None:
        async with slots:
            try:
                await db.put(accepted.item)
            except UniqueConstraintViolated as error:
                plan.refuse(accepted, f"{error.field} {error.value!r} is already taken")

    await asyncio.gather(*(write(accepted) for accepted in list(plan.documents[User])))


async def _write_the_rest(db: Session, plan: DumpPlan) -> None:
    async with db.batch() as batch:
        for collection in COLLECTIONS[1:]:
            for accepted in plan.documents[collection.model]:
                batch.put(accepted.item)


async def _verify(db: Session, plan: DumpPlan) -> None:
    report = plan.report
    for collection in COLLECTIONS:
        documents = plan.documents[collection.model]
        keys = [{"id": accepted.item.id} for accepted in documents]
        stored = await db.get_many(collection.model, keys, consistent=True)
        for accepted, found in zip(documents, stored, strict=True):
            if found is None:
                report.mismatches.append(f"{accepted.source}: missing after the import")
            elif found != accepted.item:
                report.mismatches.append(f"{accepted.source}: stored as {found!r}")
            else:
                report.verified += 1


async def import_dump(
    db: Session, directory: Path, *, users_in_flight: int = USER_WRITES_IN_FLIGHT
) -> MigrationReport:
    """Import a whole dump (see the module docstring) and report on it.

    Args:
        db: an open session.
        directory: the directory of the mongoexport files.
        users_in_flight: how many user writes (small transactions) run at once.

    Raises:
        DumpError: a collection's file is missing; nothing was written.
        BatchIncomplete: some documents could not be written after retries.
    """
    plan = read_dump(directory)
    await _write_users(db, plan, users_in_flight)
    plan.drop_orphans()
    await _write_the_rest(db, plan)
    for collection in COLLECTIONS:
        plan.report.count(collection.file.removesuffix(".json"),
                          len(plan.documents[collection.model]))
    await _verify(db, plan)
    return plan.report
