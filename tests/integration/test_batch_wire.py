"""`put_many` sends its BatchWriteItem bodies joined from each write's encoded bytes when
nothing observes the request dict, and as a dict when a hook does; either way every item
is stored exactly as encoded (read back with boto3's low-level client)."""

from __future__ import annotations

from typing import Any

import boto3

from dynamap import Key, Model, RequestEvent, Session, Table
from dynamap.local import LocalDynamoDB


class Entry(Model, table=Table("WireEntries"), entity="entry"):
    pk = Key("LOG#{log}")
    sk = Key("ENTRY#{n}")
    log: str
    n: int
    text: str
    tags: list[str]
    weights: dict[str, float]


def entries(log: str, count: int) -> list[Entry]:
    return [Entry(log=log, n=n, text=f"entry {n} \u00e9\U0001f600", tags=["a", str(n)],
                  weights={"w": n / 4}) for n in range(count)]


def expected(entry: Entry) -> dict[str, Any]:
    return {  # int key segments are zero-padded to 20 digits
        "PK": {"S": f"LOG#{entry.log}"}, "SK": {"S": f"ENTRY#{entry.n:020d}"},
        "entity": {"S": "entry"}, "log": {"S": entry.log}, "n": {"N": str(entry.n)},
        "text": {"S": entry.text}, "tags": {"L": [{"S": t} for t in entry.tags]},
        "weights": {"M": {"w": {"N": repr(entry.weights["w"])}}},
    }


def stored(server: LocalDynamoDB, table: str, log: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", endpoint_url=server.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "PK = :pk",
                               "ExpressionAttributeValues": {":pk": {"S": f"LOG#{log}"}}}
    while True:
        answer = client.query(**request)
        found += answer["Items"]
        if "LastEvaluatedKey" not in answer:
            return sorted(found, key=lambda item: int(item["n"]["N"]))
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


async def test_put_many_from_bytes_stores_every_item_as_encoded(
    db: Session, server: LocalDynamoDB
) -> None:
    await db.create_tables(Entry)
    written = entries("bytes", 60)
    assert await db.put_many(written, concurrency=3) == 60
    assert db.stats.requests["BatchWriteItem"] == 3
    assert stored(server, db.table_name(Entry), "bytes") == [expected(e) for e in written]


async def test_a_hook_sees_each_batch_request_as_a_dict(
    db: Session, server: LocalDynamoDB
) -> None:
    await db.create_tables(Entry)
    seen: list[dict[str, Any]] = []

    @db.on_request
    def record(event: RequestEvent) -> None:
        if event.operation == "BatchWriteItem":
            seen.append(dict(event.request))

    written = entries("hooked", 30)
    assert await db.put_many(written) == 30
    table = db.table_name(Entry)
    sent = [entry["PutRequest"]["Item"] for request in seen
            for entry in request["RequestItems"][table]]
    assert sorted(sent, key=lambda item: int(item["n"]["N"])) == [expected(e) for e in written]
    assert stored(server, table, "hooked") == [expected(e) for e in written]
