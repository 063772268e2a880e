"""AI Study Circle on dynamap: `python -m examples.study_circle`.

Creates the five tables under the seed's `DYNAMODB_TABLE_PREFIX` (default
`ai-study-circle`), signs users up with unique emails and usernames, finds them by
email, username and id (`batchGet`), lists content newest first page by page, reads a
content's summaries and exams, records an exam attempt, lists public templates and
templates by type, and imports a small `mongoexport` dump with bad lines in it.

With no endpoint configured (`AWS_ENDPOINT_URL_DYNAMODB` / `DYNAMODB_ENDPOINT`) it
starts a local DynamoDB and drops its tables at the end; against a configured
endpoint it leaves the tables in place.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from dynamap import Session, UniqueConstraintViolated
from examples._runner import run_on_dynamodb

from .migration import import_dump
from .models import (
    ALL_MODELS,
    Attempt,
    Content,
    Exam,
    Question,
    Summary,
    Template,
    User,
    study_circle_session,
    table_prefix,
)
from .repository import (
    content_of,
    exams_of,
    find_by_email,
    find_by_username,
    public_templates,
    record_attempt,
    sign_up,
    summaries_of,
    templates_of_type,
    users_by_ids,
)

#: A tiny mongoexport dump: relaxed and canonical extended JSON, a broken line, a
#: second account with a taken email, and a summary of content that does not exist.
SAMPLE_DUMP = {
    "users.json": [
        '{"_id":{"$oid":"65a000000000000000000001"},"username":"lin","email":"lin@example.com",'
        '"password":"$2b$10$abc","role":"teacher","avatar":"https://img.example/lin.png",'
        '"preferences":{"theme":"dark"},"apiUsage":{"requests":{"$numberInt":"12"},'
        '"credits":{"$numberDecimal":"4.5"},"tokensUsed":{"$numberLong":"120000"}},'
        '"createdAt":{"$date":"2024-01-10T08:00:00.000Z"},"__v":0}',
        '{"_id":{"$oid":"65a000000000000000000002"},"username":"lin2","email":"lin@example.com",'
        '"password":"$2b$10$def","createdAt":{"$date":{"$numberLong":"1704873600000"}}}',
        '{"_id":{"$oid":"65a000000000000000000003"},"username":"sam",',
    ],
    "contents.json": [
        '{"_id":{"$oid":"65b000000000000000000001"},"title":"Cell biology","owner":{"$oid":'
        '"65a000000000000000000001"},"contentType":"pdf","sourceText":"Cells are ...",'
        '"usage":{"views":{"$numberInt":"3"}},"createdAt":{"$date":"2024-01-11T09:00:00Z"}}',
    ],
    "summaries.json": [
        '{"_id":{"$oid":"65c000000000000000000001"},"owner":{"$oid":"65a000000000000000000001"},'
        '"content":{"$oid":"65b000000000000000000001"},"summaryText":"Cells are small.",'
        '"rating":{"$numberInt":"5"}}',
        '{"_id":{"$oid":"65c000000000000000000002"},"owner":{"$oid":"65a000000000000000000001"},'
        '"content":{"$oid":"65b0000000000000000000ff"},"summaryText":"Of nothing."}',
    ],
    "exams.json": [
        '{"_id":{"$oid":"65d000000000000000000001"},"owner":{"$oid":"65a000000000000000000001"},'
        '"content":{"$oid":"65b000000000000000000001"},"questions":[{"text":"What is a cell?",'
        '"kind":"short_answer","answer":"A unit of life"}],"attempts":[{"userId":"65a00000000000'
        '0000000001","score":{"$numberDouble":"0.75"},"takenAt":{"$date":"2024-01-12T10:00:00Z"}}]}',
    ],
    "templates.json": [
        '{"_id":{"$oid":"65e000000000000000000001"},"name":"Quick quiz","type":"exam",'
        '"category":"biology","isPublic":true,"createdBy":{"$oid":"65a000000000000000000001"}}',
    ],
}


async def people(db: Session) -> list[User]:
    """Sign three users up, then show that emails and usernames are unique."""
    users = [await sign_up(db, User(username=name, email=f"{name}@example.com",
                                    password="$2b$10$hash"))
             for name in ("ada", "grace", "alan")]
    for clash in (User(username="ada2", email="ada@example.com", password="x"),
                  User(username="ada", email="other@example.com", password="x")):
        try:
            await sign_up(db, clash)
        except UniqueConstraintViolated as taken:
            print(f"sign-up refused: {taken.field} {taken.value!r} is taken")
    by_email = await find_by_email(db, "grace@example.com")
    by_name = await find_by_username(db, "alan")
    print("by email:", by_email and by_email.username, "| by username:",
          by_name and by_name.email)
    found = await users_by_ids(db, [users[2].id, "no-such-user", users[0].id])
    print("batchGet:", [user.username if user else None for user in found])
    return users


async def studying(db: Session, owner: User, other: User) -> None:
    """Content newest first by page, its summaries and exams, an attempt, templates."""
    start = datetime(2024, 2, 1, tzinfo=UTC)
    async with db.batch() as batch:
        for day in range(5):
            batch.put(Content(title=f"Chapter {day + 1}", owner=owner.id,
                              created_at=start + timedelta(days=day)))
    first = await content_of(db, owner.id, limit=2)
    second = await content_of(db, owner.id, limit=2, cursor=first.cursor)
    print("newest content:", [c.title for c in first.items], "then",
          [c.title for c in second.items])

    chapter = first.items[0]
    await db.put(Summary(owner=owner.id, content_id=chapter.id, summary_text="In short: ..."))
    exam = await db.put(Exam(owner=owner.id, content_id=chapter.id, title="Quiz",
                             questions=[Question(text="2 + 2?", options=["3", "4"],
                                                 answer="4")]))
    exam = await record_attempt(db, exam, Attempt(user_id=other.id, score=1.0))
    print(f"{chapter.title}: {len(await summaries_of(db, chapter.id))} summary,",
          f"{len(await exams_of(db, chapter.id))} exam; analytics {exam.analytics}")

    kinds: list[tuple[Literal["summary", "exam"], str, bool]] = [
        ("exam", "math", True), ("summary", "math", False), ("exam", "biology", True)]
    for n, (kind, category, public) in enumerate(kinds):
        await db.put(Template(name=f"T{n}", type=kind, category=category, is_public=public,
                              created_by=owner.id, created_at=start + timedelta(hours=n)))
    shared = await public_templates(db, limit=10)
    math_exams = await templates_of_type(db, "exam", "math")
    print("public templates, newest first:", [t.name for t in shared.items],
          "| math exams:", [t.name for t in math_exams])


async def migrate(db: Session) -> None:
    """Import the sample dump and print the report."""
    with tempfile.TemporaryDirectory() as directory:
        for name, lines in SAMPLE_DUMP.items():
            (Path(directory) / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = await import_dump(db, Path(directory))
    print("migration:", "verified" if report.ok else "FAILED")
    print(report.summary())
    for entity in report.entities:
        for problem in (*entity.rejected, *entity.duplicates):
            print(f"  rejected {problem.where}: {problem.reason}")


async def tour(drop: bool) -> None:
    """Run every access pattern once; drop the tables afterwards if `drop`."""
    async with study_circle_session() as db:
        print("table prefix:", repr(table_prefix()), "-> users table",
              db.table_name(User))
        print("tables:", await db.create_tables(*ALL_MODELS) or "already there")
        ada, grace, _ = await people(db)
        await studying(db, ada, grace)
        await migrate(db)
        if drop:
            print("dropped:", await db.drop_tables(*ALL_MODELS))


def main() -> None:
    """Run the tour, on a local DynamoDB unless an endpoint is configured."""
    run_on_dynamodb(lambda embedded: tour(drop=embedded))


if __name__ == "__main__":
    main()
