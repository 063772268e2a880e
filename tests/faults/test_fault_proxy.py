"""The fault proxy itself: each fault does what it claims, and partial batch answers
are honest (what is reported unprocessed was never sent to the server)."""

from __future__ import annotations

import pytest
from fault_proxy import FaultRates, FaultySession

from dynamap import (
    ConnectionFailed,
    Key,
    Model,
    RetryPolicy,
    ServiceUnavailable,
    Session,
    Table,
    Throttled,
)

ONE_TRY = RetryPolicy(attempts=1)


class Thing(Model, table=Table("ProxyThings"), entity="thing"):
    pk = Key("THING#{n}")
    n: int


def thing_keys(numbers: range) -> list[dict[str, dict[str, str]]]:
    return [Thing.__dynamap__.key_from({"n": n}) for n in numbers]


async def test_partial_batch_writes_report_exactly_what_was_not_sent(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Thing)
    table = db.table_name(Thing)
    entries = [{"PutRequest": {"Item": Thing(n=n).to_item()}} for n in range(25)]
    async with faulty_session(FaultRates(partial=1.0), seed=1, retry=ONE_TRY) as (_, faulty):
        answer = await faulty.send("BatchWriteItem", {"RequestItems": {table: entries}})
    left = answer["UnprocessedItems"][table]
    assert 0 < len(left) < 25
    unsent = {int(entry["PutRequest"]["Item"]["n"]["N"]) for entry in left}
    stored = {thing.n for thing in await db.scan(Thing).all()}
    assert stored == set(range(25)) - unsent


async def test_partial_batch_reads_split_the_keys_asked(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Thing)
    await db.put_many(Thing(n=n) for n in range(40))
    table = db.table_name(Thing)
    request = {"RequestItems": {table: {"Keys": thing_keys(range(40)), "ConsistentRead": True}}}
    async with faulty_session(FaultRates(partial=1.0), seed=2, retry=ONE_TRY) as (_, faulty):
        answer = await faulty.send("BatchGetItem", request)
    found = {int(item["n"]["N"]) for item in answer["Responses"][table]}
    left = answer["UnprocessedKeys"][table]
    assert left["ConsistentRead"] is True
    unread = {int(key["PK"]["S"].removeprefix("THING#")) for key in left["Keys"]}
    assert found and unread and found | unread == set(range(40)) and not found & unread


@pytest.mark.parametrize(("kind", "error", "applied", "ambiguous"), [
    ("throttle", Throttled, False, False),
    ("error_500", ServiceUnavailable, False, True),  # a 5xx does not say what was applied
    ("drop_before", ConnectionFailed, False, True),  # the client cannot tell it from after
    ("drop_after", ConnectionFailed, True, True),
])
async def test_each_fault_surfaces_as_its_error(
    db: Session, faulty_session: FaultySession, kind: str, error: type[Exception],
    applied: bool, ambiguous: bool,
) -> None:
    await db.create_tables(Thing)
    async with faulty_session(retry=ONE_TRY) as (proxy, faulty):
        proxy.force("PutItem", kind)
        with pytest.raises(error) as raised:
            await faulty.put(Thing(n=1))
        assert proxy.injected[kind] == 1
    assert raised.value.ambiguous is ambiguous  # type: ignore[attr-defined]
    assert (await db.get(Thing, n=1, consistent=True) is not None) is applied
