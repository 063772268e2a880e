"""pydynox's async client (Rust core: HTTP, signing, JSON and conversion happen in
Rust): plain dicts in and out."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pydynox import DynamoDBClient
from pydynox.pydynox_core import item_from_dynamo, item_to_dynamo

from benchmarks.clients.base import Bench, chunks, gather_limited

__all__ = ["PydynoxBench", "create"]

# pydynox warns of every request over 100 ms; a loaded benchmark machine sees many
logging.getLogger("pydynox").setLevel(logging.ERROR)


class PydynoxBench(Bench):
    """pydynox with one client for the whole run."""

    name = "pydynox"

    def __init__(self) -> None:
        self.client: DynamoDBClient | None = None

    async def open(self, endpoint: str) -> None:
        self.client = DynamoDBClient(region="us-east-1", endpoint_url=endpoint,
                                     access_key="bench", secret_key="bench")

    @property
    def dynamo(self) -> DynamoDBClient:
        assert self.client is not None
        return self.client

    def decode(self, body: bytes) -> list[Any]:
        # The Rust core parses the JSON itself; from Python the nearest equivalent is
        # the JSON parse, then its Rust DynamoDB-JSON -> Python conversion per item.
        return [item_from_dynamo(item) for item in json.loads(body)["Items"]]

    def encode(self, prepared: list[dict[str, Any]]) -> int:
        # Only the Python -> DynamoDB JSON conversion is reachable from Python; the
        # request's JSON text is written inside the Rust core (not measured here).
        converted = [[{"PutRequest": {"Item": item_to_dynamo(item)}} for item in chunk]
                     for chunk in chunks(prepared)]
        return sum(map(len, converted))

    def _query(self, partition: str) -> Any:
        return self.dynamo.query(self.table, "PK = :pk",
                                 expression_attribute_values={":pk": partition})

    async def query(self, partition: str) -> int:
        return len([item async for item in self._query(partition)])

    async def stream(self, partition: str, every: int, probe: Callable[[], None]) -> int:
        count = 0
        async for _ in self._query(partition):
            count += 1
            if count % every == 0:
                probe()
        return count

    async def _get(self, key: tuple[str, str]) -> None:
        assert await self.dynamo.get_item(self.table, {"PK": key[0], "SK": key[1]}) is not None

    async def get_each(self, keys: Sequence[tuple[str, str]]) -> int:
        for key in keys:
            await self._get(key)
        return len(keys)

    async def get_concurrent(self, keys: Sequence[tuple[str, str]], concurrency: int) -> int:
        return await gather_limited(keys, self._get, concurrency)

    async def put_new(self, prepared: list[dict[str, Any]]) -> int:
        for item in prepared:
            await self.dynamo.put_item(self.table, item,
                                       condition_expression="attribute_not_exists(PK)")
        return len(prepared)

    async def put_concurrent(self, prepared: list[dict[str, Any]], concurrency: int) -> int:
        async def one(item: dict[str, Any]) -> None:
            await self.dynamo.put_item(self.table, item,
                                       condition_expression="attribute_not_exists(PK)")

        return await gather_limited(prepared, one, concurrency)

    async def batch_write(self, prepared: list[dict[str, Any]], concurrency: int) -> int:
        async def send(chunk: Sequence[dict[str, Any]]) -> None:
            await self.dynamo.batch_write(self.table, put_items=list(chunk))

        await gather_limited(chunks(prepared), send, concurrency)
        return len(prepared)


def create(name: str) -> PydynoxBench:
    """The pydynox adapter."""
    return PydynoxBench()
