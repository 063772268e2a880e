"""DynamoDB Streams on the real Streams API of both engines: a stream is turned on,
items are written through dynamap, and the shard is read both with boto3's
`dynamodbstreams` client (the independent truth) and with `dynamap.streams`. What
the records decode to is compared with the writes made (an in-memory oracle)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import boto3
import pytest
from models import Node, Page, pages
from pydantic import Field

from dynamap import Key, Model, Session, Table, new_id
from dynamap.local import LocalDynamoDB
from dynamap.streams import (
    Change,
    decode_event,
    decode_records,
    enable_stream,
    handle_batch,
    read_stream,
)

pytestmark = pytest.mark.integration

accounts = Table("StreamAccounts")


class Account(Model, table=accounts, entity="account", unique=("email",)):
    pk = Key("ACCOUNT#{id}")
    id: str = Field(default_factory=new_id)
    email: str
    name: str = ""


def boto_streams(server: LocalDynamoDB) -> Any:
    return boto3.client("dynamodbstreams", endpoint_url=server.endpoint_url,
                        region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def raw_records(server: LocalDynamoDB, arn: str) -> list[dict[str, Any]]:
    """Every record of the stream, through boto3 (shards in the order described)."""
    client = boto_streams(server)
    records: list[dict[str, Any]] = []
    for shard in client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            answer = client.get_records(ShardIterator=iterator)
            records += answer["Records"]
            iterator = answer.get("NextShardIterator") if answer["Records"] else None
    return records


def as_lambda_event(records: list[dict[str, Any]], arn: str) -> dict[str, Any]:
    """The event Lambda delivers for these records: JSON, epoch-second timestamps."""

    def plain(value: Any) -> Any:
        return value.timestamp() if isinstance(value, datetime) else str(value)

    shaped = [{**record, "eventSource": "aws:dynamodb", "eventSourceARN": arn,
               "awsRegion": "us-east-1"} for record in records]
    loaded: dict[str, Any] = json.loads(json.dumps({"Records": shaped}, default=plain))
    return loaded


async def _page_story(db: Session) -> tuple[str, Page, Page, Node]:
    await db.create_tables(pages)
    arn = await enable_stream(db, pages)
    page = await db.put(Page(id="p1", title="Draft"))
    first = page.model_copy()
    node = await db.put(Node(id="n1", page_id="p1", title="Intro"))
    await db.update(page, set={"title": "Live"})
    await db.delete(node)
    return arn, first, page, node


async def test_changes_decode_by_entity(db: Session, server: LocalDynamoDB) -> None:
    arn, first, page, node = await _page_story(db)
    changes = [change async for change in read_stream(db, pages)]
    assert [(c.event, c.model, c.old, c.new) for c in changes] == [
        ("INSERT", Page, None, first),
        ("INSERT", Node, None, node),
        ("MODIFY", Page, first, page),
        ("REMOVE", Node, node, None),
    ]
    assert [c.keys for c in changes] == [
        {"PK": "PAGE#p1", "SK": "META#"}, {"PK": "PAGE#p1", "SK": "NODE#n1"},
        {"PK": "PAGE#p1", "SK": "META#"}, {"PK": "PAGE#p1", "SK": "NODE#n1"}]
    truth = raw_records(server, arn)
    assert [c.sequence_number for c in changes] == [r["dynamodb"]["SequenceNumber"]
                                                    for r in truth]
    assert [c.event_id for c in changes] == [r["eventID"] for r in truth]
    assert all(c.created_at is not None for c in changes)


async def test_a_model_target_keeps_only_its_own_items(
    db: Session, server: LocalDynamoDB
) -> None:
    arn, first, page, _ = await _page_story(db)
    changes: list[Change[Page]] = [c async for c in read_stream(db, Page)]
    assert [(c.event, c.old, c.new) for c in changes] == [
        ("INSERT", None, first), ("MODIFY", first, page)]
    from_boto = decode_records(raw_records(server, arn), Page)
    assert [(c.event, c.old, c.new) for c in from_boto] == [
        ("INSERT", None, first), ("MODIFY", first, page)]


async def test_unique_markers_are_skipped(db: Session, server: LocalDynamoDB) -> None:
    await db.create_tables(Account)
    arn = await enable_stream(db, Account)
    account = await db.put(Account(id="a1", email="ada@example.com", name="Ada"))
    await db.update(account, set={"email": "ada@example.org"})
    truth = raw_records(server, arn)
    markers = [r for r in truth if r["dynamodb"]["Keys"]["PK"]["S"].startswith("__unique__#")]
    assert len(markers) == 3  # put, then the moved marker: one removed, one put
    changes = [change async for change in read_stream(db, accounts)]
    assert [(c.event, c.keys, c.item) for c in changes] == [
        ("INSERT", {"PK": "ACCOUNT#a1"}, Account(id="a1", email="ada@example.com",
                                                 name="Ada")),
        ("MODIFY", {"PK": "ACCOUNT#a1"}, account)]
    assert len(truth) == len(changes) + len(markers)


async def test_the_lambda_event_shape_decodes(db: Session, server: LocalDynamoDB) -> None:
    arn, first, page, node = await _page_story(db)
    event = as_lambda_event(raw_records(server, arn), arn)
    changes = decode_event(event, pages)
    assert [(c.event, c.item) for c in changes] == [
        ("INSERT", first), ("INSERT", node), ("MODIFY", page), ("REMOVE", node)]
    assert changes[0].created_at is not None


async def test_handle_batch_reports_the_first_failure(
    db: Session, server: LocalDynamoDB
) -> None:
    arn, *_ = await _page_story(db)
    event = as_lambda_event(raw_records(server, arn), arn)
    handled: list[str] = []

    async def handler(change: Change[Any]) -> None:
        handled.append(change.event)
        if change.event == "MODIFY":
            raise RuntimeError("downstream is down")

    result = await handle_batch(event, pages, handler)
    failed = event["Records"][2]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": failed}]}
    assert handled == ["INSERT", "INSERT", "MODIFY"]  # nothing after the failure

    handled.clear()
    everything = await handle_batch(event, pages, lambda c: _record(handled, c))
    assert everything == {"batchItemFailures": []}
    assert handled == ["INSERT", "INSERT", "MODIFY", "REMOVE"]


async def _record(handled: list[str], change: Change[Any]) -> None:
    handled.append(change.event)


async def test_a_worker_follows_new_changes(db: Session) -> None:
    await db.create_tables(pages)
    await enable_stream(db, pages)
    await db.put(Page(id="before", title="Old"))
    seen: list[Change[Any]] = []
    caught_up = asyncio.Event()

    async def worker() -> None:
        async for change in read_stream(db, pages, follow=True, poll_interval=0.05):
            seen.append(change)
            caught_up.set()
            if len(seen) == 3:
                return

    task = asyncio.create_task(worker())
    await asyncio.wait_for(caught_up.wait(), 60)  # bounds on a hang, not measurements
    await db.put(Page(id="after", title="New"))
    await db.put(Node(id="n", page_id="after", title="N"))
    await asyncio.wait_for(task, 60)
    assert [(c.event, c.keys["PK"]) for c in seen] == [
        ("INSERT", "PAGE#before"), ("INSERT", "PAGE#after"), ("INSERT", "PAGE#after")]


async def test_latest_skips_what_was_written_before(db: Session) -> None:
    await db.create_tables(pages)
    await enable_stream(db, pages)
    await db.put(Page(id="before", title="Old"))
    assert [change async for change in read_stream(db, pages, start="LATEST")] == []
    assert len([change async for change in read_stream(db, pages)]) == 1


async def test_a_table_without_a_stream_is_refused(db: Session) -> None:
    from dynamap import InvalidRequest

    await db.create_tables(pages)
    with pytest.raises(InvalidRequest, match="enable_stream"):
        _ = [change async for change in read_stream(db, pages)]
