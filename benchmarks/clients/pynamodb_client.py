"""PynamoDB: its own Model classes (attributes declared per field), synchronous on
botocore; concurrent workloads run on a thread pool of the stated concurrency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from benchmarks.clients.base import Bench, chunks, threads_limited
from benchmarks.clients.botocore_cpu import BotocoreCPU
from benchmarks.dataset import TABLE

__all__ = ["PynamoBench", "create"]


def record_class(endpoint: str | None) -> type[Model]:
    """A PynamoDB model of the benchmark item, bound to `endpoint`."""

    class Meta:
        table_name = TABLE
        host = endpoint
        region = "us-east-1"
        aws_access_key_id = "bench"
        aws_secret_access_key = "bench"
        max_pool_connections = 64

    fields: dict[str, Any] = {
        "Meta": Meta,
        "PK": UnicodeAttribute(hash_key=True),
        "SK": UnicodeAttribute(range_key=True),
        "entity": UnicodeAttribute(),
        "group": UnicodeAttribute(),
        "id": UnicodeAttribute(),
        "title": UnicodeAttribute(),
        "body": UnicodeAttribute(),
        "tags": ListAttribute(of=UnicodeAttribute),
        "views": NumberAttribute(),
        "score": NumberAttribute(),
        "active": BooleanAttribute(),
        "created_at": UnicodeAttribute(),
        "extra": MapAttribute(attr_name="attributes"),  # type: ignore[no-untyped-call]
    }
    return type("BenchRecord", (Model,), fields)


class PynamoBench(Bench):
    """PynamoDB models; one model class (and connection) per endpoint."""

    name = "pynamodb"

    def __init__(self) -> None:
        self.cpu = BotocoreCPU()
        self.record = record_class(None)
        self.pools: dict[int, ThreadPoolExecutor] = {}

    async def open(self, endpoint: str) -> None:
        self.record = record_class(endpoint)

    async def close(self) -> None:
        for pool in self.pools.values():
            pool.shutdown()

    def _pool(self, size: int) -> ThreadPoolExecutor:
        if size not in self.pools:
            self.pools[size] = ThreadPoolExecutor(size)
        return self.pools[size]

    def decode(self, body: bytes) -> list[Any]:
        from_raw = self.record.from_raw_data
        return [from_raw(item) for item in self.cpu.parse_query(body)["Items"]]

    def prepare(self, plain: list[dict[str, Any]]) -> list[Model]:
        return [self.record(**{("extra" if k == "attributes" else k): v
                               for k, v in item.items()}) for item in plain]

    def encode(self, prepared: list[Model]) -> int:
        bodies = [self.cpu.serialize_batch({"RequestItems": {TABLE: [
                      {"PutRequest": {"Item": record.serialize()}} for record in chunk]}},
                      validate=False)  # PynamoDB turns validation off
                  for chunk in chunks(prepared)]
        assert bodies
        return len(prepared)

    async def query(self, partition: str) -> int:
        return len(list(self.record.query(partition)))

    async def stream(self, partition: str, every: int, probe: Callable[[], None]) -> int:
        count = 0
        for _ in self.record.query(partition):
            count += 1
            if count % every == 0:
                probe()
        return count

    def _get(self, key: tuple[str, str]) -> None:
        self.record.get(key[0], key[1])

    async def get_each(self, keys: Sequence[tuple[str, str]]) -> int:
        for key in keys:
            self._get(key)
        return len(keys)

    async def get_concurrent(self, keys: Sequence[tuple[str, str]], concurrency: int) -> int:
        return threads_limited(keys, self._get, self._pool(concurrency))

    async def put_new(self, prepared: list[Model]) -> int:
        condition = self.record.PK.does_not_exist()  # type: ignore[attr-defined]
        for record in prepared:
            record.save(condition=condition)
        return len(prepared)

    async def batch_write(self, prepared: list[Model], concurrency: int) -> int:
        share = -(-len(prepared) // concurrency)

        def write(part: Sequence[Model]) -> None:
            with self.record.batch_write() as batch:
                for record in part:
                    batch.save(record)

        parts = [prepared[i:i + share] for i in range(0, len(prepared), share)]
        threads_limited(parts, write, self._pool(concurrency))
        return len(prepared)


def create(name: str) -> PynamoBench:
    """The PynamoDB adapter."""
    return PynamoBench()
