"""Condition expressions on writes, failed conditions and optimistic locking."""

from __future__ import annotations

import pytest
from models import Document, Page, Prefs, User

from dynamap import ConditionCheckFailed, F, Session
from dynamap.expressions import Condition

pytestmark = pytest.mark.integration


@pytest.fixture
async def cdb(db: Session) -> Session:
    await db.create_tables(Page, User, Document)
    return db


def user() -> User:
    return User(id="u1", name="Ann", status="active", tags={"a", "b"}, logins=3,
                history=["x", "y"], prefs=Prefs(theme="dark"), display_name="Annie")


TRUE_CONDITIONS: list[Condition] = [
    F("status") == "active",
    F("status") != "gone",
    F("logins") < 4,
    F("logins") <= 3,
    F("logins") > 2,
    F("logins") >= 3,
    F("logins").between(3, 3),
    F("status").is_in("idle", "active"),
    F("name").begins_with("An"),
    F("tags").contains("a"),
    F("history").contains("y"),
    F("prefs.theme") == "dark",
    F("history[1]") == "y",
    F("display_name") == "Annie",
    F.attr("display.name").exists(),
    F("nickname").not_exists(),
    F("tags").attribute_type("SS"),
    F("logins").attribute_type("N"),
    F("tags").size() == 2,
    F("name").size() >= 3,
    (F("logins") > 100) | (F("status") == "active"),
    (F("logins") > 1) & (F("tags").contains("b")),
    ~(F("status") == "gone"),
    ~((F("logins") > 100) | F("nickname").exists()),
]

FALSE_CONDITIONS: list[Condition] = [
    F("status") == "gone",
    F("logins") > 3,
    F("logins").between(4, 9),
    F("status").is_in("idle", "gone"),
    F("name").begins_with("Bo"),
    F("tags").contains("z"),
    F("prefs.theme") == "light",
    F("nickname").exists(),
    F("tags").attribute_type("L"),
    F("tags").size() > 2,
    (F("logins") > 1) & (F("status") == "gone"),
    ~F("status").exists(),
]


@pytest.mark.parametrize("condition", TRUE_CONDITIONS, ids=lambda c: str(c)[:60])
async def test_true_condition_lets_the_write_through(cdb: Session, condition: Condition) -> None:
    await cdb.put(user())
    changed = user()
    changed.email = "new@example.com"
    await cdb.put(changed, condition=condition)
    got = await cdb.get(User, id="u1")
    assert got is not None and got.email == "new@example.com"


@pytest.mark.parametrize("condition", FALSE_CONDITIONS, ids=lambda c: str(c)[:60])
async def test_false_condition_fails_with_the_current_item(
    cdb: Session, condition: Condition
) -> None:
    stored = await cdb.put(user())
    changed = user()
    changed.email = "new@example.com"
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.put(changed, condition=condition)
    assert caught.value.item == stored
    assert await cdb.get(User, id="u1") == stored


async def test_failed_condition_carries_the_decoded_item(cdb: Session, engine: str) -> None:
    page = await cdb.put(Page(title="Home"))
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.put(Page(id=page.id, title="dup"), condition=F("PK").not_exists())
    error = caught.value
    assert isinstance(error.item, Page)
    assert error.item == page
    assert error.operation == "PutItem"
    assert error.table == cdb.table_name(Page)
    assert error.code == "ConditionalCheckFailedException"
    assert error.request_id


async def test_failed_condition_on_a_missing_item_has_no_item(cdb: Session) -> None:
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.put(Page(title="x"), condition=F("PK").exists())
    assert caught.value.item is None


async def test_delete_with_a_condition(cdb: Session) -> None:
    page = await cdb.put(Page(title="keep"))
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.delete(page, condition=F("title") == "other")
    assert caught.value.item == page
    assert await cdb.get(Page, id=page.id) == page
    assert await cdb.delete(Page, id=page.id, condition=F("title") == "keep") == page
    assert await cdb.get(Page, id=page.id) is None


async def test_update_with_a_condition(cdb: Session) -> None:
    stored = await cdb.put(user())
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.update(user(), set={"email": "e"}, condition=F("logins") > 10)
    assert caught.value.item == stored
    updated = await cdb.update(user(), set={"email": "e"}, condition=F("logins") == 3)
    assert updated.email == "e"


# -- optimistic locking ----------------------------------------------------------------


async def test_version_starts_at_one_and_counts_writes(cdb: Session) -> None:
    doc = Document(id="d", title="t")
    await cdb.put(doc)
    assert doc.version == 1
    await cdb.put(doc)
    assert doc.version == 2
    updated = await cdb.update(doc, set={"body": "b"})
    assert updated.version == doc.version == 3
    assert await cdb.get(Document, id="d") == doc


async def test_new_item_with_version_zero_fails_when_the_key_exists(cdb: Session) -> None:
    existing = await cdb.put(Document(id="d", title="first"))
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.put(Document(id="d", title="second"))
    assert caught.value.item == existing
    assert (await cdb.get(Document, id="d")) == existing


async def test_stale_put_update_and_delete_conflict(cdb: Session) -> None:
    mine = await cdb.put(Document(id="d", title="v1"))
    theirs = mine.model_copy()
    await cdb.put(theirs.model_copy(update={"title": "v2"}))  # version 1 -> 2 elsewhere
    current = await cdb.get(Document, id="d")
    assert current is not None and current.version == 2
    stale = mine.model_copy(update={"title": "stale"})
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.put(stale)
    assert caught.value.item == current
    assert stale.version == 1  # a failed write changes nothing on the instance
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.update(stale, set={"body": "x"})
    assert caught.value.item == current
    with pytest.raises(ConditionCheckFailed) as caught:
        await cdb.delete(stale)
    assert caught.value.item == current
    assert await cdb.get(Document, id="d") == current
    assert await cdb.delete(current) == current
    assert await cdb.get(Document, id="d") is None


async def test_version_check_combines_with_a_condition(cdb: Session) -> None:
    doc = await cdb.put(Document(id="d", title="t"))
    with pytest.raises(ConditionCheckFailed):
        await cdb.put(doc, condition=F("title") == "other")
    assert doc.version == 1
    await cdb.put(doc, condition=F("title") == "t")
    assert doc.version == 2
