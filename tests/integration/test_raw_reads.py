"""`db.get(..., raw=True)`: the stored item as a plain dict, on both engines."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from models import Counter, Prefs, User

from dynamap import Session

pytestmark = pytest.mark.integration


@pytest.fixture
async def db_raw(db: Session) -> Session:
    await db.create_tables(User, Counter)
    return db


async def test_get_raw_returns_every_stored_attribute_as_plain_values(db_raw: Session) -> None:
    user = User(id="u1", name="Ada", tags={"x", "y"}, history=["a"], logins=3,
                prefs=Prefs())
    await db_raw.put(user)

    found = await db_raw.get(User, id="u1", raw=True, consistent=True)

    assert found is not None
    assert found["PK"] == "USER#u1"
    assert found["SK"] == "PROFILE"
    assert found["entity"] == "user"
    assert found["name"] == "Ada"
    assert found["tags"] == {"x", "y"}
    assert found["history"] == ["a"]
    assert found["logins"] == 3
    assert isinstance(found["prefs"], dict)
    assert "display.name" not in found  # a None field is not stored, so not read back


async def test_get_raw_decodes_numbers_by_their_text(db_raw: Session) -> None:
    await db_raw.send("PutItem", {"TableName": db_raw.table_name(Counter), "Item": {
        "number": {"N": "7"}, "label": {"S": "seven"}, "hits": {"N": "2.5"}}})

    found = await db_raw.get(Counter, number=7, raw=True)

    assert found == {"number": 7, "label": "seven", "hits": Decimal("2.5")}
    with pytest.raises(ValueError):  # the same item cannot be a Counter: hits is no int
        await db_raw.get(Counter, number=7)


async def test_get_raw_of_a_missing_item_is_none(db_raw: Session) -> None:
    assert await db_raw.get(User, id="nobody", raw=True) is None


async def test_get_raw_with_fields_returns_those_fields_and_the_key_fields(
    db_raw: Session,
) -> None:
    await db_raw.put(User(id="u2", name="Grace", email="g@example.com"))

    found = await db_raw.get(User, id="u2", fields=["name"], raw=True)

    assert found == {"name": "Grace", "id": "u2"}


async def test_concurrent_raw_gets_are_coalesced_and_answered_each(db_raw: Session) -> None:
    for number in range(3):
        await db_raw.put(Counter(number=number, label=f"c{number}"))
    sent: list[str] = []
    db_raw.on_request(lambda event: sent.append(event.operation))

    found = await asyncio.gather(*(db_raw.get(Counter, number=n, raw=True) for n in range(4)))

    assert [f and f["label"] for f in found] == ["c0", "c1", "c2", None]
    if db_raw.coalesce_gets:
        assert sent == ["BatchGetItem"]
