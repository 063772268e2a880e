"""200 concurrent increments of one counter through the fault proxy, with
`update(add=...)`: without a version field (sent as one-action transactions, or as
plain updates that are not retried after a lost answer) and with one (read, then an
update checked against the version read). What is stored, read with plain boto3, must
match what the calls reported. Run with `-s` to see the counts."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import Counter as Tally
from datetime import datetime

import pytest
from fault_proxy import GENEROUS, FaultRates, FaultySession, Stored, report

from dynamap import ConditionCheckFailed, Key, Model, OperationError, Session, Table

RATES = FaultRates(throttle=0.05, error_500=0.03, drop_before=0.03, drop_after=0.03)
CALLS = 200

counters = Table("ContendedCounters")


class Hits(Model, table=counters, entity="hits", updated="updated_at"):
    pk = Key("HITS#{name}")
    name: str
    value: int = 0
    updated_at: datetime | None = None


class Versioned(Model, table=counters, entity="versioned", version="version",
                updated="updated_at"):
    pk = Key("VERSIONED#{name}")
    name: str
    value: int = 0
    version: int = 0
    updated_at: datetime | None = None


def outcome(error: BaseException | None) -> str:
    if error is None:
        return "success"
    if isinstance(error, OperationError) and error.ambiguous:
        return "ambiguous"
    return "failed"


async def blind_increment(session: Session) -> str:
    try:
        await session.update_key(Hits, key={"name": "n"}, add={"value": 1})
    except OperationError as error:
        return outcome(error)
    return "success"


async def checked_increment(session: Session, rng: random.Random, met: Tally[str]) -> str:
    """Read, then add under the version read; again after a failed check. Every writer
    is in this session, so a write that landed is proven (by its stamp, or by the read
    that saw it): a failed check, even an ambiguous one, means it did not land, and
    trying again cannot count twice. `met` counts the failed checks."""
    conflicts = 0
    while True:
        counter = await session.get_or_raise(Versioned, name="n", consistent=True)
        try:
            await session.update(counter, add={"value": 1})
        except ConditionCheckFailed as error:
            met["ambiguous conflicts" if error.ambiguous else "conflicts"] += 1
            conflicts += 1
            await asyncio.sleep(rng.uniform(0, min(1.0, 0.005 * 2 ** min(conflicts, 10))))
            continue
        except OperationError as error:
            return outcome(error)
        return "success"


def summary(results: list[str], final: int) -> str:
    counts = Tally(results)
    return (f"final value {final} of {CALLS}; success={counts['success']} "
            f"ambiguous={counts['ambiguous']} failed={counts['failed']}")


@pytest.mark.parametrize("mode", ["transaction", "no-retry"])
async def test_unversioned_contended_adds(
    db: Session, faulty_session: FaultySession, stored: Stored, engine: str, mode: str
) -> None:
    await db.create_tables(Hits)
    await db.put(Hits(name="n"))
    retry = dataclasses.replace(GENEROUS, non_idempotent=mode)  # type: ignore[arg-type]
    async with faulty_session(RATES, seed=21, retry=retry) as (proxy, faulty):
        results = await asyncio.gather(*(blind_increment(faulty) for _ in range(CALLS)))
        item = stored(Hits, "HITS#n")
        assert item is not None
        final = int(item["value"])
        report(proxy, faulty, f"{CALLS} contended update(add=) without a version, "
                              f"{mode} ({engine}): {summary(results, final)}")
    counts = Tally(results)
    if mode == "no-retry":
        # Every answer lost after the server applied it raised, unretried; every other
        # fault was retried or proved nothing applied: the count is exact on both engines.
        landed = proxy.faults["UpdateItem", "drop_after"]
        assert counts["failed"] == 0
        assert counts["ambiguous"] >= landed > 0
        if engine == "moto":  # its ADD is not atomic under concurrency: it can lose one
            assert final <= counts["success"] + landed
            return
        assert final == counts["success"] + landed
        return
    assert counts["success"] == CALLS
    lost = proxy.faults["TransactWriteItems", "drop_after"]
    assert lost > 0
    if engine == "moto":  # ClientRequestToken ignored: a lost answer's retry re-applies
        assert final <= CALLS + lost  # (a try moto cancelled or lost was not applied)
        return
    assert final == CALLS


async def test_versioned_contended_adds(
    db: Session, faulty_session: FaultySession, stored: Stored, engine: str
) -> None:
    await db.create_tables(Versioned)
    await db.put(Versioned(name="n"))
    rng = random.Random(3)
    met: Tally[str] = Tally()
    async with faulty_session(RATES, seed=22) as (proxy, faulty):
        results = await asyncio.gather(*(checked_increment(faulty, rng, met)
                                         for _ in range(CALLS)))
        item = stored(Versioned, "VERSIONED#n")
        assert item is not None
        final = int(item["value"])
        report(proxy, faulty, f"{CALLS} contended update(add=) with a version ({engine}): "
                              f"{summary(results, final)}; failed checks met and retried: "
                              f"{dict(met)}")
        assert proxy.faults["UpdateItem", "drop_after"] > 0
    assert Tally(results) == {"success": CALLS}
    if engine == "moto":
        # moto differs: its condition checks and writes are not atomic under
        # concurrency, so two updates may pass the same version check, and now and then
        # an ADD is lost (seen in about one full run in three). DynamoDB Local, like
        # DynamoDB, is exact: each call applied exactly once.
        assert abs(final - CALLS) <= 5 and int(item["version"]) <= CALLS + 1
        return
    assert final == CALLS  # each call applied exactly once
    assert int(item["version"]) == CALLS + 1
