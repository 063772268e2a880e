"""Writes that never lose data, shown through a proxy that injects throttling, 500s,
dropped connections (before and after the server applied the request) and partial
batch answers. What is stored is always checked on the server directly, never
through the proxy. Run with `-s` to see the rates and counts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from fault_proxy import KINDS, FaultRates, FaultySession, report

from dynamap import BatchIncomplete, ConditionCheckFailed, Key, Model, RetryPolicy, Session, Table

RATES = FaultRates(throttle=0.05, error_500=0.03, drop_before=0.03, drop_after=0.03,
                   partial=0.3)
COUNT = 10_000

records = Table("FaultRecords")


class Record(Model, table=records, entity="record"):
    pk = Key("REC#{n}")
    n: int
    text: str
    score: float
    tags: list[str]


def record(n: int) -> Record:
    """The one true content of record `n`."""
    return Record(n=n, text=f"record {n} " + "x" * (n % 37), score=n / 7,
                  tags=[f"t{n % 5}", f"u{n % 11}"])


async def record_stream(count: int) -> AsyncIterator[Record]:
    for n in range(count):
        yield record(n)


async def test_put_many_then_get_many_under_faults(
    db: Session, faulty_session: FaultySession, engine: str
) -> None:
    await db.create_tables(Record)
    async with faulty_session(RATES, seed=4) as (proxy, faulty):
        written = await faulty.put_many(record_stream(COUNT))
        report(proxy, faulty, f"put_many of {COUNT} items ({engine})")
        assert written == COUNT
        for kind in KINDS:
            assert proxy.faults["BatchWriteItem", kind] > 0, kind

        stored = await db.scan(Record).all()
        assert len(stored) == COUNT
        by_number = {item.n: item for item in stored}
        assert sorted(by_number) == list(range(COUNT))
        assert all(by_number[n] == record(n) for n in range(COUNT))

        found = await faulty.get_many(Record, [{"n": n} for n in range(COUNT)])
        report(proxy, faulty, f"... then get_many of {COUNT} keys ({engine})")
        assert proxy.faults["BatchGetItem", "partial"] > 0
        assert found == [record(n) for n in range(COUNT)]


counters = Table("FaultCounters")


class Counter(Model, table=counters, entity="counter", version="version",
              updated="updated_at"):
    pk = Key("COUNTER#{name}")
    name: str
    value: int = 0
    version: int = 0
    updated_at: datetime | None = None


async def increment(session: Session, rng: random.Random) -> int:
    """Read, bump, put with the version check; again on a conflict. Returns the
    number of conflicts met."""
    conflicts = 0
    while True:
        counter = await session.get_or_raise(Counter, name="hits", consistent=True)
        counter.value += 1
        try:
            await session.put(counter)
            return conflicts
        except ConditionCheckFailed:
            conflicts += 1  # back off, as optimistic writers should under contention
            await asyncio.sleep(rng.uniform(0, min(2.0, 0.01 * 2 ** conflicts)))


async def test_concurrent_optimistic_increments_under_faults(
    db: Session, faulty_session: FaultySession, engine: str
) -> None:
    await db.create_tables(Counter)
    await db.put(Counter(name="hits"))
    rng = random.Random(7)
    async with faulty_session(RATES, seed=11) as (proxy, faulty):
        conflicts = await asyncio.gather(*(increment(faulty, rng) for _ in range(200)))
        report(proxy, faulty, f"200 concurrent optimistic increments ({engine}); "
                              f"{sum(conflicts)} version conflicts")
        assert proxy.faults["PutItem", "drop_after"] > 0
    stored = await db.get_or_raise(Counter, name="hits", consistent=True)
    if engine == "moto":
        # moto differs: its threaded server checks a condition and writes the item in
        # two steps, so two concurrent puts of one version can both pass and one
        # increment is lost now and then (seen 1 run in 3). DynamoDB Local, like
        # DynamoDB, checks and writes atomically: exact there.
        assert 190 <= stored.value <= 200 and stored.version == stored.value + 1
        return
    assert (stored.value, stored.version) == (200, 201)


tallies = Table("FaultTallies")


class Tally(Model, table=tallies, entity="tally"):
    pk = Key("TALLY#{name}")
    name: str
    hits: int = 0


class Receipt(Model, table=tallies, entity="receipt"):
    pk = Key("RECEIPT#{name}")
    name: str


async def test_transaction_retried_after_a_dropped_answer_is_applied_once(
    db: Session, faulty_session: FaultySession, engine: str
) -> None:
    await db.create_tables(Tally)
    tally = await db.put(Tally(name="t"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("TransactWriteItems", "drop_after")
        async with faulty.transaction() as transaction:
            transaction.update(tally, add={"hits": 1})
            transaction.put(Receipt(name="t"))
        report(proxy, faulty, f"a transaction whose first answer was dropped ({engine})")
        assert proxy.forwarded["TransactWriteItems"] == 2  # applied, answer lost, sent again
        assert faulty.stats.retries["TransactWriteItems"] == 1
    stored = await db.get_or_raise(Tally, name="t", consistent=True)
    assert await db.get(Receipt, name="t", consistent=True) == Receipt(name="t")
    if engine == "moto":
        assert stored.hits == 2
        pytest.xfail("moto ignores ClientRequestToken: a retried commit is applied again")
    assert stored.hits == 1


async def test_transactions_under_random_faults_apply_once_each(
    db: Session, faulty_session: FaultySession, engine: str
) -> None:
    await db.create_tables(Tally)
    names = [f"t{i}" for i in range(60)]
    await db.put_many(Tally(name=name) for name in names)

    async def one(session: Session, name: str) -> None:
        async with session.transaction() as transaction:
            transaction.update(Tally(name=name), add={"hits": 1})
            transaction.put(Receipt(name=name))

    async with faulty_session(RATES, seed=5) as (proxy, faulty):
        await asyncio.gather(*(one(faulty, name) for name in names))
        report(proxy, faulty, f"60 concurrent transactions ({engine})")
        lost_answers = proxy.faults["TransactWriteItems", "drop_after"]
        assert lost_answers > 0
    tallies_now = await db.get_many(Tally, [{"name": n} for n in names], consistent=True)
    hits = [tally.hits if tally else 0 for tally in tallies_now]
    receipts = await db.get_many(Receipt, [{"name": n} for n in names], consistent=True)
    assert all(receipt is not None for receipt in receipts)
    if engine == "moto":  # (moto's transactions can also crash under concurrency, with a
        # 500 and nothing applied: a lost answer is then not applied twice)
        assert len(names) <= sum(hits) <= len(names) + lost_answers
        pytest.xfail("moto ignores ClientRequestToken: a retried commit is applied again")
    assert hits == [1] * len(names)


async def test_batch_incomplete_carries_exactly_what_was_not_written(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Record)
    items = [record(n) for n in range(200)]
    stingy = RetryPolicy(attempts=2, budget=5.0, base=0.001, cap=0.002)
    async with faulty_session(FaultRates(partial=1.0), seed=3, retry=stingy) as (proxy, faulty):
        with pytest.raises(BatchIncomplete) as raised:
            await faulty.put_many(items)
        report(proxy, faulty, "put_many with every answer partial and 1 retry")
    unwritten = raised.value.unprocessed
    assert unwritten and all(item in items for item in unwritten)
    stored = {item.n for item in await db.scan(Record).all()}
    assert stored == {item.n for item in items} - {item.n for item in unwritten}


async def test_get_many_incomplete_carries_exactly_the_keys_not_read(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Record)
    await db.put_many(record(n) for n in range(150))
    keys = [{"n": n} for n in range(150)]
    stingy = RetryPolicy(attempts=2, budget=5.0, base=0.001, cap=0.002)
    async with faulty_session(FaultRates(partial=1.0), seed=9, retry=stingy) as (proxy, faulty):
        with pytest.raises(BatchIncomplete) as raised:
            await faulty.get_many(Record, keys)
        report(proxy, faulty, "get_many with every answer partial and 1 retry")
    unread = raised.value.unprocessed
    assert unread and all(any(key is asked for asked in keys) for key in unread)
    assert proxy.withheld >= len(unread)
