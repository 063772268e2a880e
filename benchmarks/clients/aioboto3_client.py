"""aioboto3's low-level client: answers come back as DynamoDB JSON dicts (botocore's
parser, no TypeDeserializer); writes go through boto3's TypeSerializer, as an
application holding Python values must (floats as Decimal: boto3 refuses floats)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import aioboto3
from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config

from benchmarks.clients.base import Bench, chunks, gather_limited
from benchmarks.clients.botocore_cpu import BotocoreCPU

__all__ = ["Aioboto3Bench", "create", "for_boto3", "typed"]

_SERIALIZER = TypeSerializer()
CONFIG = Config(max_pool_connections=64, retries={"mode": "standard"})


def for_boto3(plain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plain items with floats as Decimal, which boto3's serializer requires."""
    return [{**item, "score": Decimal(repr(item["score"]))} for item in plain]


def typed(item: dict[str, Any]) -> dict[str, Any]:
    """One item as DynamoDB JSON, by boto3's TypeSerializer."""
    serialize = _SERIALIZER.serialize
    return {name: serialize(value) for name, value in item.items()}


def key_of(pk: str, sk: str) -> dict[str, Any]:
    """A DynamoDB JSON key."""
    return {"PK": {"S": pk}, "SK": {"S": sk}}


class Aioboto3Bench(Bench):
    """aioboto3 (aiobotocore) with one client for the whole run."""

    name = "aioboto3"

    def __init__(self) -> None:
        self.cpu = BotocoreCPU()
        self.stack = AsyncExitStack()
        self.client: Any = None

    async def open(self, endpoint: str) -> None:
        session = aioboto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench",
                                   region_name="us-east-1")
        self.client = await self.stack.enter_async_context(
            session.client("dynamodb", endpoint_url=endpoint, config=CONFIG))

    async def close(self) -> None:
        await self.stack.aclose()

    def decode(self, body: bytes) -> list[Any]:
        items: list[Any] = self.cpu.parse_query(body)["Items"]
        return items

    def prepare(self, plain: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return for_boto3(plain)

    def encode(self, prepared: list[dict[str, Any]]) -> int:
        bodies = [self.cpu.serialize_batch({"RequestItems": {self.table: [
                      {"PutRequest": {"Item": typed(item)}} for item in chunk]}})
                  for chunk in chunks(prepared)]
        assert bodies
        return len(prepared)

    async def _pages(self, partition: str) -> Any:
        request: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
        }
        while True:
            answer = await self.client.query(**request)
            yield answer["Items"]
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    async def query(self, partition: str) -> int:
        items = [item async for page in self._pages(partition) for item in page]
        return len(items)

    async def stream(self, partition: str, every: int, probe: Callable[[], None]) -> int:
        count = 0
        async for page in self._pages(partition):
            for _ in page:
                count += 1
                if count % every == 0:
                    probe()
        return count

    async def _get(self, key: tuple[str, str]) -> None:
        answer = await self.client.get_item(TableName=self.table, Key=key_of(*key))
        assert "Item" in answer

    async def get_each(self, keys: Sequence[tuple[str, str]]) -> int:
        for key in keys:
            await self._get(key)
        return len(keys)

    async def get_concurrent(self, keys: Sequence[tuple[str, str]], concurrency: int) -> int:
        return await gather_limited(keys, self._get, concurrency)

    async def put_new(self, prepared: list[dict[str, Any]]) -> int:
        for item in prepared:
            await self.client.put_item(TableName=self.table, Item=typed(item),
                                       ConditionExpression="attribute_not_exists(PK)")
        return len(prepared)

    async def put_concurrent(self, prepared: list[dict[str, Any]], concurrency: int) -> int:
        async def one(item: dict[str, Any]) -> None:
            await self.client.put_item(TableName=self.table, Item=typed(item),
                                       ConditionExpression="attribute_not_exists(PK)")

        return await gather_limited(prepared, one, concurrency)

    async def batch_write(self, prepared: list[dict[str, Any]], concurrency: int) -> int:
        async def send(chunk: Sequence[dict[str, Any]]) -> None:
            writes = [{"PutRequest": {"Item": typed(item)}} for item in chunk]
            request = {self.table: writes}
            while request:
                answer = await self.client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}

        await gather_limited(chunks(prepared), send, concurrency)
        return len(prepared)


def create(name: str) -> Aioboto3Bench:
    """The aioboto3 adapter."""
    return Aioboto3Bench()
