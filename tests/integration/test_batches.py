"""Batch writes (`db.batch()`, `put_many`, `delete_many`) and batch reads (`get_many`)
against both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from pydantic import Field

from dynamap import InvalidValue, ItemTooLarge, Key, Model, Session, Table, new_id

board = Table("Board")
labels = Table("Labels")


class Card(Model, table=board, entity="card", version="version", updated="updated_at"):
    pk = Key("BOARD#{board_id}")
    sk = Key("CARD#{id}")
    board_id: str
    id: str = Field(default_factory=new_id)
    title: str
    body: str = ""
    version: int = 0
    updated_at: datetime | None = None


class Column(Model, table=board, entity="column"):
    pk = Key("BOARD#{board_id}")
    sk = Key("COLUMN#{name}")
    board_id: str
    name: str


class Label(Model, table=labels, entity="label"):
    pk = Key("name")
    name: str
    color: str = "grey"


class Member(Model, table=Table("Members"), unique=("email",)):
    pk = Key("MEMBER#{id}")
    id: str = Field(default_factory=new_id)
    email: str


async def test_a_batch_writes_and_deletes_across_models_and_tables(db: Session) -> None:
    await db.create_tables(Card, Label)
    stale = Label(name="old")
    await db.put(stale)
    cards = [Card(board_id="b", title=f"card {i}") for i in range(40)]
    async with db.batch() as batch:
        for card in cards:
            batch.put(card)
        batch.put(Column(board_id="b", name="todo"))
        batch.put(Label(name="urgent", color="red"))
        batch.delete(stale)
        batch.delete(Label, name="never-there")
    assert batch.written == 44
    assert all(card.version == 1 and card.updated_at is not None for card in cards)
    assert await db.get(Label, name="old", consistent=True) is None
    assert await db.get(Label, name="urgent", consistent=True) == Label(name="urgent", color="red")
    everything = await db.query(board, raw_pk="BOARD#b").all()
    assert sorted(c.title for c in everything if isinstance(c, Card)) == sorted(
        c.title for c in cards)
    assert [c for c in everything if isinstance(c, Column)] == [Column(board_id="b", name="todo")]


async def test_nothing_is_written_when_the_block_raises(db: Session) -> None:
    await db.create_tables(Label)
    with pytest.raises(KeyError):
        async with db.batch() as batch:
            batch.put(Label(name="a"))
            raise KeyError("stop")
    assert await db.scan(Label).count() == 0


async def test_the_last_write_to_a_key_wins_or_is_refused(db: Session) -> None:
    await db.create_tables(Label)
    async with db.batch() as batch:
        batch.put(Label(name="a", color="red"))
        batch.put(Label(name="a", color="blue"))
        batch.delete(Label, name="b")
        batch.put(Label(name="b", color="green"))
    assert await db.get(Label, name="a", consistent=True) == Label(name="a", color="blue")
    assert await db.get(Label, name="b", consistent=True) == Label(name="b", color="green")
    strict = db.batch(duplicates="error")
    strict.put(Label(name="c"))
    with pytest.raises(InvalidValue):
        strict.delete(Label, name="c")


async def test_bad_input_raises_when_added(db: Session) -> None:
    await db.create_tables(Label, Member)
    async with db.batch() as batch:
        with pytest.raises(ItemTooLarge):
            batch.put(Label(name="big", color="x" * 500_000))
        with pytest.raises(InvalidValue, match="unique"):
            batch.put(Member(email="a@b.c"))
        batch.put(Label(name="small"))
    assert [label.name for label in await db.scan(Label).all()] == ["small"]


async def test_batches_skip_optimistic_locking(db: Session) -> None:
    await db.create_tables(Card)
    card = await db.put(Card(board_id="b", id="c1", title="first"))
    newer = Card(**card.model_dump())
    await db.put(newer.model_copy(update={"title": "second"}))
    async with db.batch() as batch:
        batch.put(card.model_copy(update={"title": "stale but written"}))
    stored = await db.get_or_raise(Card, board_id="b", id="c1", consistent=True)
    assert stored.title == "stale but written" and stored.version == 2


async def labels_stream(count: int) -> AsyncIterator[Label]:
    for i in range(count):
        yield Label(name=f"label-{i:04d}", color="red" if i % 2 else "blue")


async def test_put_many_and_delete_many_stream_any_number(db: Session) -> None:
    await db.create_tables(Label)
    assert await db.put_many(labels_stream(1_000), concurrency=4) == 1_000
    assert await db.scan(Label).count() == 1_000
    by_key = [(Label, {"name": f"label-{i:04d}"}) for i in range(0, 1_000, 2)]
    instances = [Label(name=f"label-{i:04d}") for i in range(1, 500, 2)]
    assert await db.delete_many([*by_key, *instances]) == 750
    left = sorted(label.name for label in await db.scan(Label).all())
    assert left == [f"label-{i:04d}" for i in range(501, 1_000, 2)]


async def test_get_many_returns_every_item_in_the_order_asked(db: Session) -> None:
    await db.create_tables(Card)
    cards = [Card(board_id=f"b{i % 3}", title=f"t{i}", body="x" * i) for i in range(230)]
    await db.put_many(cards)
    keys = [{"board_id": card.board_id, "id": card.id} for card in reversed(cards)]
    keys.insert(10, {"board_id": "b0", "id": "missing"})
    keys.append(keys[0])
    found = await db.get_many(Card, keys, consistent=True)
    expected: list[Card | None] = list(reversed(cards))
    expected.insert(10, None)
    expected.append(expected[0])
    assert found == expected
    assert found[0] is not found[-1]  # each caller gets its own instance
    assert await db.get_many(Card, []) == []
