"""Unique fields (seed 004: a user's email and username are unique) against both
engines: claimed on create, moved on change, freed on delete, invisible to reads."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from pydantic import Field

from dynamap import (
    ConditionCheckFailed,
    F,
    Key,
    Model,
    OperationError,
    Session,
    Table,
    UniqueConstraintViolated,
    new_id,
)

users = Table("Users")


class User(Model, table=users, entity="user", unique=("email", "username"),
           version="version", updated="updated_at"):
    pk = Key("id")
    id: str = Field(default_factory=new_id)
    email: str
    username: str | None = None
    role: str = "student"
    version: int = 0
    updated_at: datetime | None = None


circle = Table("Circle")


class Member(Model, table=circle, entity="member", unique=("handle",)):
    pk = Key("CIRCLE#{circle}")
    sk = Key("MEMBER#{id}")
    circle: str
    id: str = Field(default_factory=new_id)
    handle: str


class Post(Model, table=circle, entity="post"):
    pk = Key("CIRCLE#{circle}")
    sk = Key("POST#{id}")
    circle: str
    id: str = Field(default_factory=new_id)
    text: str


async def test_a_taken_value_is_refused_naming_the_field(db: Session) -> None:
    await db.create_tables(User)
    ada = await db.put(User(email="ada@example.com", username="ada"))
    with pytest.raises(UniqueConstraintViolated) as raised:
        await db.put(User(email="ada@example.com", username="other"))
    assert (raised.value.field, raised.value.value) == ("email", "ada@example.com")
    with pytest.raises(UniqueConstraintViolated) as raised:
        await db.put(User(email="new@example.com", username="ada"))
    assert raised.value.field == "username"
    assert await db.scan(User).all() == [ada]


async def test_markers_never_show_in_reads_of_the_model(db: Session) -> None:
    await db.create_tables(User)
    ada = await db.put(User(email="ada@example.com", username="ada"))
    assert await db.scan(User).all() == [ada]
    assert await db.scan(User).count() == 1
    assert await db.scan(users).all() == [ada]  # the table as a collection
    assert await db.query(User, id=ada.id).all() == [ada]


async def test_changing_a_value_frees_the_old_one(db: Session) -> None:
    await db.create_tables(User)
    ada = await db.put(User(email="ada@example.com", username="ada"))
    await db.update(ada, set={"email": "countess@example.com"})
    assert ada.email == "countess@example.com" and ada.version == 2
    await db.put(User(email="ada@example.com"))  # free again
    with pytest.raises(UniqueConstraintViolated):
        await db.put(User(email="countess@example.com"))
    ada.username = "lovelace"  # a put of the whole item moves it too
    await db.put(ada)
    await db.put(User(email="third@example.com", username="ada"))
    with pytest.raises(UniqueConstraintViolated):
        await db.update_key(User, key={"id": ada.id}, set={"username": "ada"})
    await db.update_key(User, key={"id": ada.id}, remove=["username"])
    await db.put(User(email="fourth@example.com", username="lovelace"))


async def test_deleting_frees_every_value(db: Session) -> None:
    await db.create_tables(User)
    ada = await db.put(User(email="ada@example.com", username="ada"))
    bob = await db.put(User(email="bob@example.com", username="bob"))
    assert await db.delete(ada) == ada
    assert await db.delete(User, id=bob.id) == bob
    assert await db.delete(User, id="nobody") is None
    await db.put(User(email="ada@example.com", username="bob"))
    assert await db.scan(User).count() == 1


async def test_values_may_be_missing_on_any_number_of_items(db: Session) -> None:
    await db.create_tables(User)
    for i in range(3):
        await db.put(User(email=f"u{i}@example.com"))
    assert await db.scan(User).count() == 3


async def test_of_many_concurrent_claims_exactly_one_wins(db: Session, engine: str) -> None:
    await db.create_tables(User)
    claims = [db.put(User(email="popular@example.com", username=f"u{i}")) for i in range(8)]
    outcomes = await asyncio.gather(*claims, return_exceptions=True)
    winners = [o for o in outcomes if isinstance(o, User)]
    if engine == "moto":
        # moto differs: concurrent TransactWriteItems on its threaded server are not
        # isolated (now and then one crashes inside moto with a 500, or two claims of
        # one value both pass). DynamoDB Local, like DynamoDB, lets exactly one win.
        assert all(isinstance(o, User | UniqueConstraintViolated | OperationError)
                   for o in outcomes)
        stored = await db.scan(User).all()
        assert sorted(u.username for u in stored) == sorted(w.username for w in winners)
        return
    assert len(winners) == 1
    assert all(isinstance(o, UniqueConstraintViolated) for o in outcomes if o not in winners)
    assert await db.scan(User).all() == winners


async def test_the_item_condition_and_version_still_apply(db: Session) -> None:
    await db.create_tables(User)
    ada = await db.put(User(email="ada@example.com"))
    stale = ada.model_copy()
    await db.update(ada, set={"role": "tutor"})
    with pytest.raises(ConditionCheckFailed) as raised:
        await db.update(stale, set={"email": "other@example.com"})
    assert raised.value.item == ada
    with pytest.raises(ConditionCheckFailed):
        await db.put(User(email="x@example.com"), condition=F("role") == "admin")
    await db.put(User(email="other@example.com"))  # never claimed by the failures


async def test_a_transaction_claims_values_with_its_other_actions(db: Session) -> None:
    await db.create_tables(Member)
    async with db.transaction() as transaction:
        transaction.put(Member(circle="c", handle="ada"))
        transaction.put(Post(circle="c", text="welcome"))
    with pytest.raises(UniqueConstraintViolated):
        async with db.transaction() as transaction:
            transaction.put(Post(circle="c", text="never"))
            transaction.put(Member(circle="c", handle="ada"))
    collection = await db.query(circle, raw_pk="CIRCLE#c").all()
    assert sorted(type(item).__name__ for item in collection) == ["Member", "Post"]
    assert await db.scan(Member).count() == 1  # a model that shares its table
