"""`python -m benchmarks.migrations`: each example's migration over 10,000 generated
records (with a few bad, duplicate and unmapped ones), on a DynamoDB Local it starts.

Prints, per example, the report's counts (read = written + unchanged + rejected +
duplicates + skipped, unmapped fields) and the wall time of the whole run: reading,
writing and the verification that re-reads the source and the table. Then the same
migration again (a rerun: nothing written). Not collected by pytest.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynamap import Session
from dynamap.local import LocalDynamoDB
from dynamap.migrate import MigrationReport
from dynamap.testing import isolated_session

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def page_manager(directory: Path) -> Callable[[Session], Awaitable[MigrationReport]]:
    from examples.page_manager.migration import migrate_local_storage
    from examples.page_manager.models import page_manager as table

    pages = []
    for p in range(1000):  # 1,000 pages with 9 nodes each: 10,000 records
        nodes = [{"id": f"n{p}-{n}", "pageId": f"p{p}", "title": f"Node {n}",
                  "description": "about it", **({"color": "red"} if n == 0 else {})}
                 for n in range(9)]
        pages.append({"id": f"p{p}", "title": f"Page {p}", "isPublished": p % 2 == 0,
                      "nodes": nodes})
    pages.append({**pages[0], "title": "again"})  # a duplicate page (and its nodes)
    path = directory / "pages.json"
    path.write_text(json.dumps(pages))

    async def run(db: Session) -> MigrationReport:
        await db.create_tables(table)
        return await migrate_local_storage(db, path)

    return run


def prompt_to_issue(directory: Path) -> Callable[[Session], Awaitable[MigrationReport]]:
    from examples.prompt_to_issue.legacy import create_database
    from examples.prompt_to_issue.migration import migrate_sqlite
    from examples.prompt_to_issue.models import prompt_to_issue as table

    path = directory / "legacy.sqlite"
    connection = create_database(path)
    with connection:
        for u in range(96):  # 104 rows per user: about 10,000 rows
            user = f"user-{u}"
            created: Any = 1_710_000_000 if u % 2 else "2024-03-15 12:00:00"
            connection.execute("INSERT INTO users VALUES (?, ?, ?, NULL, ?, ?)",
                               (user, f"u{u}@example.com", f"User {u}", created, created))
            connection.execute("INSERT INTO settings (user_id, updated_at) VALUES (?, 1)",
                               (user,))
            for provider in ("openai", "ollama"):
                connection.execute("INSERT INTO provider_configs (id, user_id, provider, "
                                   "updated_at) VALUES (?, ?, ?, 1)",
                                   (f"{user}-{provider}", user, provider))
            for c in range(5):
                conversation = f"c{u}-{c}"
                connection.execute("INSERT INTO conversations (id, user_id, title, "
                                   "created_at, updated_at) VALUES (?, ?, 'Chat', ?, ?)",
                                   (conversation, user, 1_710_000_000 + c, 1_710_000_000 + c))
                connection.executemany(
                    "INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                    [(f"{conversation}-m{m}", conversation, ("user", "assistant")[m % 2],
                      f"message {m}", 1_710_000_000 + m) for m in range(18)])
                connection.execute("INSERT INTO tickets (id, conversation_id, user_id, "
                                   "platform, title, labels, created_at, updated_at) VALUES "
                                   "(?, ?, ?, 'github', 'T', '[\"bug\"]', 1, 1)",
                                   (f"{conversation}-t", conversation, user))
        connection.execute("INSERT INTO messages VALUES ('x', 'nowhere', 'user', 'hi', 1)")
    connection.close()

    async def run(db: Session) -> MigrationReport:
        await db.create_tables(table)
        return await migrate_sqlite(db, path)

    return run


def vishmaker(directory: Path) -> Callable[[Session], Awaitable[MigrationReport]]:
    from examples.vishmaker.migration import import_export
    from examples.vishmaker.models import ALL_MODELS

    def write(name: str, header: list[str], rows: list[list[Any]]) -> None:
        with (directory / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)

    when = "2024-03-15 12:00:00+00"
    # columns reordered, an extra one, NULL updated_at: 100 + 900 + 9,000 rows
    write("projects", ["updated_at", "id", "name", "user_id", "initial_prompt", "created_at",
                       "legacy"],
          [[None if p % 2 else when, p, f"P{p}", f"u{p % 7}", "line\nbreak", when, "x"]
           for p in range(1, 101)])
    write("user_flows", ["id", "project_id", "name", "description", "steps", "created_at"],
          [[f, (f - 1) // 9 + 1, f"F{f}", None, '["a"]', when] for f in range(1, 901)])
    write("high_level_requirements", ["id", "user_flow_id", "name", "description", "order",
                                      "created_at"],
          [[h, (h - 1) // 10 + 1, f"H{h}", "", h % 5, when] for h in range(1, 9001)]
          + [[1, 1, "again", "", 0, when]])
    for name, header in (("low_level_requirements", ["id", "high_level_requirement_id",
                                                     "name", "created_at"]),
                         ("test_cases", ["id", "low_level_requirement_id", "name",
                                         "created_at"]),
                         ("waitlist", ["id", "email", "status", "created_at"])):
        write(name, header, [])

    async def run(db: Session) -> MigrationReport:
        await db.create_tables(*ALL_MODELS)
        return await import_export(db, directory)

    return run


def video_gennie(directory: Path) -> Callable[[Session], Awaitable[MigrationReport]]:
    from examples.video_gennie.migration import migrate_file_storage
    from examples.video_gennie.storage import DynamoDBStorage

    states = directory / "generations"
    states.mkdir()
    now = datetime.now(UTC)
    for n in range(10_000):  # aged 0 to 40 days: most past the 7-day retention
        created = (now - timedelta(days=40 * n / 10_000)).isoformat()
        document = {"generationId": f"gen_{n:05d}", "createdAt": created,
                    "updatedAt": created,
                    "initialParams": {"prompt": f"video {n}", "language": "en"},
                    "audio": {"url": f"s3://a/{n}.mp3", "durationSeconds": n / 7}}
        (states / f"gen_{n:05d}.json").write_text(json.dumps(document))
    (states / "broken.json").write_text('{"generationId": ')

    async def run(db: Session) -> MigrationReport:
        storage = DynamoDBStorage(session=db)
        await storage.initialize()
        return await migrate_file_storage(storage, states)

    return run


def study_circle(directory: Path) -> Callable[[Session], Awaitable[MigrationReport]]:
    from examples.study_circle.migration import import_dump
    from examples.study_circle.models import ALL_MODELS

    def oid(kind: int, n: int) -> dict[str, str]:
        return {"$oid": f"{kind:02x}{n:022x}"}

    users = [{"_id": oid(1, u), "username": f"user{u}", "email": f"u{u}@example.com",
              "password": "$2b$10$x", "avatar": f"https://img/{u}.png",
              "apiUsage": {"requests": {"$numberInt": str(u)},
                           "credits": {"$numberDecimal": f"{u}.5"}},
              "preferences": {"theme": "dark"}, "__v": 0,
              "createdAt": {"$date": {"$numberLong": str(1_700_000_000_000 + u)}}}
             for u in range(500)]
    users.append({**users[0], "_id": oid(1, 999)})  # the same email again
    contents = [{"_id": oid(2, n), "title": f"C{n}", "owner": oid(1, n % 500),
                 "contentType": "pdf", "sourceText": "text", "legacyScore": 3,
                 "createdAt": {"$date": "2024-01-01T00:00:00Z"}} for n in range(9500)]
    lines = {"users.json": users, "contents.json": contents, "summaries.json": [],
             "exams.json": [], "templates.json": []}
    for name, documents in lines.items():
        text = "".join(json.dumps(d) + "\n" for d in documents)
        (directory / name).write_text(text + ('{"_id": ' if name == "contents.json" else ""))

    async def run(db: Session) -> MigrationReport:
        await db.create_tables(*ALL_MODELS)
        return await import_dump(db, directory)

    return run


EXAMPLES = {"page_manager": page_manager, "prompt_to_issue": prompt_to_issue,
            "vishmaker": vishmaker, "video_gennie": video_gennie,
            "study_circle": study_circle}


def counts(report: MigrationReport) -> str:
    unmapped = sorted({name for entity in report.entities for name in entity.unmapped})
    return (f"read {report.total('read'):,}, written {report.total('written'):,}, "
            f"unchanged {report.total('unchanged'):,}, rejected {report.total('rejected')}, "
            f"duplicates {report.total('duplicates')}, skipped {report.total('skipped')}, "
            f"unmapped {unmapped or 'none'}, ok {report.ok}")


async def measure(server: LocalDynamoDB, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        run = EXAMPLES[name](Path(folder))
        async with isolated_session(server.endpoint_url) as db:
            started = time.perf_counter()
            first = await run(db)
            middle = time.perf_counter()
            again = await run(db)
            ended = time.perf_counter()
    print(f"{name}: {middle - started:.1f} s; {counts(first)}")
    print(f"{name} rerun: {ended - middle:.1f} s; {counts(again)}")
    sys.stdout.flush()


def main() -> None:
    """Measure the examples named on the command line (default: all)."""
    names = sys.argv[1:] or list(EXAMPLES)
    with LocalDynamoDB("dynamodb-local") as server:
        for name in names:
            asyncio.run(measure(server, name))


if __name__ == "__main__":
    main()
