"""dynamap: validated models (or, as `dynamap-raw`, plain dicts via `.raw()`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from benchmarks.clients.base import Bench, gather_limited
from benchmarks.models import BenchItem, fields_of
from dynamap import F, Session
from dynamap.batch import Chunker, batch_write_body, put_write
from dynamap.collector import freeze_startup
from dynamap.readtarget import plain_item, resolve_target

__all__ = ["DynamapBench", "create"]

class DynamapBench(Bench):
    """dynamap's public API; `raw` reads plain dicts instead of models."""

    def __init__(self, name: str, *, raw: bool = False, coalesce: bool = False,
                 frozen: bool = False) -> None:
        self.name = name
        self.raw = raw
        self.coalesce = coalesce
        self.frozen = frozen
        self.db: Session | None = None
        self.compiled = BenchItem.__dynamap__
        self.target = resolve_target(BenchItem, None)

    async def open(self, endpoint: str) -> None:
        self.db = Session(endpoint_url=endpoint, region="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench",
                          coalesce_gets=self.coalesce)
        await self.db.open()
        if self.frozen:  # the opt-in helper, once start-up is done
            freeze_startup()

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()

    @property
    def session(self) -> Session:
        assert self.db is not None
        return self.db

    # -- CPU only ----------------------------------------------------------------

    def decode(self, body: bytes) -> list[Any]:
        # what a query does with a page's answer (`Query._iterate`): the decoder
        # resolved once per read, each stored item let go as soon as it is decoded
        left = orjson.loads(body)["Items"][::-1]
        decode = plain_item if self.raw else self.target.decoder(partial=False, unknown="skip")
        decoded = []
        while left:
            decoded.append(decode(left.pop()))
        return decoded

    def prepare(self, plain: list[dict[str, Any]]) -> list[BenchItem]:
        return [BenchItem.model_validate(fields_of(item)) for item in plain]

    def encode(self, prepared: list[BenchItem]) -> int:
        # what put_many does before sending: each write encoded, chunked, serialised
        compiled, table, chunker = self.compiled, self.table, Chunker()
        bodies, encoded = [], 0
        for instance in prepared:
            closed = chunker.add(put_write(compiled, instance, table))
            if closed:
                bodies.append(batch_write_body(closed))
                encoded += len(closed)
        last = chunker.close()
        bodies.append(batch_write_body(last))
        return encoded + len(last)

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

    async def put_concurrent(self, prepared: list[BenchItem], concurrency: int) -> int:
        put, condition = self.session.put, F("PK").not_exists()

        async def one(instance: BenchItem) -> None:
            await put(instance, condition=condition)

        return await gather_limited(prepared, one, concurrency)

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
    (plain dicts), `dynamap-coalesced` (concurrent gets coalesced, the default) or
    `dynamap-frozen` (models, with `dynamap.collector.freeze_startup()` called once the
    session is open: the opt-in helper, measured apart)."""
    return DynamapBench(name, raw=name == "dynamap-raw", coalesce=name == "dynamap-coalesced",
                        frozen=name == "dynamap-frozen")
