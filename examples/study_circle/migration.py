"""Move AI Study Circle's MongoDB data into its five DynamoDB tables.

The input is a directory of `mongoexport` dumps, one JSON Lines file per collection
(`mongoexport --collection users --out users.json`, ...): `users.json`,
`contents.json`, `summaries.json`, `exams.json` and `templates.json`, in MongoDB
extended JSON, relaxed or canonical (`$oid`, `$date`, `$numberLong`,
`$numberDecimal`, `$binary`, ...).

The migration is `dynamap.migrate` with one `Entity` per collection, its fields
mapped by name: `_id` becomes `id`, so ObjectId references (`owner`, `createdBy`)
stay valid as they are; the `content` reference of summaries and exams becomes
`contentId`, as the DynamoDB tables name it; Mongoose's `__v` is ignored on purpose.
Any other field of a document that the mapping does not carry is reported by name
and count. Collections run in order, so a document that refers to a user or content
that was not migrated (missing, rejected, or whose email is taken in the table) is
rejected, naming the reference. Users are written one at a time with their unique
guards on email and username; repeated ids or unique values within the dump are
duplicates (`duplicates="first"` keeps the first, naming the line it collides with).

Afterwards every collection file is read again and each migrated document is
compared, mapped field by mapped field (nested ones included), with the table read
plainly: `report.ok` is False if any mapped value did not arrive.
"""

from __future__ import annotations

from pathlib import Path

from dynamap import Session
from dynamap.migrate import (
    Duplicates,
    Entity,
    MigrationReport,
    MongoExport,
    SourceError,
    migrate,
)

from .models import Content, Exam, Summary, Template, User

__all__ = ["COLLECTIONS", "DumpError", "dump_entities", "import_dump"]

#: Users written at once; each is a small transaction with its unique guards.
USER_WRITES_IN_FLIGHT = 16

COLLECTIONS = ("users.json", "contents.json", "summaries.json", "exams.json",
               "templates.json")
_DATES = ("createdAt", "updatedAt")


class DumpError(SourceError):
    """The dump as a whole is unusable: a collection's file is missing."""


def _same(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def dump_entities(directory: Path, duplicates: Duplicates = "first") -> list[Entity]:
    """The five collections as migration entities, each after those it refers to.

    Raises:
        DumpError: a collection's file is missing; nothing is read.
    """
    for name in COLLECTIONS:
        if not (directory / name).is_file():
            raise DumpError(f"{directory / name} is missing from the dump")

    def entity(name: str, file: str, model: type[User] | type[Content] | type[Summary]
               | type[Exam] | type[Template], fields: dict[str, str],
               references: dict[str, str]) -> Entity:
        return Entity(name, MongoExport(directory / file), model,
                      fields={"id": "_id", **fields, **_same(*_DATES)}, ignore=("__v",),
                      references=references, duplicates=duplicates)

    return [
        entity("users", "users.json", User, _same(
            "username", "email", "password", "role", "subscriptionPlan", "avatar",
            "preferences", "apiUsage"), {}),
        entity("content", "contents.json", Content, _same(
            "title", "owner", "contentType", "sourceText", "filePath", "category",
            "sourceMetadata", "usage", "status"), {"owner": "users"}),
        entity("summaries", "summaries.json", Summary, {"contentId": "content", **_same(
            "owner", "summaryText", "summaryType", "style", "configuration", "metadata",
            "rating")}, {"owner": "users", "contentId": "content"}),
        entity("exams", "exams.json", Exam, {"contentId": "content", **_same(
            "owner", "title", "questions", "configuration", "attempts", "analytics",
            "feedback")}, {"owner": "users", "contentId": "content"}),
        entity("templates", "templates.json", Template, _same(
            "name", "description", "type", "category", "summaryConfig", "examConfig",
            "usage", "ratings", "isPublic", "createdBy"), {"createdBy": "users"}),
    ]


async def import_dump(
    db: Session, directory: Path, *, users_in_flight: int = USER_WRITES_IN_FLIGHT,
    duplicates: Duplicates = "first",
) -> MigrationReport:
    """Import a whole dump (see the module docstring), verify it, and report on it.

    Args:
        db: an open session; the five tables exist.
        directory: the directory of the mongoexport files.
        users_in_flight: how many writes (user transactions, batches) run at once.
        duplicates: which of the documents sharing an id, email or username is kept.

    Raises:
        DumpError: a collection's file is missing; nothing was written.
        BatchIncomplete: some documents could not be written after retries.
    """
    return await migrate(db, dump_entities(directory, duplicates),
                         concurrency=users_in_flight)
