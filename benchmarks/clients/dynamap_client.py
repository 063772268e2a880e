"""dynamap: validated models (or, as `dynamap-raw`, plain dicts via `.raw()`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from benchmarks.clients.base import Bench, gather_limited
from benchmarks.dataset import BenchItem
from dynamap import F, Session
from dynamap.operations import put_request
from dynamap.readtarget import plain_item, resolve_target

__all__ = ["DynamapBench", "create"]

_NOT_FIELDS = frozenset({"PK", "SK", "entity"})


class DynamapBench(Bench):
    """dynamap's public API; `raw` reads plain dicts instead of models."""

    def __init__(self, name: str, *, raw: bool = False, coalesce: bool = False) -> None:
        self.name = name
        self.raw = raw
        self.coalesce = coalesce
        self.db: Session | None = None
        self.compiled = BenchItem.__dynamap__
        self.target = resolve_target(BenchItem, None)

    async def open(self, endpoint: str) -> None:
        self.db = Session(endpoint_url=endpoint, region="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench",
                          coalesce_gets=self.coalesce)
        await self.db.open()

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()

    @property
    def session(self) -> Session:
        assert self.db is not None
        return self.db

    # -- CPU only ----------------------------------------------------------------

    def decode(self, body: bytes) -> int:
        items = orjson.loads(body)["Items"]
        if self.raw:
            decoded: list[Any] = [plain_item(raw) for raw in items]
        else:  # what a query resolves once per read, then runs per item
            decode = self.target.decoder(partial=False, unknown="skip")
            decoded = [decode(raw) for raw in items]
        return len(decoded)

    def prepare(self, plain: list[dict[str, Any]]) -> list[BenchItem]:
        return [BenchItem.model_validate({k: v for k, v in item.items() if k not in _NOT_FIELDS})
                for item in plain]

    def encode(self, prepared: list[BenchItem]) -> int:
        compiled, table = self.compiled, self.table
        bodies = [orjson.dumps(put_request(compiled, instance, table).request)
                  for instance in prepared]
        return len(bodies)

    # -- network -----------------------------------------------------------------

    def _query(self, partition: str) -> Any:
        query = self.session.query(BenchItem, group=partition.removeprefix("GROUP#"))
        return query.raw() if self.raw else query

    async def query(self, partition: str) -> int:
        return len(await self._query(partition).all())

    async def get_each(self, keys: Sequence[tuple[str, str]]) -> int:
        get = self.session.get
        for pk, sk in keys:
            found = await get(BenchItem, group=pk.removeprefix("GROUP#"),
                              id=sk.removeprefix("ITEM#"))
            assert found is not None
        return len(keys)

    async def get_concurrent(self, keys: Sequence[tuple[str, str]], concurrency: int) -> int:
        get = self.session.get

        async def one(key: tuple[str, str]) -> None:
            found = await get(BenchItem, group=key[0].removeprefix("GROUP#"),
                              id=key[1].removeprefix("ITEM#"))
            assert found is not None

        return await gather_limited(keys, one, concurrency)

    async def put_new(self, prepared: list[BenchItem]) -> int:
        put, condition = self.session.put, F("PK").not_exists()
        for instance in prepared:
            await put(instance, condition=condition)
        return len(prepared)

    async def batch_write(self, prepared: list[BenchItem], concurrency: int) -> int:
        # put_many encodes as it sends (db.batch() encodes every item when it is added,
        # so that nothing is sent if the block fails: the same requests, sent later)
        return await self.session.put_many(prepared, concurrency=concurrency)

    async def stream(self, partition: str, every: int, probe: Callable[[], None]) -> int:
        count = 0
        async for _ in self._query(partition):
            count += 1
            if count % every == 0:
                probe()
        return count


def create(name: str) -> DynamapBench:
    """The adapter for `dynamap` (models, each get its own GetItem), `dynamap-raw`
    (plain dicts) or `dynamap-coalesced` (concurrent gets coalesced, the default)."""
    return DynamapBench(name, raw=name == "dynamap-raw", coalesce=name == "dynamap-coalesced")
