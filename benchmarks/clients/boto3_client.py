"""boto3's low-level client, synchronous: sequential workloads run in the calling
thread, concurrent ones on a thread pool of the stated concurrency (botocore clients
are thread-safe). Same data forms as the aioboto3 adapter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from benchmarks.clients.aioboto3_client import CONFIG, for_boto3, key_of, typed
from benchmarks.clients.base import Bench, chunks, threads_limited
from benchmarks.clients.botocore_cpu import BotocoreCPU

__all__ = ["Boto3Bench", "create"]


class Boto3Bench(Bench):
    """boto3 with one client for the whole run."""

    name = "boto3"

    def __init__(self) -> None:
        self.cpu = BotocoreCPU()
        self.client: Any = None
        self.pools: dict[int, ThreadPoolExecutor] = {}

    async def open(self, endpoint: str) -> None:
        self.client = boto3.session.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1",
        ).client("dynamodb", endpoint_url=endpoint, config=CONFIG)

    async def close(self) -> None:
        for pool in self.pools.values():
            pool.shutdown()
        if self.client is not None:
            self.client.close()

    def _pool(self, size: int) -> ThreadPoolExecutor:
        if size not in self.pools:
            self.pools[size] = ThreadPoolExecutor(size)
        return self.pools[size]

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

    def _pages(self, partition: str) -> Any:
        request: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
        }
        while True:
            answer = self.client.query(**request)
            yield answer["Items"]
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    async def query(self, partition: str) -> int:
        return len([item for page in self._pages(partition) for item in page])

    async def stream(self, partition: str, every: int, probe: Callable[[], None]) -> int:
        count = 0
        for page in self._pages(partition):
            for _ in page:
                count += 1
                if count % every == 0:
                    probe()
        return count

    def _get(self, key: tuple[str, str]) -> None:
        assert "Item" in self.client.get_item(TableName=self.table, Key=key_of(*key))

    async def get_each(self, keys: Sequence[tuple[str, str]]) -> int:
        for key in keys:
            self._get(key)
        return len(keys)

    async def get_concurrent(self, keys: Sequence[tuple[str, str]], concurrency: int) -> int:
        return threads_limited(keys, self._get, self._pool(concurrency))

    async def put_new(self, prepared: list[dict[str, Any]]) -> int:
        for item in prepared:
            self.client.put_item(TableName=self.table, Item=typed(item),
                                 ConditionExpression="attribute_not_exists(PK)")
        return len(prepared)

    async def batch_write(self, prepared: list[dict[str, Any]], concurrency: int) -> int:
        def send(chunk: Sequence[dict[str, Any]]) -> None:
            request = {self.table: [{"PutRequest": {"Item": typed(item)}} for item in chunk]}
            while request:
                request = self.client.batch_write_item(
                    RequestItems=request).get("UnprocessedItems") or {}

        threads_limited(chunks(prepared), send, self._pool(concurrency))
        return len(prepared)


def create(name: str) -> Boto3Bench:
    """The boto3 adapter."""
    return Boto3Bench()
