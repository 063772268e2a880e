"""A version-checked write whose first try was applied but whose answer was lost meets
its own write when it is retried. Such writes succeed when the session can prove that
they landed, and say `ambiguous=True` when it cannot; the proxy makes each case happen
on purpose."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from fault_proxy import FaultySession, report

from dynamap import AmbiguousWrite, ConditionCheckFailed, Key, Model, Session, Table

docs = Table("AmbiguousDocs")


class Doc(Model, table=docs, entity="doc", version="version", updated="updated_at"):
    pk = Key("DOC#{id}")
    id: str
    text: str
    version: int = 0
    updated_at: datetime | None = None


class Plain(Model, table=docs, entity="plain", version="version"):
    """Versioned but without an `updated` timestamp: its items do not prove who wrote
    them."""

    pk = Key("PLAIN#{id}")
    id: str
    text: str
    version: int = 0


async def wait_for(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


async def test_a_put_whose_answer_was_lost_after_it_landed_succeeds(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Doc)
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "drop_after")
        doc = await faulty.put(Doc(id="d", text="created"))
        proxy.force("PutItem", "drop_after")
        doc.text = "replaced"
        await faulty.put(doc)
        proxy.force("DeleteItem", "drop_after")
        gone = await faulty.put(Doc(id="gone", text="x"))
        with pytest.raises(AmbiguousWrite):  # gone, but whether this call did it is lost
            await faulty.delete(gone)
        report(proxy, faulty, "puts and a delete whose answers were lost")
        assert proxy.forwarded["PutItem"] == 5 and proxy.forwarded["DeleteItem"] == 2
    assert doc.version == 2
    assert await db.get(Doc, id="d", consistent=True) == doc
    assert await db.get(Doc, id="gone", consistent=True) is None


async def test_a_lost_answer_is_proven_by_a_read_after_the_item_moved_on(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Doc)
    await db.put(Doc(id="d", text="v1"))
    async with faulty_session() as (proxy, faulty):
        mine = await faulty.get_or_raise(Doc, id="d", consistent=True)
        mine.text = "mine"
        proxy.force("PutItem", "drop_after")
        retry = proxy.hold("PutItem", 2)
        writing = asyncio.create_task(faulty.put(mine))
        await wait_for(lambda: proxy.requests["PutItem"] == 2)  # landed; retry held back
        theirs = await faulty.get_or_raise(Doc, id="d", consistent=True)
        assert theirs.text == "mine"  # the read that proves it
        theirs.text = "theirs"
        await faulty.put(theirs)
        retry.set()
        await writing
        report(proxy, faulty, "a lost answer, then another writer, then the retry")
    assert mine.version == 2 and theirs.version == 3
    assert (await db.get_or_raise(Doc, id="d", consistent=True)).text == "theirs"


async def test_without_proof_the_failed_condition_says_it_is_ambiguous(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Doc)
    await db.put(Doc(id="d", text="v1"))
    async with faulty_session() as (proxy, faulty):
        mine = await faulty.get_or_raise(Doc, id="d", consistent=True)
        mine.text = "mine"
        proxy.force("PutItem", "drop_after")
        retry = proxy.hold("PutItem", 2)
        writing = asyncio.create_task(faulty.put(mine))
        await wait_for(lambda: proxy.requests["PutItem"] == 2)
        elsewhere = await db.get_or_raise(Doc, id="d", consistent=True)  # another process
        await db.put(elsewhere.model_copy(update={"text": "theirs"}))
        retry.set()
        with pytest.raises(ConditionCheckFailed) as raised:
            await writing
    assert raised.value.ambiguous
    assert raised.value.item.text == "theirs"


async def test_items_without_a_timestamp_prove_nothing(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Plain)
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "drop_after")
        with pytest.raises(ConditionCheckFailed) as raised:
            await faulty.put(Plain(id="p", text="x"))
    assert raised.value.ambiguous
    assert await db.get(Plain, id="p", consistent=True) == Plain(id="p", text="x", version=1)


async def test_a_real_conflict_after_a_server_error_still_fails(
    db: Session, faulty_session: FaultySession
) -> None:
    await db.create_tables(Doc)
    theirs = await db.put(Doc(id="d", text="theirs"))
    async with faulty_session() as (proxy, faulty):
        proxy.force("PutItem", "error_500")
        with pytest.raises(ConditionCheckFailed) as raised:
            await faulty.put(Doc(id="d", text="mine"))
        assert proxy.forwarded["PutItem"] == 1  # the 500 came before the server saw it
    assert raised.value.ambiguous and raised.value.item == theirs
