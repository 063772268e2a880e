"""AWS errors mapped to dynamap's error classes, carrying where they happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from models import Node, Page, User, sibling_session

from dynamap import (
    ConditionCheckFailed,
    ConnectionFailed,
    F,
    InvalidKey,
    InvalidRequest,
    ItemTooLarge,
    OperationError,
    RetryPolicy,
    ServiceUnavailable,
    Session,
    TableNotFound,
    TransactionCanceled,
)
from dynamap._transport import map_error
from dynamap.errors import ERROR_CODES
from dynamap.local import LocalDynamoDB, free_port

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("code", "error_class"), sorted(ERROR_CODES.items()))
def test_every_mapped_code_resolves(code: str, error_class: type[OperationError]) -> None:
    payload = orjson.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                            "message": "what went wrong"})
    error = map_error("PutItem", "T", 400, payload, "REQ1")
    assert type(error) is error_class
    assert (error.operation, error.table, error.code, error.request_id) == (
        "PutItem", "T", code, "REQ1")
    assert "what went wrong" in str(error) and "PutItem" in str(error)


def test_unmapped_and_unreadable_answers() -> None:
    unknown = map_error("Query", None, 400, b'{"__type": "x#SomethingNew"}', None)
    assert type(unknown) is OperationError and unknown.code == "SomethingNew"
    assert type(map_error("Query", None, 503, b"<html>", None)) is ServiceUnavailable
    garbled = map_error("Query", None, 400, b"not json", "R")
    assert type(garbled) is OperationError and garbled.code == "HTTP400"
    reasons = orjson.dumps({"__type": "x#TransactionCanceledException",
                            "CancellationReasons": [{"Code": "None"}]})
    canceled = map_error("TransactWriteItems", None, 400, reasons, None)
    assert isinstance(canceled, TransactionCanceled)
    assert canceled.cancellation_reasons == [{"Code": "None"}]


def missing_table_calls(db: Session) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    page = Page(id="p", title="t")
    return [
        ("GetItem", lambda: db.get(Page, id="p")),
        ("GetItem", lambda: db.get(Page, id="p", fields=["title"])),
        ("PutItem", lambda: db.put(page)),
        ("UpdateItem", lambda: db.update(page, set={"title": "u"})),
        ("DeleteItem", lambda: db.delete(page)),
        ("Query", lambda: db.query(Node, page_id="p").all()),
        ("Scan", lambda: db.scan(Page).all()),
    ]


async def test_missing_table_is_table_not_found_with_a_hint(db: Session) -> None:
    table = db.table_name(Page)
    for operation, call in missing_table_calls(db):
        with pytest.raises(TableNotFound) as caught:
            await call()
        error = caught.value
        assert (error.operation, error.table, error.code) == (
            operation, table, "ResourceNotFoundException")
        assert error.request_id
        assert "create-tables" in str(error)


async def test_malformed_requests_are_invalid_request(
    db: Session, engine: str, server: LocalDynamoDB
) -> None:
    await db.create_tables(Page)
    table = db.table_name(Page)
    wrong_key_type = {"TableName": table, "Key": {"PK": {"N": "1"}, "SK": {"S": "x"}}}
    undefined_name = {"TableName": table, "Key": {"PK": {"S": "a"}, "SK": {"S": "b"}},
                      "UpdateExpression": "SET #missing = :v"}
    malformed = [
        ("PutItem", {"TableName": table, "Item": {"PK": {"S": "only a partition key"}}}),
        ("Query", {"TableName": table}),
        ("GetItem", wrong_key_type),
        ("UpdateItem", undefined_name),
    ]
    if engine == "moto":
        # moto differs: it answers a key of the wrong type with no item, and an undefined
        # name placeholder with HTTP 500; DynamoDB Local (the truth) refuses both as
        # ValidationException, as the loop below checks for it.
        malformed = malformed[:2]
        assert await db.send("GetItem", wrong_key_type, table=table) == {}
        async with sibling_session(db, server, retry=RetryPolicy(attempts=1)) as once:
            with pytest.raises(ServiceUnavailable):
                await once.send("UpdateItem", undefined_name, table=table)
    for operation, request in malformed:
        with pytest.raises(InvalidRequest) as caught:
            await db.send(operation, request, table=table)
        error = caught.value
        assert (error.operation, error.table, error.code) == (
            operation, table, "ValidationException")
        assert error.request_id


async def test_errors_of_the_session_calls_carry_their_context(db: Session) -> None:
    await db.create_tables(Page)
    page = await db.put(Page(title="t"))
    with pytest.raises(ConditionCheckFailed) as caught:
        await db.delete(page, condition=~(F("title") == "t"))
    error = caught.value
    assert (error.operation, error.table, error.code) == (
        "DeleteItem", db.table_name(Page), "ConditionalCheckFailedException")
    assert error.request_id
    assert db.stats.errors["DeleteItem"] == 1


async def test_bad_values_fail_before_anything_is_sent(db: Session) -> None:
    await db.create_tables(Page, User)
    sent = dict(db.stats.requests)
    with pytest.raises(ItemTooLarge):
        await db.put(User(name="x" * 500_000))
    with pytest.raises(InvalidKey):
        await db.put(Page(id="", title="empty ids cannot key an item"))
    with pytest.raises(InvalidKey):
        await db.get(Page, id="")
    with pytest.raises(InvalidKey):
        db.query(Node, page_id="")
    assert db.stats.requests == sent


async def test_an_unreachable_endpoint_is_connection_failed() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    session = Session(endpoint_url=endpoint, region="us-east-1", aws_access_key_id="x",
                      aws_secret_access_key="x", retry=RetryPolicy(attempts=2, base=0.01))
    async with session as db:
        assert await db.ping() is False
        with pytest.raises(ConnectionFailed) as caught:
            await db.send("ListTables", {})
        assert (caught.value.operation, caught.value.code) == ("ListTables", "ConnectionError")
        assert db.stats.retries["ListTables"] >= 1
