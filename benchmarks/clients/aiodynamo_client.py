"""aiodynamo with its aiohttp adaptor: plain dicts in and out (numbers as float, its
default `numeric_type`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from aiodynamo.client import Client
from aiodynamo.credentials import Key, StaticCredentials
from aiodynamo.expressions import F, HashKey
from aiodynamo.http.aiohttp import AIOHTTP
from aiodynamo.models import BatchWriteRequest
from aiodynamo.utils import dy2py, py2dy
from yarl import URL

from benchmarks.clients.base import Bench, chunks, gather_limited

__all__ = ["AiodynamoBench", "create"]


class AiodynamoBench(Bench):
    """aiodynamo with one aiohttp session for the whole run."""

    name = "aiodynamo"

    def __init__(self) -> None:
        self.http: aiohttp.ClientSession | None = None
        self.client: Client | None = None

    async def open(self, endpoint: str) -> None:
        self.http = aiohttp.ClientSession()
        self.client = Client(AIOHTTP(self.http), StaticCredentials(Key("bench", "bench")),
                             "us-east-1", URL(endpoint))

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()

    @property
    def dynamo(self) -> Client:
        assert self.client is not None
        return self.client

    def decode(self, body: bytes) -> list[Any]:
        # what Client.query does with each answer: json.loads, then dy2py per item
        return [dy2py(item, float) for item in json.loads(body)["Items"]]

    def encode(self, prepared: list[dict[str, Any]]) -> int:
        # what Client.batch_write and the request signer do before sending
        bodies = [
            json.dumps({"RequestItems": {self.table: [
                {"PutRequest": {"Item": py2dy(item)}} for item in chunk]}},
                separators=(",", ":")).encode("utf-8")
            for chunk in chunks(prepared)
        ]
        assert bodies
        return len(prepared)

    async def query(self, partition: str) -> int:
        items = [item async for item in self.dynamo.query(self.table, HashKey("PK", partition))]
        return len(items)

    async def stream(self, partition: str, every: int, probe: Callable[[], None]) -> int:
        count = 0
        async for _ in self.dynamo.query(self.table, HashKey("PK", partition)):
            count += 1
            if count % every == 0:
                probe()
        return count

    async def _get(self, key: tuple[str, str]) -> None:
        await self.dynamo.get_item(self.table, {"PK": key[0], "SK": key[1]})

    async def get_each(self, keys: Sequence[tuple[str, str]]) -> int:
        for key in keys:
            await self._get(key)
        return len(keys)

    async def get_concurrent(self, keys: Sequence[tuple[str, str]], concurrency: int) -> int:
        return await gather_limited(keys, self._get, concurrency)

    async def put_new(self, prepared: list[dict[str, Any]]) -> int:
        condition = F("PK").does_not_exist()
        for item in prepared:
            await self.dynamo.put_item(self.table, item, condition=condition)
        return len(prepared)

    async def put_concurrent(self, prepared: list[dict[str, Any]], concurrency: int) -> int:
        condition = F("PK").does_not_exist()

        async def one(item: dict[str, Any]) -> None:
            await self.dynamo.put_item(self.table, item, condition=condition)

        return await gather_limited(prepared, one, concurrency)

    async def batch_write(self, prepared: list[dict[str, Any]], concurrency: int) -> int:
        async def send(chunk: Sequence[dict[str, Any]]) -> None:
            pending = list(chunk)
            while pending:
                result = await self.dynamo.batch_write(
                    {self.table: BatchWriteRequest(items_to_put=pending)})
                unwritten = result.get(self.table)
                pending = unwritten.unput_items if unwritten else []

        await gather_limited(chunks(prepared), send, concurrency)
        return len(prepared)


def create(name: str) -> AiodynamoBench:
    """The aiodynamo adapter."""
    return AiodynamoBench()
