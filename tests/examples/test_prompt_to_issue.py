"""Seed 001, prompt-to-issue, end to end: the single-table layout, the repositories, the
demo data, the SQLite migration, and the program itself."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from dynamap import Session
from dynamap._tables import schema_of
from dynamap.local import LocalDynamoDB
from dynamap.migrate import migrate
from examples.prompt_to_issue.legacy import create_database
from examples.prompt_to_issue.migration import MigrationError, migrate_sqlite, sqlite_entities
from examples.prompt_to_issue.models import (
    Conversation,
    Message,
    Provider,
    ProviderConfig,
    Settings,
    Ticket,
    User,
    prompt_to_issue,
)
from examples.prompt_to_issue.repositories import (
    ConversationRepository,
    MessageRepository,
    ProviderConfigRepository,
    TicketRepository,
    UserRepository,
)
from examples.prompt_to_issue.seed import DEMO_USER_ID, seed_demo_data

pytestmark = pytest.mark.integration

RunExample = Callable[[str], subprocess.CompletedProcess[str]]
T0 = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
EPOCH = 1_710_000_000


def test_the_table_is_the_seeds() -> None:
    request = schema_of(prompt_to_issue).create_table_request()
    assert request["TableName"] == "prompt-to-issue-local"
    assert request["KeySchema"] == [{"AttributeName": "PK", "KeyType": "HASH"},
                                    {"AttributeName": "SK", "KeyType": "RANGE"}]
    assert request["GlobalSecondaryIndexes"] == [{
        "IndexName": "GSI1",
        "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                      {"AttributeName": "GSI1SK", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }]
    assert {a["AttributeName"] for a in request["AttributeDefinitions"]} == {
        "PK", "SK", "GSI1PK", "GSI1SK"}


def test_keys_follow_the_seeds_layout() -> None:
    def key(item: Any) -> tuple[str, str]:
        stored = item.to_item()
        return stored["PK"]["S"], stored["SK"]["S"]

    conversation = Conversation(id="c1", user_id="u1", title="t", created_at=T0)
    assert key(User(id="u1", email="a@b.c")) == ("USER#u1", "PROFILE")
    assert key(Settings(user_id="u1")) == ("USER#u1", "SETTINGS")
    assert key(conversation) == ("USER#u1", "CONV#2024-03-15T12:00:00.000000Z#c1")
    assert key(Message(id="m1", conversation_id="c1", role="user", content="hi",
                       created_at=T0)) == ("CONV#c1", "MSG#2024-03-15T12:00:00.000000Z#m1")
    assert key(Ticket(id="t1", conversation_id="c1", user_id="u1", platform="github",
                      title="x")) == ("CONV#c1", "TICKET#t1")
    assert key(ProviderConfig(user_id="u1", provider=Provider.ANTHROPIC)) == (
        "USER#u1", "PROVIDER#anthropic")
    assert "GSI1PK" not in conversation.to_item()  # sparse: only shared ones are indexed
    shared = conversation.model_copy(update={"share_id": "s1", "shared_at": T0}).to_item()
    assert (shared["GSI1PK"], shared["GSI1SK"]) == (
        {"S": "SHARE#s1"}, {"S": "SHARED#2024-03-15T12:00:00.000000Z"})


def test_the_table_name_comes_from_the_environment() -> None:
    code = "from examples.prompt_to_issue.models import prompt_to_issue as t; print(t.name)"
    env = {"DYNAMODB_TABLE_NAME": "prompt-to-issue-prod", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2], check=True)
    assert done.stdout.strip() == "prompt-to-issue-prod"


# -- repositories ----------------------------------------------------------------------


async def test_users_settings_and_providers(db: Session) -> None:
    await db.create_tables(prompt_to_issue)
    users, providers = UserRepository(db), ProviderConfigRepository(db)
    user = await users.create_user(User(id="u1", email="u1@example.com", name="U"))
    assert await users.get_user_by_id("u1") == user
    assert await users.get_user_by_id("nobody") is None
    defaults = await users.get_settings("u1")
    assert defaults.default_provider is Provider.OLLAMA
    await users.save_settings(defaults.model_copy(update={"theme": "dark"}))
    assert (await users.get_settings("u1")).theme == "dark"
    for provider in (Provider.OPENAI, Provider.ANTHROPIC):
        await providers.save(ProviderConfig(user_id="u1", provider=provider, model="m"))
    assert [p.provider for p in await providers.get_user_providers("u1")] == [
        Provider.ANTHROPIC, Provider.OPENAI]
    assert await providers.get("u1", Provider.GOOGLE) is None
    before = db.stats.requests.get("Query", 0)
    account = await users.get_account("u1")
    assert db.stats.requests.get("Query", 0) - before == 1
    assert account.user == user and account.settings is not None
    assert account.settings.theme == "dark" and len(account.providers) == 2


async def test_conversations_messages_and_tickets(db: Session) -> None:
    await db.create_tables(prompt_to_issue)
    conversations, messages = ConversationRepository(db), MessageRepository(db)
    for n in (2, 0, 1):
        await conversations.create_conversation(Conversation(
            id=f"c{n}", user_id="u1", title=f"C{n}", created_at=T0 + timedelta(days=n)))
    await conversations.create_conversation(Conversation(user_id="u2", title="other"))
    newest = await conversations.get_user_conversations("u1")
    assert [c.title for c in newest] == ["C2", "C1", "C0"]
    first = await conversations.get_user_conversations_page("u1", limit=2)
    rest = await conversations.get_user_conversations_page("u1", limit=2, cursor=first.cursor)
    assert [c.id for c in first.items + rest.items] == ["c2", "c1", "c0"]
    assert rest.cursor is None
    for n in (3, 1, 0, 2):
        await messages.add_message(Message(conversation_id="c1", role="user",
                                           content=f"m{n}", created_at=T0 + timedelta(seconds=n)))
    assert [m.content for m in await messages.get_conversation_messages("c1")] == [
        "m0", "m1", "m2", "m3"]
    tickets = TicketRepository(db)
    ticket = await tickets.create_ticket(Ticket(conversation_id="c1", user_id="u1",
                                                platform="gitlab", title="Bug"))
    filed = await tickets.mark_filed(ticket, "https://gitlab.example/acme/-/issues/7", 7)
    assert (filed.status, filed.issue_number) == ("created", 7)
    assert await tickets.get_conversation_tickets("c1") == [filed]
    assert await messages.get_conversation_messages("c0") == []
    found = await conversations.get_conversation("u1", "c1")
    assert found is not None and found.title == "C1"
    assert (await conversations.rename(found, "Renamed")).title == "Renamed"
    assert await conversations.get_conversation("u1", "missing") is None


async def _gsi1(db: Session) -> list[Conversation]:
    return await db.scan(Conversation, index=Conversation.shared.name).all()


async def test_sharing_puts_a_conversation_in_gsi1_and_unsharing_takes_it_out(
    db: Session
) -> None:
    await db.create_tables(prompt_to_issue)
    repo = ConversationRepository(db)
    one = await repo.create_conversation(Conversation(user_id="u1", title="one"))
    two = await repo.create_conversation(Conversation(user_id="u1", title="two"))
    assert await _gsi1(db) == []
    shared = await repo.share(one)
    assert shared.share_id is not None and shared.shared_at is not None
    token = shared.share_id
    assert [c.id for c in await _gsi1(db)] == [one.id]
    found = await repo.get_shared_conversation(token)
    assert found is not None and found.id == one.id and found.user_id == "u1"
    await repo.share(two)
    assert sorted(c.id for c in await _gsi1(db)) == sorted([one.id, two.id])
    await repo.unshare(one)
    assert one.share_id is None
    assert await repo.get_shared_conversation(token) is None
    assert [c.id for c in await _gsi1(db)] == [two.id]
    raw = await db.send("GetItem", {"TableName": db.table_name(Conversation),
                                    "Key": Conversation.__dynamap__.key_of(one)})
    assert "GSI1PK" not in raw["Item"] and "GSI1SK" not in raw["Item"]


async def test_demo_data_is_seeded_once(db: Session) -> None:
    await db.create_tables(prompt_to_issue)
    demo = await seed_demo_data(db)
    await seed_demo_data(db)
    assert await db.scan(prompt_to_issue).count() == 4 + len(demo.messages) + 1 + 1
    account = await UserRepository(db).get_account(DEMO_USER_ID)
    assert account.user == demo.user and len(account.providers) == 2
    assert account.conversations == [demo.conversation]
    stored = await MessageRepository(db).get_conversation_messages(demo.conversation.id)
    assert stored == demo.messages


# -- the SQLite migration --------------------------------------------------------------


def _insert(connection: sqlite3.Connection, table: str, **row: Any) -> None:
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))


TEXT_TIME = "2024-03-15 12:00:00"


def _fill(connection: sqlite3.Connection, users: int, conversations: int, messages: int
          ) -> None:
    for u in range(users):
        user = f"user-{u}" if u % 5 else f"user#{u}"  # '#' must not leak into keys
        created: Any = EPOCH if u % 4 else TEXT_TIME  # SQLite holds either: text is UTC
        _insert(connection, "users", id=user, email=f"u{u}@example.com",
                name=None if u == 3 else f"User {u}", created_at=created, updated_at=EPOCH + u)
        _insert(connection, "settings", user_id=user, platform="gitlab", updated_at=EPOCH)
        for provider in ("openai", "anthropic"):
            _insert(connection, "provider_configs", id=f"{user}-{provider}", user_id=user,
                    provider=provider, enabled=u % 2, updated_at=EPOCH)
        for c in range(conversations):
            conversation = f"conv-{u}-{c}"
            shared = c == 0
            _insert(connection, "conversations", id=conversation, user_id=user,
                    title=f"Chat {c}", is_shared=int(shared),
                    share_id=f"share-{conversation}" if shared else None,
                    created_at=EPOCH + c * 60, updated_at=EPOCH + c * 60)
            for m in range(messages):
                _insert(connection, "messages", id=f"{conversation}-m{m}",
                        conversation_id=conversation, role=("user", "assistant")[m % 2],
                        content=f"message {m} of {conversation}", created_at=EPOCH + m)
            _insert(connection, "tickets", id=f"{conversation}-t", conversation_id=conversation,
                    user_id=user, platform="github", title="Ticket",
                    labels=json.dumps(["bug", f"c{c}"]), created_at=EPOCH, updated_at=EPOCH)


def _add_defects(connection: sqlite3.Connection) -> dict[str, str]:
    """Rows that must be refused; returns their sources -> reason fragments."""
    rows: list[tuple[str, dict[str, Any], str]] = [
        ("users", {"id": "bad-email", "email": "nope", "created_at": EPOCH,
                   "updated_at": EPOCH}, "email: String should match pattern"),
        ("settings", {"user_id": "bad-email", "updated_at": EPOCH},
         "userId 'bad-email' is not a migrated"),
        ("settings", {"user_id": "nobody", "updated_at": EPOCH},
         "userId 'nobody' is not a migrated"),
        ("provider_configs", {"id": "p-x", "user_id": "user-1", "provider": "cohere",
                              "updated_at": EPOCH}, "provider: Input should be"),
        ("conversations", {"id": "orphan", "user_id": "nobody", "title": "x",
                           "created_at": EPOCH, "updated_at": EPOCH},
         "userId 'nobody' is not a migrated"),
        ("conversations", {"id": "half-shared", "user_id": "user-1", "title": "x",
                           "is_shared": 1, "created_at": EPOCH, "updated_at": EPOCH},
         "is_shared is 1 but share_id is empty"),
        ("conversations", {"id": "bad-time", "user_id": "user-1", "title": "x",
                           "created_at": "yesterday", "updated_at": EPOCH},
         "created_at: Invalid isoformat string"),
        ("messages", {"id": "robot", "conversation_id": "conv-1-0", "role": "robot",
                      "content": "beep", "created_at": EPOCH}, "role: Input should be"),
        ("messages", {"id": "lost", "conversation_id": "orphan", "role": "user",
                      "content": "hello?", "created_at": EPOCH},
         "conversationId 'orphan' is not a migrated"),
        ("messages", {"id": "huge", "conversation_id": "conv-1-0", "role": "user",
                      "content": "x" * 410_000, "created_at": EPOCH}, "over DynamoDB"),
        ("tickets", {"id": "t-text", "conversation_id": "conv-1-0", "user_id": "user-1",
                     "platform": "github", "title": "x", "labels": "bug",
                     "created_at": EPOCH, "updated_at": EPOCH}, "labels: not JSON"),
        ("tickets", {"id": "t-map", "conversation_id": "conv-1-0", "user_id": "user-1",
                     "platform": "github", "title": "x", "labels": '{"bug": 1}',
                     "created_at": EPOCH, "updated_at": EPOCH}, "expected a JSON array"),
        ("tickets", {"id": "t-owner", "conversation_id": "conv-1-0", "user_id": "user-2",
                     "platform": "github", "title": "x", "created_at": EPOCH,
                     "updated_at": EPOCH}, "is not the conversation's owner"),
        ("tickets", {"id": "t-platform", "conversation_id": "conv-1-0", "user_id": "user-1",
                     "platform": "bitbucket", "title": "x", "created_at": EPOCH,
                     "updated_at": EPOCH}, "platform: Input should be"),
    ]
    expected = {}
    for table, row, reason in rows:
        _insert(connection, table, **row)
        number = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        expected[f"{table} row {number}"] = reason
    return expected


async def test_migration_imports_validates_and_verifies_every_row(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    await db.create_tables(prompt_to_issue)
    source = tmp_path / "legacy.sqlite"
    connection = create_database(source)
    with connection:
        _fill(connection, users=20, conversations=5, messages=8)
        expected_rejects = _add_defects(connection)
    connection.row_factory = sqlite3.Row
    rows = {table: [dict(r) for r in connection.execute(f"SELECT * FROM {table}")]
            for table in ("users", "conversations", "messages", "tickets")}
    connection.close()

    report = await migrate_sqlite(db, source, rejects_path=tmp_path / "rejects.jsonl")

    written = {entity.name: entity.written for entity in report.entities}
    assert written == {"users": 20, "settings": 20, "provider_configs": 40,
                       "conversations": 100, "messages": 800, "tickets": 100}
    assert report.total("read") == 1080 + len(expected_rejects)
    assert report.total("verified") == 1080 and report.ok, report.summary()
    assert all(entity.balanced and not entity.unmapped for entity in report.entities)
    reasons = {p.where: p.reason for entity in report.entities for p in entity.rejected}
    assert set(reasons) == set(expected_rejects)
    for where, fragment in expected_rejects.items():
        assert fragment in reasons[where], (where, reasons[where])
    assert len((tmp_path / "rejects.jsonl").read_text().splitlines()) == len(expected_rejects)

    # the table read with boto3, against the rows read with sqlite3
    stored = plain_items(server, db.table_name(prompt_to_issue))
    assert len(stored) == 1080
    by_id = {(item["entityType"], item.get("id")): item for item in stored}
    for row in rows["messages"][:800]:
        message = by_id["message", row["id"]]
        assert (message["conversationId"], message["role"], message["content"]) == (
            row["conversation_id"], row["role"], row["content"])
        assert instant(message["createdAt"]) == datetime.fromtimestamp(row["created_at"], UTC)
    for row in rows["tickets"][:100]:
        assert by_id["ticket", row["id"]]["labels"] == json.loads(row["labels"])
    for row in rows["users"][:20]:
        user = by_id["user", row["id"]]
        assert (user["email"], user["name"]) == (row["email"], row["name"] or "")
        created = row["created_at"]
        assert instant(user["createdAt"]) == (
            datetime.fromisoformat(created).replace(tzinfo=UTC) if isinstance(created, str)
            else datetime.fromtimestamp(created, UTC))
    shared = {row["id"] for row in rows["conversations"][:100] if row["is_shared"]}
    assert {c.id for c in await _gsi1(db)} == shared and len(shared) == 20
    assert not {"bad-email", "orphan", "half-shared", "bad-time", "robot", "lost", "huge",
                "t-text", "t-map", "t-owner", "t-platform"} & {key[1] for key in by_id}
    newest = await ConversationRepository(db).get_user_conversations("user#0")
    assert [c.title for c in newest] == [f"Chat {c}" for c in range(4, -1, -1)]


def plain_items(server: LocalDynamoDB, table: str) -> list[dict[str, Any]]:
    """Every item of the table, read with boto3 and its own deserializer."""
    client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    decode = TypeDeserializer().deserialize
    return [{name: decode(value) for name, value in item.items()}
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _small_database(path: Path) -> None:
    connection = create_database(path)
    with connection:
        _fill(connection, users=6, conversations=3, messages=4)
        _add_defects(connection)
    connection.close()


async def test_a_rerun_changes_nothing(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    await db.create_tables(prompt_to_issue)
    _small_database(tmp_path / "legacy.sqlite")
    first = await migrate_sqlite(db, tmp_path / "legacy.sqlite")
    before = plain_items(server, db.table_name(prompt_to_issue))
    again = await migrate_sqlite(db, tmp_path / "legacy.sqlite")
    assert first.ok and again.ok, again.summary()
    assert again.total("written") == 0 and again.total("unchanged") == len(before)
    after = plain_items(server, db.table_name(prompt_to_issue))
    key = itemgetter("PK", "SK")
    assert sorted(after, key=key) == sorted(before, key=key)


class KilledError(Exception):
    """Stands for the process being killed in the middle of the migration."""


async def test_a_killed_migration_resumes_to_the_same_end_state(
    db: Session, server: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.create_tables(prompt_to_issue)
    _small_database(tmp_path / "legacy.sqlite")
    monkeypatch.setattr("dynamap.migrate.run.CHUNK", 10)

    def kill(entity: str, done: int) -> None:
        if entity == "messages" and done >= 30:
            raise KilledError

    with pytest.raises(KilledError):
        await migrate(db, sqlite_entities(tmp_path / "legacy.sqlite"), progress=kill)
    resumed = await migrate_sqlite(db, tmp_path / "legacy.sqlite")
    assert resumed.ok, resumed.summary()
    assert resumed["messages"].unchanged == 30 and resumed["users"].written == 0
    assert len(plain_items(server, db.table_name(prompt_to_issue))) == (
        resumed.total("written") + resumed.total("unchanged")) == 6 * (4 + 3 * 6)


async def test_migration_refuses_what_is_not_the_old_database(
    db: Session, tmp_path: Path
) -> None:
    with pytest.raises(MigrationError, match="no such database"):
        await migrate_sqlite(db, tmp_path / "missing.sqlite")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).close()
    with pytest.raises(MigrationError, match="no such table"):
        await migrate_sqlite(db, other)


# -- the program -----------------------------------------------------------------------


def test_runs_as_a_program(run_example: RunExample) -> None:
    done = run_example("examples.prompt_to_issue")
    assert done.returncode == 0, done.stderr
    assert "after unshare, GSI1 finds: None" in done.stdout
    assert "migration: verified" in done.stdout
    assert "messages: read 20 = written 18 + unchanged 0 + rejected 2" in done.stdout


def test_runs_with_no_endpoint_configured(run_fresh: RunExample) -> None:
    done = run_fresh("examples.prompt_to_issue")
    assert done.returncode == 0, done.stderr
    assert "started a local DynamoDB" in done.stdout
    assert "migration: verified" in done.stdout
