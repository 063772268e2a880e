"""PartiQL with models on both engines. What a statement wrote is read back with
boto3's low-level client; what a SELECT returned is compared with the writes made."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from models import Node, Page, pages

from dynamap import ConditionCheckFailed, InvalidValue, PartialItem, Session, TransactionCanceled
from dynamap.expressions import Encoded
from dynamap.local import LocalDynamoDB
from dynamap.partiql import (
    Statement,
    batch_execute,
    execute,
    execute_page,
    execute_transaction,
    insert,
    iterate,
)

pytestmark = pytest.mark.integration

SELECT_PARTITION = 'SELECT * FROM {table} WHERE PK = ?'


def moto_lacks(request: pytest.FixtureRequest, engine: str, what: str) -> None:
    """Mark a test as failing on moto, whose PartiQL (py-partiql-parser) lacks `what`;
    strict, so that the mark goes when moto learns it. DynamoDB Local is the truth."""
    if engine == "moto":
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"moto's PartiQL: {what}"))


def boto(server: LocalDynamoDB) -> Any:
    return boto3.client("dynamodb", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x")


async def _page_and_nodes(db: Session, count: int = 3) -> tuple[Page, list[Node]]:
    await db.create_tables(pages)
    page = await db.put(Page(id="p1", title="Home"))
    nodes = [await db.put(Node(id=f"n{n}", page_id="p1", title=f"N{n}", position=n))
             for n in range(count)]
    return page, nodes


async def test_select_decodes_by_entity(db: Session) -> None:
    page, nodes = await _page_and_nodes(db)
    everything = await execute(db, pages, SELECT_PARTITION, "PAGE#p1")
    assert sorted(everything, key=lambda item: item.id) == [*nodes, page]
    only_nodes = await execute(db, Node, SELECT_PARTITION, "PAGE#p1")
    assert sorted(only_nodes, key=lambda node: node.id) == nodes
    one = await execute(db, Page, 'SELECT * FROM {table} WHERE PK = ? AND SK = ?',
                        "PAGE#p1", "META#", consistent=True)
    assert one == [page]


async def test_pages_follow_next_token(
    db: Session, engine: str, request: pytest.FixtureRequest
) -> None:
    moto_lacks(request, engine, "Limit and NextToken")
    _, nodes = await _page_and_nodes(db, count=7)
    first = await execute_page(db, Node, SELECT_PARTITION, "PAGE#p1", limit=3)
    assert first.next_token is not None
    items = [node async for node in iterate(db, Node, SELECT_PARTITION, "PAGE#p1",
                                            page_size=3)]
    assert sorted(items, key=lambda node: node.id) == nodes


async def test_insert_update_delete_with_parameters(
    db: Session, server: LocalDynamoDB, engine: str, request: pytest.FixtureRequest
) -> None:
    moto_lacks(request, engine, "? placeholders in an INSERT's VALUE")
    await db.create_tables(pages)
    node = Node(id="n1", page_id="p1", title="It's \"quoted\" -- and ?", position=1)
    await execute(db, Node, insert(node))
    table = db.table_name(pages)
    stored = boto(server).get_item(TableName=table, Key={"PK": {"S": "PAGE#p1"},
                                                         "SK": {"S": "NODE#n1"}})["Item"]
    assert stored == node.to_item()
    await execute(db, Node, 'UPDATE {table} SET title = ? WHERE PK = ? AND SK = ?',
                  "Renamed", "PAGE#p1", "NODE#n1")
    stored = boto(server).get_item(TableName=table, Key={"PK": {"S": "PAGE#p1"},
                                                         "SK": {"S": "NODE#n1"}})["Item"]
    assert stored["title"] == {"S": "Renamed"}
    await execute(db, Node, 'DELETE FROM {table} WHERE PK = ? AND SK = ?',
                  Encoded({"S": "PAGE#p1"}), "NODE#n1")
    assert "Item" not in boto(server).get_item(
        TableName=table, Key={"PK": {"S": "PAGE#p1"}, "SK": {"S": "NODE#n1"}})


async def test_inserting_a_taken_key_is_a_condition_failure(
    db: Session, engine: str, request: pytest.FixtureRequest
) -> None:
    moto_lacks(request, engine, "? placeholders in an INSERT's VALUE")
    await db.create_tables(pages)
    node = Node(id="n1", page_id="p1", title="x")
    await execute(db, Node, insert(node))
    with pytest.raises(ConditionCheckFailed):
        await execute(db, Node, insert(node))


async def test_a_batch_reports_each_statement(
    db: Session, engine: str, request: pytest.FixtureRequest
) -> None:
    moto_lacks(request, engine, "quoted table names in BatchExecuteStatement")
    page, nodes = await _page_and_nodes(db)
    key = 'SELECT * FROM {table} WHERE PK = ? AND SK = ?'
    results = await batch_execute(db, pages, [
        Statement(key, "PAGE#p1", "META#"),
        Statement(key, "PAGE#p1", "NODE#n1"),
        Statement(key, "PAGE#p1", "NODE#missing"),
    ])
    assert [result.item for result in results] == [page, nodes[1], None]
    assert all(result.ok for result in results)


async def test_a_transaction_writes_all_or_nothing(
    db: Session, server: LocalDynamoDB, engine: str, request: pytest.FixtureRequest
) -> None:
    moto_lacks(request, engine, "? placeholders in an INSERT's VALUE")
    await db.create_tables(pages)
    first, second = Node(id="a", page_id="p1", title="A"), Node(id="b", page_id="p1", title="B")
    assert await execute_transaction(db, Node, [insert(first), insert(second)]) == []
    table = db.table_name(pages)
    assert boto(server).scan(TableName=table)["Count"] == 2
    with pytest.raises(TransactionCanceled):
        await execute_transaction(db, Node, [  # `first` is taken: nothing of it applies
            insert(Node(id="c", page_id="p1", title="C")), insert(first)])
    assert boto(server).scan(TableName=table)["Count"] == 2
    read = 'SELECT * FROM {table} WHERE PK = ? AND SK = ?'
    found = await execute_transaction(db, Node, [Statement(read, "PAGE#p1", "NODE#a"),
                                                 Statement(read, "PAGE#p1", "NODE#b")])
    assert found == [first, second]


async def test_values_go_in_only_as_parameters(db: Session) -> None:
    sent: list[str] = []
    db.on_request(lambda event: sent.append(event.operation))
    await db.create_tables(pages)
    sent.clear()
    with pytest.raises(InvalidValue, match="1 \\? placeholder\\(s\\) and 0 parameter"):
        await execute(db, Page, SELECT_PARTITION)
    with pytest.raises(InvalidValue, match="0 \\? placeholder\\(s\\) and 1 parameter"):
        await execute(db, Page, "SELECT * FROM {table} WHERE PK = 'PAGE#?'", "x")
    with pytest.raises(InvalidValue, match="unterminated"):
        await execute(db, Page, "SELECT * FROM {table} WHERE PK = 'open")
    with pytest.raises(InvalidValue, match="at most 25"):
        await batch_execute(db, Page, [Statement(SELECT_PARTITION, "x")] * 26)
    assert sent == []  # refused before anything was sent


async def test_a_select_of_some_attributes_is_not_decoded_as_whole_models(db: Session) -> None:
    with pytest.raises(PartialItem, match="SELECT of named attributes"):
        await execute(db, Page, 'SELECT title FROM {table} WHERE PK = ?', "PAGE#p1")
