"""The session: its life, configuration, tables, coalesced gets, stats and hooks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from models import (
    Conversation,
    Invite,
    Node,
    Page,
    User,
    UserSettings,
    pages,
    sibling_session,
)

from dynamap import AccessDenied, Session, SessionError
from dynamap._transport import RequestEvent
from dynamap.local import LocalDynamoDB
from dynamap.testing import isolated_session

pytestmark = pytest.mark.integration


def uses(db: Session) -> list[Callable[[], Awaitable[Any]]]:
    page = Page(title="t")
    return [
        lambda: db.get(Page, id="x"),
        lambda: db.get(Page, id="x", fields=["title"]),
        lambda: db.put(page),
        lambda: db.update(page, set={"title": "u"}),
        lambda: db.delete(page),
        lambda: db.send("ListTables", {}),
        lambda: db.create_tables(Page),
        lambda: db.drop_tables(Page),
        lambda: asyncio.sleep(0, db.query(Page, id="x")),
        lambda: asyncio.sleep(0, db.scan(Page)),
    ]


async def test_a_new_session_must_be_opened(db: Session, server: LocalDynamoDB) -> None:
    fresh = sibling_session(db, server)
    assert fresh.state == "new"
    for use in uses(fresh):
        with pytest.raises(SessionError, match="async with Session"):
            await use()


async def test_a_closed_session_refuses_every_use(db: Session, server: LocalDynamoDB) -> None:
    await db.create_tables(Page)
    async with sibling_session(db, server) as used:
        assert used.state == "open"
        assert await used.ping()
    assert used.state == "closed"
    for use in uses(used):
        with pytest.raises(SessionError, match="closed"):
            await use()
    await used.close()  # closing twice is harmless
    with pytest.raises(SessionError, match="create a new Session"):
        await used.open()


async def test_ping(db: Session) -> None:
    assert await db.ping() is True


async def test_create_tables_is_idempotent_and_waits(db: Session) -> None:
    created = await db.create_tables(Page, User, Invite)
    assert created == [f"create table {db.table_name(Page)}",
                       f"create table {db.table_name(User)}",
                       f"create table {db.table_name(Invite)}"]
    assert await db.create_tables(Page, Node, pages, User, Invite) == []
    described = (await db.send("DescribeTable", {"TableName": db.table_name(Page)}))["Table"]
    assert described["TableStatus"] == "ACTIVE"
    indexes = {i["IndexName"]: i["IndexStatus"] for i in described["GlobalSecondaryIndexes"]}
    assert indexes == {"PublishedPagesIndex": "ACTIVE", "PageNodesIndex": "ACTIVE"}
    ttl = await db.send("DescribeTimeToLive", {"TableName": db.table_name(Invite)})
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] in ("ENABLED", "ENABLING")


async def test_create_tables_adds_a_missing_gsi(db: Session) -> None:
    name = db.table_name(Conversation)
    await db.send("CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"},
                                 {"AttributeName": "SK", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"},
                      {"AttributeName": "SK", "KeyType": "RANGE"}]})
    assert await db.create_tables(Conversation) == [f"add index GSI1 to {name}"]
    assert await db.create_tables(Conversation) == []
    shared = await db.put(Conversation(user_id="u", share_id="s"))
    assert await db.query(Conversation, index="GSI1", share_id="s").all() == [shared]


async def test_drop_tables(db: Session) -> None:
    await db.create_tables(Page)
    assert await db.drop_tables(Page, Node) == [db.table_name(Page)]
    assert await db.drop_tables(Page) == []


async def test_table_names_carry_the_prefix(db: Session) -> None:
    assert db.table_prefix.startswith("t")
    assert db.table_name(Page) == f"{db.table_prefix}PageManager"
    assert db.table_name(pages) == db.table_name(Node)


# -- configuration from the environment ---------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS configuration at all: no endpoint, region, profile, files or metadata."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_ENDPOINT",
                 "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "DYNAMAP_TABLE_PREFIX", "DYNAMAP_CURSOR_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


async def open_and_close(session: Session) -> Session:
    async with session:
        assert await session.ping()
    return session


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_ENDPOINT"])
async def test_endpoint_and_prefix_from_the_environment(
    clean_env: pytest.MonkeyPatch, server: LocalDynamoDB, variable: str
) -> None:
    clean_env.setenv(variable, server.endpoint_url)
    clean_env.setenv("DYNAMAP_TABLE_PREFIX", "envtest-")
    session = Session()
    assert session.table_prefix == "envtest-"
    assert session.table_name(Page) == "envtest-PageManager"
    await open_and_close(session)
    assert session.transport.endpoint_url == server.endpoint_url
    assert session.transport.region == "us-east-1"  # a local endpoint needs no region


async def test_endpoint_precedence(clean_env: pytest.MonkeyPatch, server: LocalDynamoDB) -> None:
    dead = "http://127.0.0.1:9"
    clean_env.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.endpoint_url)
    clean_env.setenv("DYNAMODB_ENDPOINT", dead)
    assert (await open_and_close(Session())).transport.endpoint_url == server.endpoint_url
    clean_env.setenv("AWS_ENDPOINT_URL_DYNAMODB", dead)
    explicit = await open_and_close(Session(endpoint_url=server.endpoint_url,
                                            table_prefix=""))
    assert explicit.transport.endpoint_url == server.endpoint_url
    assert explicit.table_prefix == ""


async def test_the_environment_prefix_isolates_tables(
    clean_env: pytest.MonkeyPatch, server: LocalDynamoDB
) -> None:
    clean_env.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.endpoint_url)
    async with isolated_session(server.endpoint_url) as other:
        clean_env.setenv("DYNAMAP_TABLE_PREFIX", other.table_prefix)
        async with Session() as db:
            await db.create_tables(Page)
            page = await db.put(Page(title="via env"))
        assert await other.get(Page, id=page.id) == page


async def test_without_an_endpoint_the_region_picks_the_aws_endpoint(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("AWS_REGION", "eu-west-3")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    session = Session()
    await session.open()  # resolves endpoint and credentials; sends nothing
    try:
        assert session.transport.endpoint_url == "https://dynamodb.eu-west-3.amazonaws.com"
        assert session.transport.region == "eu-west-3"
        credentials = await session.transport.credentials()
        assert credentials.access_key == "AKIDEXAMPLE"
    finally:
        await session.close()
    assert session.table_prefix == ""


async def test_without_an_endpoint_a_region_is_required(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SessionError, match="AWS_REGION"):
        await Session().open()


async def test_without_an_endpoint_credentials_are_required(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("AWS_REGION", "eu-west-3")
    with pytest.raises(AccessDenied, match="AWS_ENDPOINT_URL_DYNAMODB"):
        await Session().open()


# -- coalesced gets ------------------------------------------------------------------------


async def test_concurrent_gets_are_coalesced(db: Session) -> None:
    await db.create_tables(Page)
    stored = [await db.put(Page(id=f"p{i}", title=f"t{i}")) for i in range(45)]
    before = dict(db.stats.requests)
    wanted = [f"p{i}" for i in range(50)]  # p45..p49 do not exist
    found = await asyncio.gather(*(db.get(Page, id=ident) for ident in wanted))
    assert found == [*stored, None, None, None, None, None]
    assert db.stats.requests["BatchGetItem"] - before.get("BatchGetItem", 0) == 1
    assert db.stats.requests.get("GetItem", 0) == before.get("GetItem", 0)


async def test_coalescing_splits_by_consistency_chunks_and_dedupes(db: Session) -> None:
    await db.create_tables(Page)
    stored = [await db.put(Page(id=f"p{i}", title=f"t{i}")) for i in range(120)]
    before = db.stats.requests.get("BatchGetItem", 0)
    found = await asyncio.gather(*(db.get(Page, id=f"p{i}") for i in range(120)))
    assert found == stored
    assert db.stats.requests["BatchGetItem"] - before == 2  # 100 keys per request
    before = db.stats.requests["BatchGetItem"]
    twice = await asyncio.gather(db.get(Page, id="p1"), db.get(Page, id="p1"),
                                 db.get(Page, id="p2", consistent=True))
    assert twice == [stored[1], stored[1], stored[2]]
    # p1 (asked twice, sent once) goes alone as a GetItem, p2 in its own consistent read.
    assert db.stats.requests["BatchGetItem"] == before


async def test_coalesced_gets_of_models_sharing_a_table(db: Session) -> None:
    await db.create_tables(User)
    user = await db.put(User(id="u", name="U"))
    settings = await db.put(UserSettings(user_id="u"))
    before = db.stats.requests.get("BatchGetItem", 0)
    found = await asyncio.gather(db.get(User, id="u"), db.get(UserSettings, user_id="u"),
                                 db.get(User, id="nobody"))
    assert found == [user, settings, None]
    assert db.stats.requests["BatchGetItem"] == before + 1


async def test_gets_are_sent_one_by_one_without_coalescing(
    db: Session, server: LocalDynamoDB
) -> None:
    await db.create_tables(Page)
    stored = [await db.put(Page(id=f"p{i}", title=f"t{i}")) for i in range(50)]
    async with sibling_session(db, server, coalesce_gets=False) as plain:
        found = await asyncio.gather(*(plain.get(Page, id=f"p{i}") for i in range(50)))
        assert found == stored
        assert plain.stats.requests == {"GetItem": 50}


async def test_coalesced_get_errors_reach_every_caller(db: Session) -> None:
    results = await asyncio.gather(*(db.get(Page, id=f"p{i}") for i in range(3)),
                                   return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["TableNotFound"] * 3


# -- stats and hooks -----------------------------------------------------------------------


async def test_stats_and_hooks(db: Session) -> None:
    seen: list[tuple[str, str, bool]] = []

    @db.on_request
    def before(event: RequestEvent) -> None:
        seen.append(("request", event.operation, event.response is None))

    @db.on_response
    async def after(event: RequestEvent) -> None:
        seen.append(("response", event.operation, event.error is None))

    await db.create_tables(Page)
    seen.clear()
    await db.put(Page(title="t"))
    await db.get(Page, id="missing")
    assert seen == [("request", "PutItem", True), ("response", "PutItem", True),
                    ("request", "GetItem", True), ("response", "GetItem", True)]
    assert db.stats.requests["PutItem"] == 1
