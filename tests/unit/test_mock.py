"""`Session(transport=MockTransport(...))`: the mock replaces only the HTTP exchange, so
the session's retry loop, hooks and statistics run around scripted answers."""

from __future__ import annotations

from typing import Any

import pytest

from dynamap import (
    AmbiguousWrite,
    ConditionCheckFailed,
    ConnectionFailed,
    Key,
    Model,
    RequestEvent,
    RetryPolicy,
    Session,
    SessionError,
    Table,
    Throttled,
)
from dynamap.mock import Answer, MockTransport, UnscriptedRequest

app = Table("App")
QUICK = RetryPolicy(attempts=4, budget=5.0, base=0.0001, cap=0.0002)


class User(Model, table=app, entity="user"):
    pk = Key("USER#{id}")
    id: str
    name: str


def stored(name: str) -> dict[str, Any]:
    return {"PK": {"S": "USER#1"}, "entity": {"S": "user"}, "id": {"S": "1"},
            "name": {"S": name}}


def session(mock: MockTransport, **options: Any) -> Session:
    return Session(transport=mock, retry=QUICK, coalesce_gets=False, **options)


async def test_a_get_reads_the_scripted_answer_and_records_the_request_as_sent() -> None:
    mock = MockTransport()
    mock.reply("GetItem", {"Item": stored("Ada")})
    async with session(mock, table_prefix="t-") as db:
        user = await db.get(User, id="1")
    assert user == User(id="1", name="Ada")
    assert mock.bodies("GetItem") == [{"TableName": "t-App", "Key": {"PK": {"S": "USER#1"}}}]


async def test_a_throttle_is_retried_by_the_session_and_counted() -> None:
    mock = MockTransport()
    mock.fail("PutItem", "ThrottlingException", status=400)
    mock.fail("PutItem", "ProvisionedThroughputExceededException")
    mock.reply("PutItem")
    async with session(mock) as db:
        await db.put(User(id="1", name="Ada"))
    assert mock.operations() == ["PutItem"] * 3
    assert mock.bodies("PutItem")[0] == mock.bodies("PutItem")[2]  # the same request again
    assert db.stats.retries == {"PutItem": 2}
    assert db.stats.requests == {"PutItem": 1} and db.stats.errors == {}


async def test_retries_stop_at_the_policy_and_the_error_is_typed() -> None:
    mock = MockTransport(lambda operation, body: Answer(
        400, b'{"__type":"x#ThrottlingException","message":"slow"}'))
    async with session(mock) as db:
        with pytest.raises(Throttled):
            await db.put(User(id="1", name="Ada"))
    assert len(mock.requests) == QUICK.attempts
    assert db.stats.errors == {"PutItem": 1}


async def test_hooks_see_each_request_and_its_answer() -> None:
    mock = MockTransport()
    mock.fail("PutItem", "ConditionalCheckFailedException", "The conditional request failed")
    seen: list[tuple[str, str, bool]] = []
    async with session(mock) as db:
        db.on_request(lambda event: seen.append(("request", event.operation, False)))

        @db.on_response
        def after(event: RequestEvent) -> None:
            seen.append(("response", event.operation, event.error is not None))

        with pytest.raises(ConditionCheckFailed):
            await db.send("PutItem", {"TableName": "App", "Item": stored("Ada")})
    assert seen == [("request", "PutItem", False), ("response", "PutItem", True)]


async def test_a_lost_connection_is_retried_unless_the_write_is_not_idempotent() -> None:
    mock = MockTransport()
    mock.disconnect("GetItem", sent=True)
    mock.reply("GetItem", {})
    mock.disconnect("UpdateItem", sent=True)
    add = {"TableName": "App", "Key": {"PK": {"S": "USER#1"}},
           "UpdateExpression": "ADD #n :one", "ExpressionAttributeNames": {"#n": "n"},
           "ExpressionAttributeValues": {":one": {"N": "1"}}}
    async with session(mock) as db:
        assert await db.get(User, id="1") is None
        with pytest.raises(AmbiguousWrite) as raised:
            await db.send("UpdateItem", add)
    assert isinstance(raised.value.__cause__, ConnectionFailed)
    assert mock.operations() == ["GetItem", "GetItem", "UpdateItem"]
    assert db.stats.retries == {"GetItem": 1}


async def test_a_handler_answers_what_is_not_scripted_and_an_unanswered_request_fails() -> None:
    async def handler(operation: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"Count": 0, "Items": []} if operation == "Query" else {}

    mock = MockTransport(handler)
    async with session(mock) as db:
        assert [user async for user in db.query(User, id="1")] == []
    bare = MockTransport()
    async with session(bare) as db:
        with pytest.raises(UnscriptedRequest, match="DeleteItem"):
            await db.send("DeleteItem", {"TableName": "App", "Key": {"PK": {"S": "x"}}})


async def test_the_mock_is_opened_and_closed_with_the_session() -> None:
    mock = MockTransport()
    db = session(mock)
    with pytest.raises(SessionError):
        await db.send("ListTables", {})
    async with db:
        assert mock.opened
    assert not mock.opened and mock.requests == []
