"""The Lambda example (`examples/serverless/handler.py`) in a process that does what
Lambda's Python runtime does: import the module once, then call the sync handler
with one event after another, the container kept warm in between. The events are
the JSON API Gateway and DynamoDB Streams deliver; the table is read back with boto3."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from conftest import ROOT, example_env

from dynamap.local import LocalDynamoDB
from dynamap.streams import enable_stream
from dynamap.testing import isolated_session
from examples.page_manager.models import Node, page_manager

pytestmark = pytest.mark.integration

#: A stand-in for Lambda's runtime loop: one event per line in, one answer per line out.
RUNTIME = """
import json, sys
from examples.serverless import handler

for line in sys.stdin:
    name, event = json.loads(line)
    result = getattr(handler, name)(event, None)
    session = handler.runner.session
    print(json.dumps({"result": result, "session": id(session),
                      "invocations": handler.runner.invocations}), flush=True)
"""


class Runtime:
    """The emulated runtime process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", RUNTIME], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps([name, event]) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the runtime process died"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=60)
        self.process.stdout.close()
        return code


@pytest.fixture
def runtime_env(server: LocalDynamoDB) -> Iterator[dict[str, str]]:
    yield example_env(**server.env())


def http_event(method: str, path: str, body: Any = None, **params: str) -> dict[str, Any]:
    return {"version": "2.0", "rawPath": path, "pathParameters": params,
            "requestContext": {"http": {"method": method, "path": path}},
            "body": None if body is None else json.dumps(body), "isBase64Encoded": False}


def stream_event(server: LocalDynamoDB, arn: str) -> dict[str, Any]:
    """The stream's records, read with boto3, as the JSON event Lambda delivers."""
    client = boto3.client("dynamodbstreams", endpoint_url=server.endpoint_url,
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    records: list[dict[str, Any]] = []
    for shard in client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            answer = client.get_records(ShardIterator=iterator)
            records += answer["Records"]
            iterator = answer.get("NextShardIterator") if answer["Records"] else None
    shaped = [{**r, "eventSource": "aws:dynamodb", "eventSourceARN": arn} for r in records]
    text = json.dumps({"Records": shaped},
                      default=lambda v: v.timestamp() if isinstance(v, datetime) else str(v))
    event: dict[str, Any] = json.loads(text)
    return event


async def test_warm_invocations_share_one_session(
    server: LocalDynamoDB, runtime_env: dict[str, str]
) -> None:
    async with isolated_session(server.endpoint_url) as db:
        await db.create_tables(page_manager)
        arn = await enable_stream(db, page_manager)
        runtime = Runtime({**runtime_env, "DYNAMAP_TABLE_PREFIX": db.table_prefix})
        try:
            created = runtime.invoke("api", http_event("POST", "/pages", {"title": "Home"}))
            page = json.loads(created["result"]["body"])
            found = runtime.invoke("api", http_event("GET", f"/pages/{page['id']}",
                                                     id=page["id"]))
            missing = runtime.invoke("api", http_event("GET", "/pages/nope", id="nope"))
        finally:
            code = runtime.stop()
        client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                              region_name="us-east-1", aws_access_key_id="x",
                              aws_secret_access_key="x")
        stored = client.get_item(TableName=db.table_name(page_manager),
                                 Key={"PK": {"S": f"PAGE#{page['id']}"},
                                      "SK": {"S": "META#"}})["Item"]
        assert await enable_stream(db, page_manager) == arn
    assert code == 0
    assert created["result"]["statusCode"] == 201
    assert stored["title"] == {"S": "Home"}
    assert json.loads(found["result"]["body"]) == page
    assert missing["result"]["statusCode"] == 404
    assert [a["invocations"] for a in (created, found, missing)] == [1, 2, 3]
    assert created["session"] == found["session"] == missing["session"]


async def test_the_stream_function_cascades_a_page_delete(
    server: LocalDynamoDB, runtime_env: dict[str, str]
) -> None:
    async with isolated_session(server.endpoint_url) as db:
        await db.create_tables(page_manager)
        arn = await enable_stream(db, page_manager)
        from examples.page_manager.models import Page

        page = await db.put(Page(id="p1", title="Home"))
        await db.put_many([Node(page_id="p1", title=f"N{n}") for n in range(3)])
        await db.put(Node(page_id="other", title="kept"))
        await db.delete(page)
        runtime = Runtime({**runtime_env, "DYNAMAP_TABLE_PREFIX": db.table_prefix})
        try:
            answer = runtime.invoke("on_change", stream_event(server, arn))
        finally:
            code = runtime.stop()
        client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                              region_name="us-east-1", aws_access_key_id="x",
                              aws_secret_access_key="x")
        left = client.scan(TableName=db.table_name(page_manager))["Items"]
    assert code == 0
    assert answer["result"] == {"batchItemFailures": []}
    assert [(i["pageId"]["S"], i["title"]["S"]) for i in left] == [("other", "kept")]
