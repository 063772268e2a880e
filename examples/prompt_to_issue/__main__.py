"""Run prompt-to-issue end to end: `python -m examples.prompt_to_issue`.

Like the seed's `npm run db:setup`, it creates the table and seeds the demo data, then
walks through the repositories' operations, and finally migrates a sample of the old
SQLite database (with a few rows that do not fit, which end in the rejects report).
With no DynamoDB endpoint configured it starts a local DynamoDB for the run; with
`DYNAMODB_ENDPOINT` / `AWS_ENDPOINT_URL_DYNAMODB` set, or AWS credentials, it uses
that instead. The table is `DYNAMODB_TABLE_NAME` (default `prompt-to-issue-local`).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from dynamap import Session
from dynamap.migrate import MigrationReport
from examples._runner import run_on_dynamodb
from examples.prompt_to_issue.legacy import create_database
from examples.prompt_to_issue.migration import migrate_sqlite
from examples.prompt_to_issue.models import prompt_to_issue
from examples.prompt_to_issue.repositories import (
    ConversationRepository,
    MessageRepository,
    ProviderConfigRepository,
    TicketRepository,
    UserRepository,
)
from examples.prompt_to_issue.seed import seed_demo_data

_T0 = 1_710_000_000  # 2024-03-09, in Unix seconds, as the old schema stores time


def write_sample_database(path: Path, users: int = 3, conversations: int = 2,
                          messages: int = 3) -> None:
    """An old-schema SQLite database with a little data, and three rows that do not fit."""
    connection = create_database(path)
    with connection:
        for u in range(users):
            user = f"legacy-user-{u}"
            connection.execute("INSERT INTO users VALUES (?, ?, ?, NULL, ?, ?)",
                               (user, f"user{u}@example.com", f"User {u}", _T0, _T0))
            connection.execute("INSERT INTO settings (user_id, updated_at) VALUES (?, ?)",
                               (user, _T0))
            connection.execute(
                "INSERT INTO provider_configs (id, user_id, provider, model, updated_at) "
                "VALUES (?, ?, 'openai', 'gpt-4o', ?)", (f"pc-{u}", user, _T0))
            for c in range(conversations):
                _conversation(connection, user, f"legacy-conv-{u}-{c}", messages, shared=c == 0)
        connection.execute("INSERT INTO users VALUES ('bad-user', 'not an email', NULL, NULL, "
                           "?, ?)", (_T0, _T0))
        connection.execute("INSERT INTO messages VALUES ('stray', 'no-such-conversation', "
                           "'user', 'hello?', ?)", (_T0,))
        connection.execute("INSERT INTO messages VALUES ('robot', 'legacy-conv-0-0', "
                           "'robot', 'beep', ?)", (_T0,))
    connection.close()


def _conversation(connection: sqlite3.Connection, user: str, conversation: str,
                  messages: int, *, shared: bool) -> None:
    connection.execute(
        "INSERT INTO conversations VALUES (?, ?, ?, 'ollama', 'llama3', ?, ?, ?, ?, ?)",
        (conversation, user, f"Chat {conversation}", int(shared),
         f"share-{conversation}" if shared else None, _T0 if shared else None, _T0, _T0))
    for m in range(messages):
        connection.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                           (f"{conversation}-m{m}", conversation,
                            "user" if m % 2 == 0 else "assistant", f"message {m}", _T0 + m))
    connection.execute(
        "INSERT INTO tickets (id, conversation_id, user_id, platform, title, labels, "
        "created_at, updated_at) VALUES (?, ?, ?, 'gitlab', 'A ticket', '[\"bug\"]', ?, ?)",
        (f"{conversation}-t", conversation, user, _T0, _T0))


async def tour(db: Session) -> None:
    """Seed the demo data and walk through what each repository does."""
    demo = await seed_demo_data(db)
    users, conversations = UserRepository(db), ConversationRepository(db)
    user = await users.get_user_by_id(demo.user.id)
    assert user is not None
    print(f"user {user.name!r} <{user.email}>, settings:",
          (await users.get_settings(user.id)).model_dump(mode="json", exclude={"updated_at"}))
    providers = await ProviderConfigRepository(db).get_user_providers(user.id)
    print("providers:", [(p.provider.value, p.enabled) for p in providers])
    newest = await conversations.get_user_conversations(user.id)
    print("conversations, newest first:", [c.title for c in newest])
    messages = await MessageRepository(db).get_conversation_messages(demo.conversation.id)
    for message in messages:
        print(f"  {message.role:>9}: {message.content}")
    tickets = await TicketRepository(db).get_conversation_tickets(demo.conversation.id)
    print("tickets:", [(t.title, t.status) for t in tickets])
    share_id = (await conversations.share(demo.conversation)).share_id
    assert share_id is not None
    found = await conversations.get_shared_conversation(share_id)
    print(f"shared as {share_id!r}; GSI1 finds:", found and found.title)
    await conversations.unshare(demo.conversation)
    print("after unshare, GSI1 finds:", await conversations.get_shared_conversation(share_id))


async def run(db: Session, workdir: Path) -> MigrationReport:
    """Create the table, seed and tour, then migrate the sample SQLite database."""
    print("tables:", await db.create_tables(prompt_to_issue) or "already there")
    await tour(db)
    source = workdir / "prompt-to-issue.sqlite"
    write_sample_database(source)
    report = await migrate_sqlite(db, source, rejects_path=workdir / "rejects.jsonl")
    print("migration:", "verified" if report.ok else "FAILED")
    print(report.summary())
    for entity in report.entities:
        for problem in entity.rejected:
            print(f"  rejected {problem.where}: {problem.reason}")
    return report


async def _main() -> bool:
    async with Session() as db:
        with tempfile.TemporaryDirectory() as workdir:
            report = await run(db, Path(workdir))
    return report.ok


def main() -> None:
    """Run on the configured DynamoDB, or on a local one started for the run."""
    run_on_dynamodb(lambda _embedded: _main())


if __name__ == "__main__":
    main()
