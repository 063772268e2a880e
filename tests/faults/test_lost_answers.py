"""Every write call, with its first answer lost after DynamoDB applied it (the proxy's
`drop_after`): what is stored, read with plain boto3, and what the call reported.

The rule under test (docs/concepts/retries.md): a retry never applies a write twice; a
write proven landed is reported as done; one whose fate cannot be known raises with
`ambiguous=True`. On moto a ClientRequestToken is ignored, so there the one-action
transactions that carry non-idempotent updates are applied again by their retry:
the tests record that difference (DynamoDB Local, AWS's own engine, is the truth).
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import pytest
from fault_proxy import GENEROUS, FaultySession, Stored, report
from pydantic import Field

from dynamap import (
    AmbiguousWrite,
    ConditionCheckFailed,
    ConnectionFailed,
    F,
    Key,
    Model,
    RetryPolicy,
    Session,
    Table,
    Throttled,
)

lost = Table("LostAnswers")
NO_RETRY = dataclasses.replace(GENEROUS, non_idempotent="no-retry")


class Doc(Model, table=lost, entity="doc", version="version", updated="updated_at"):
    """Versioned, with an `updated` stamp: its writes can be proven."""

    pk = Key("DOC#{id}")
    id: str
    text: str = ""
    hits: int = 0
    version: int = 0
    updated_at: datetime | None = None


class Plain(Model, table=lost, entity="plain", version="version"):
    """Versioned, without a stamp: a retry is safe, but nothing proves who wrote."""

    pk = Key("PLAIN#{id}")
    id: str
    hits: int = 0
    version: int = 0


class Tally(Model, table=lost, entity="tally", updated="updated_at"):
    """Not versioned: `add` and `append` are not safe to repeat."""

    pk = Key("TALLY#{id}")
    id: str
    text: str = ""
    hits: int = 0
    log: list[str] = Field(default_factory=list)
    labels: set[str] = Field(default_factory=set)
    updated_at: datetime | None = None


class Bare(Model, table=lost, entity="bare"):
    """Neither a version nor a stamp."""

    pk = Key("BARE#{id}")
    id: str
    text: str = ""


def twice_on_moto(engine: str, once: int) -> int:
    """What a counter bumped once by a one-action transaction reads after its retry:
    once on DynamoDB, twice on moto, which ignores ClientRequestToken."""
    return once * 2 if engine == "moto" else once


# -- put --------------------------------------------------------------------------------


async def test_versioned_puts_whose_answers_were_lost_succeed(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Doc)
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "drop_after")
        doc = await faulty.put(Doc(id="d", text="created"))
        doc.text = "replaced"
        proxy.force("PutItem", "drop_after")
        await faulty.put(doc)
        assert proxy.forwarded["PutItem"] == 4  # each applied, answer lost, sent again
    item = stored(Doc, "DOC#d")
    assert doc.version == 2
    assert item is not None and (item["text"], item["version"]) == ("replaced", 2)


async def test_a_conditional_put_is_proven_by_its_stamp(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Tally)
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "drop_after")
        tally = await faulty.put(Tally(id="t", text="mine"), condition=F("PK").not_exists())
        assert proxy.forwarded["PutItem"] == 2
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["text"] == "mine"
    assert tally.updated_at is not None
    assert item["updated_at"] == tally.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def test_a_conditional_put_without_a_stamp_says_it_is_ambiguous(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Bare)
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "drop_after")
        with pytest.raises(ConditionCheckFailed) as raised:
            await faulty.put(Bare(id="b", text="mine"), condition=F("PK").not_exists())
    assert raised.value.ambiguous
    assert raised.value.item == Bare(id="b", text="mine")
    assert stored(Bare, "BARE#b") == {"PK": "BARE#b", "entity": "bare", "id": "b",
                                      "text": "mine"}


async def test_an_unconditional_put_is_simply_sent_again(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Bare)
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "drop_after")
        await faulty.put(Bare(id="b", text="mine"))
        assert proxy.forwarded["PutItem"] == 2
    assert stored(Bare, "BARE#b") == {"PK": "BARE#b", "entity": "bare", "id": "b",
                                      "text": "mine"}


async def test_put_returning_old_does_not_report_its_own_item_as_replaced(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Bare)
    await db.put(Bare(id="b", text="old"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "drop_after")
        with pytest.raises(AmbiguousWrite) as raised:
            await faulty.put_returning_old(Bare(id="b", text="new"))
    assert raised.value.ambiguous
    assert stored(Bare, "BARE#b") == {"PK": "BARE#b", "entity": "bare", "id": "b",
                                      "text": "new"}


# -- update with a version ----------------------------------------------------------------


@pytest.mark.parametrize(("change", "expect"), [
    ({"set": {"text": "new"}}, ("new", 0)),
    ({"add": {"hits": 1}}, ("old", 1)),
])
async def test_a_versioned_update_whose_answer_was_lost_is_proven(
    db: Session, faulty_session: FaultySession, stored: Stored, change: dict[str, object],
    expect: tuple[str, int],
) -> None:
    await db.create_tables(Doc)
    doc = await db.put(Doc(id="d", text="old"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("UpdateItem", "drop_after")
        fresh = await faulty.update(doc, **change)  # type: ignore[arg-type]
        assert proxy.forwarded["UpdateItem"] == 2 and "TransactWriteItems" not in proxy.requests
    item = stored(Doc, "DOC#d")
    assert item is not None and item["version"] == 2 == fresh.version == doc.version
    assert (item["text"], item["hits"]) == expect == (fresh.text, fresh.hits)


async def test_a_versioned_update_is_proven_by_a_read_after_the_item_moved_on(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Doc)
    await db.put(Doc(id="d"))
    async with faulty_session() as (proxy, faulty):
        mine = await faulty.get_or_raise(Doc, id="d", consistent=True)
        proxy.force("UpdateItem", "drop_after")
        retry = proxy.hold("UpdateItem", 2)
        updating = asyncio.create_task(faulty.update(mine, add={"hits": 1}))
        await wait_for(lambda: proxy.requests["UpdateItem"] == 2)  # landed; retry held
        theirs = await faulty.get_or_raise(Doc, id="d", consistent=True)  # the proof
        await faulty.update(theirs, add={"hits": 10})
        retry.set()
        fresh = await updating
    item = stored(Doc, "DOC#d")
    assert item is not None and (item["hits"], item["version"]) == (11, 3)
    assert fresh.version == 3 and fresh.hits == 11  # the item as it is now


async def test_a_versioned_update_moved_on_elsewhere_says_it_is_ambiguous(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Doc)
    await db.put(Doc(id="d"))
    async with faulty_session() as (proxy, faulty):
        mine = await faulty.get_or_raise(Doc, id="d", consistent=True)
        proxy.force("UpdateItem", "drop_after")
        retry = proxy.hold("UpdateItem", 2)
        updating = asyncio.create_task(faulty.update(mine, add={"hits": 1}))
        await wait_for(lambda: proxy.requests["UpdateItem"] == 2)
        elsewhere = await db.get_or_raise(Doc, id="d", consistent=True)  # another process
        await db.update(elsewhere, add={"hits": 10})
        retry.set()
        with pytest.raises(ConditionCheckFailed) as raised:
            await updating
    assert raised.value.ambiguous and raised.value.item.hits == 11
    item = stored(Doc, "DOC#d")
    assert item is not None and (item["hits"], item["version"]) == (11, 3)


async def test_a_versioned_update_without_a_stamp_is_applied_once_but_unproven(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Plain)
    plain = await db.put(Plain(id="p"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("UpdateItem", "drop_after")
        with pytest.raises(ConditionCheckFailed) as raised:
            await faulty.update(plain, add={"hits": 1})
    assert raised.value.ambiguous
    assert stored(Plain, "PLAIN#p") == {"PK": "PLAIN#p", "entity": "plain", "id": "p",
                                        "hits": 1, "version": 2}


async def test_a_real_version_conflict_after_a_server_error_still_fails(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Doc)
    stale = await db.put(Doc(id="d"))
    await db.update(stale.model_copy(), add={"hits": 5})
    async with faulty_session() as (proxy, faulty):
        proxy.force("UpdateItem", "error_500")
        with pytest.raises(ConditionCheckFailed) as raised:
            await faulty.update(stale, add={"hits": 1})
        assert proxy.forwarded["UpdateItem"] == 1  # the 500 came before the server saw it
    assert raised.value.ambiguous and raised.value.item.hits == 5
    item = stored(Doc, "DOC#d")
    assert item is not None and (item["hits"], item["version"]) == (5, 2)


# -- update without a version ------------------------------------------------------------


@pytest.mark.parametrize(("change", "expect"), [
    ({"add": {"hits": 2}}, {"hits": 2}),
    ({"append": {"log": ["x"]}}, {"log": ["x"]}),
])
async def test_a_non_idempotent_update_is_applied_once_by_its_token(
    db: Session, faulty_session: FaultySession, stored: Stored, engine: str,
    change: dict[str, dict[str, object]], expect: dict[str, object],
) -> None:
    await db.create_tables(Tally)
    tally = await db.put(Tally(id="t"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("TransactWriteItems", "drop_after")
        fresh = await faulty.update(tally, **change)  # type: ignore[arg-type]
        report(proxy, faulty, f"update {change} with its first answer lost ({engine})")
        assert proxy.forwarded["TransactWriteItems"] == 2 and "UpdateItem" not in proxy.requests
    item = stored(Tally, "TALLY#t")
    assert item is not None
    field, once = next(iter(expect.items()))
    if engine == "moto":  # the token is ignored: the retry applied it again
        doubled = 4 if field == "hits" else ["x", "x"]
        assert item[field] == doubled == getattr(fresh, field)
        return
    assert item[field] == once == getattr(fresh, field)


async def test_update_key_add_is_applied_once_by_its_token(
    db: Session, faulty_session: FaultySession, stored: Stored, engine: str
) -> None:
    await db.create_tables(Tally)
    await db.put(Tally(id="t", hits=10))
    async with faulty_session() as (proxy, faulty):
        proxy.force("TransactWriteItems", "drop_after")
        fresh = await faulty.update_key(Tally, key={"id": "t"}, add={"hits": 1})
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["hits"] == 10 + twice_on_moto(engine, 1) == fresh.hits


async def test_a_conditional_add_that_fails_is_not_ambiguous(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Tally)
    tally = await db.put(Tally(id="t", hits=3))
    async with faulty_session() as (proxy, faulty):
        proxy.force("TransactWriteItems", "error_500")
        with pytest.raises(ConditionCheckFailed) as raised:
            await faulty.update(tally, add={"hits": 1}, condition=F("hits") > 5)
    assert not raised.value.ambiguous and raised.value.item == tally
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["hits"] == 3


async def test_a_conditional_add_whose_answer_was_lost_is_applied_once(
    db: Session, faulty_session: FaultySession, stored: Stored, engine: str
) -> None:
    await db.create_tables(Tally)
    tally = await db.put(Tally(id="t", hits=3))
    async with faulty_session() as (proxy, faulty):
        proxy.force("TransactWriteItems", "drop_after")
        updating = faulty.update(tally, add={"hits": 1}, condition=F("hits") < 4)
        if engine == "moto":  # the token is ignored: the retry meets its own write
            with pytest.raises(ConditionCheckFailed):
                await updating
            fresh = None
        else:
            fresh = await updating
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["hits"] == 4
    assert fresh is None or fresh.hits == 4


async def test_set_adds_and_deletes_are_idempotent_and_sent_as_updates(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Tally)
    tally = await db.put(Tally(id="t", labels={"a", "b"}))
    async with faulty_session() as (proxy, faulty):
        proxy.force("UpdateItem", "drop_after")
        await faulty.update(tally, add={"labels": {"c"}})
        proxy.force("UpdateItem", "drop_after")
        fresh = await faulty.update(tally, delete={"labels": {"a"}}, set={"text": "x"})
        assert proxy.forwarded["UpdateItem"] == 4 and "TransactWriteItems" not in proxy.requests
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["labels"] == {"b", "c"} == fresh.labels
    assert item["text"] == "x"


async def test_a_conditional_set_is_proven_by_its_stamp(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Tally)
    tally = await db.put(Tally(id="t", text="draft"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("UpdateItem", "drop_after")
        fresh = await faulty.update(tally, set={"text": "live"}, condition=F("text") == "draft")
        assert proxy.forwarded["UpdateItem"] == 2
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["text"] == "live" == fresh.text


async def test_without_retries_a_lost_answer_raises_ambiguous_write(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Tally)
    tally = await db.put(Tally(id="t"))
    async with faulty_session(retry=NO_RETRY) as (proxy, faulty):
        proxy.force("UpdateItem", "drop_after")
        with pytest.raises(AmbiguousWrite) as landed:
            await faulty.update(tally, add={"hits": 1})
        proxy.force("UpdateItem", "drop_before")
        with pytest.raises(AmbiguousWrite) as not_landed:
            await faulty.update(tally, add={"hits": 1})
        proxy.force("UpdateItem", "throttle")
        fresh = await faulty.update(tally, add={"hits": 1})  # a throttle proves not applied
        assert proxy.requests["UpdateItem"] == 4 and proxy.forwarded["UpdateItem"] == 2
    assert landed.value.ambiguous and not_landed.value.ambiguous
    assert isinstance(landed.value.__cause__, ConnectionFailed)
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["hits"] == 2 == fresh.hits


async def test_a_raw_update_that_is_not_safe_to_repeat_is_not_repeated(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Tally)
    await db.put(Tally(id="t"))
    request = {"TableName": db.table_name(Tally), "Key": {"PK": {"S": "TALLY#t"}},
               "UpdateExpression": "SET #h = #h + :one",
               "ExpressionAttributeNames": {"#h": "hits"},
               "ExpressionAttributeValues": {":one": {"N": "1"}}}
    async with faulty_session() as (proxy, faulty):
        proxy.force("UpdateItem", "drop_after")
        with pytest.raises(AmbiguousWrite):
            await faulty.send("UpdateItem", request)
        proxy.force("UpdateItem", "drop_after")
        await faulty.send("UpdateItem", {**request, "UpdateExpression": "SET #h = :one"})
        assert proxy.forwarded["UpdateItem"] == 3
    item = stored(Tally, "TALLY#t")
    assert item is not None and item["hits"] == 1


# -- delete -------------------------------------------------------------------------------


async def test_a_delete_whose_answer_was_lost_says_it_is_ambiguous(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Doc, Bare)
    await db.put(Bare(id="b"))
    await db.put(Bare(id="c", text="x"))
    doc = await db.put(Doc(id="d"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("DeleteItem", "drop_after")
        with pytest.raises(AmbiguousWrite) as unversioned:
            await faulty.delete(Bare, id="b")
        proxy.force("DeleteItem", "drop_after")
        with pytest.raises(AmbiguousWrite) as versioned:
            await faulty.delete(doc)
        proxy.force("DeleteItem", "drop_after")
        with pytest.raises(AmbiguousWrite) as conditional:
            await faulty.delete(Bare, id="c", condition=F("text") == "x")
        assert proxy.forwarded["DeleteItem"] == 6
    assert unversioned.value.ambiguous and versioned.value.ambiguous
    assert isinstance(conditional.value.__cause__, ConditionCheckFailed)
    assert stored(Bare, "BARE#b") is None and stored(Doc, "DOC#d") is None
    assert stored(Bare, "BARE#c") is None


async def test_a_delete_retried_after_a_failure_before_it_was_applied_returns_the_item(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Doc)
    doc = await db.put(Doc(id="d", text="x"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("DeleteItem", "error_500")
        deleted = await faulty.delete(doc, condition=F("text") == "x")
        assert proxy.forwarded["DeleteItem"] == 1
    assert deleted == doc
    assert stored(Doc, "DOC#d") is None


async def test_deleting_nothing_without_a_lost_answer_returns_none(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Bare)
    async with faulty_session() as (proxy, faulty):
        proxy.force("DeleteItem", "throttle")
        assert await faulty.delete(Bare, id="nothing") is None


# -- one try, no answer ---------------------------------------------------------------------


async def test_a_single_try_that_timed_out_after_sending_is_ambiguous(
    db: Session, faulty_session: FaultySession, stored: Stored
) -> None:
    await db.create_tables(Bare)
    one_try = RetryPolicy(attempts=1)
    async with faulty_session(retry=one_try, timeout=0.5) as (proxy, faulty):
        stall = proxy.hold("PutItem", 1)
        with pytest.raises(ConnectionFailed) as timed_out:
            await faulty.put(Bare(id="b", text="late"))
        stall.set()  # the server gets it after all
        await wait_for(lambda: proxy.forwarded["PutItem"] == 1)
        proxy.force("PutItem", "throttle")
        with pytest.raises(Throttled) as throttled:
            await faulty.put(Bare(id="c"))
    assert timed_out.value.ambiguous and not throttled.value.ambiguous
    assert stored(Bare, "BARE#b") is not None and stored(Bare, "BARE#c") is None


async def wait_for(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


@pytest.mark.parametrize("mode", ["transaction", "no-retry"])
async def test_adds_held_past_their_timeout_land_once(
    db: Session, faulty_session: FaultySession, stored: Stored, engine: str, mode: str
) -> None:
    """A server stall: the first try of each add is held back until the client gave up
    on it, and reaches the server later. Under "transaction" the retry (same token)
    lands first and the late try is deduplicated; under "no-retry" the call raises
    `AmbiguousWrite`, and the late try is the one that lands."""
    await db.create_tables(Tally)
    await db.put(Tally(id="t"))
    operation = "TransactWriteItems" if mode == "transaction" else "UpdateItem"
    retry = dataclasses.replace(GENEROUS, non_idempotent=mode)  # type: ignore[arg-type]
    calls, tries = 5, 2 if mode == "transaction" else 1  # tries sent per call
    async with faulty_session(retry=retry, timeout=0.5) as (proxy, faulty):
        stalls = [proxy.hold(operation, 1 + tries * n) for n in range(calls)]
        results: list[str] = []
        for stall in stalls:  # one at a time, so that each call's first try is held
            try:
                await faulty.update_key(Tally, key={"id": "t"}, add={"hits": 1})
                results.append("success")
            except AmbiguousWrite as error:
                assert error.ambiguous
                results.append("ambiguous")
            stall.set()
            await wait_for(lambda: proxy.forwarded[operation] == len(results) * tries)
        report(proxy, faulty, f"{calls} adds stalled past their timeout, {mode} ({engine})")
    item = stored(Tally, "TALLY#t")
    assert item is not None
    if mode == "no-retry":
        assert results == ["ambiguous"] * calls and item["hits"] == calls  # all had landed
        return
    assert results == ["success"] * calls
    assert item["hits"] == twice_on_moto(engine, calls)
