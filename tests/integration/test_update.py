"""UpdateItem: every kind of action, index keys kept in step, keys protected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from models import Activity, Conversation, Counter, Invite, Page, Prefs, User

from dynamap import ConditionCheckFailed, InvalidValue, Session

pytestmark = pytest.mark.integration


@pytest.fixture
async def udb(db: Session) -> Session:
    await db.create_tables(Page, User, Counter, Invite, Activity)
    return db


async def stored_user(db: Session) -> User:
    return await db.put(User(id="u1", name="Ann", tags={"a", "b"}, history=["x", "y"],
                             prefs=Prefs(theme="dark", notifications={"mail": True}),
                             nickname="annie", logins=1))


async def reread(db: Session, user: User) -> User:
    got = await db.get(User, id=user.id, consistent=True)
    assert got is not None
    return got


async def test_set_returns_the_updated_model_and_refreshes_the_instance(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, set={"name": "Anna", "status": "away"})
    assert (updated.name, updated.status) == ("Anna", "away")
    assert updated.tags == {"a", "b"}  # untouched fields come back as stored
    assert user == updated  # the instance is refreshed in place
    assert await reread(udb, user) == updated


async def test_set_none_and_remove_delete_attributes(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, set={"nickname": None}, remove=["email"])
    assert updated.nickname is None
    raw = await udb.send("GetItem", {"TableName": udb.table_name(User),
                                     "Key": {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}}})
    assert "nickname" not in raw["Item"] and "email" not in raw["Item"]


async def test_setting_an_empty_set_removes_the_attribute(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, set={"tags": set()})
    assert updated.tags == set()
    assert (await reread(udb, user)).tags == set()


async def test_add_to_numbers_and_sets_and_delete_from_sets(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, add={"logins": 2, "tags": {"c"}})
    assert (updated.logins, updated.tags) == (3, {"a", "b", "c"})
    updated = await udb.update(user, add={"logins": -1}, delete={"tags": {"a", "zz"}})
    assert (updated.logins, updated.tags) == (2, {"b", "c"})


async def test_append_and_prepend_lists(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, append={"history": ["z"]})
    assert updated.history == ["x", "y", "z"]
    updated = await udb.update(user, prepend={"history": ["w", "v"]})
    assert updated.history == ["w", "v", "x", "y", "z"]


async def test_append_creates_a_missing_list(udb: Session) -> None:
    await udb.send("PutItem", {"TableName": udb.table_name(User), "Item": {
        "PK": {"S": "USER#raw"}, "SK": {"S": "PROFILE"}, "entity": {"S": "user"},
        "id": {"S": "raw"}, "name": {"S": "Raw"}}})
    user = await udb.get(User, id="raw")
    assert user is not None
    updated = await udb.update(user, append={"history": ["first"]})
    assert updated.history == ["first"]


async def test_set_if_not_exists(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, set_if_not_exists={"nickname": "other", "email": "e@x"})
    assert updated.nickname == "annie"  # present: kept
    assert updated.email == ""  # stored as "" by the put: present, kept
    await udb.update(user, remove=["email"])
    updated = await udb.update(user, set_if_not_exists={"email": "e@x"})
    assert updated.email == "e@x"


async def test_nested_paths(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, set={"prefs.theme": "blue",
                                          "prefs.notifications.sms": False,
                                          "history[0]": "X"})
    assert updated.prefs == Prefs(theme="blue", notifications={"mail": True, "sms": False})
    assert updated.history == ["X", "y"]
    updated = await udb.update(user, remove=["prefs.notifications.mail", "history[1]"])
    assert updated.prefs.notifications == {"sms": False}
    assert updated.history == ["X"]


async def test_set_a_whole_nested_model_and_an_aliased_field(udb: Session) -> None:
    user = await stored_user(udb)
    updated = await udb.update(user, set={"prefs": Prefs(theme="green"),
                                          "display_name": "A."})
    assert updated.prefs == Prefs(theme="green")
    assert updated.display_name == "A."
    raw = await udb.send("GetItem", {"TableName": udb.table_name(User),
                                     "Key": {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}}})
    assert raw["Item"]["display.name"] == {"S": "A."}


async def test_update_of_a_missing_item_fails_and_creates_nothing(udb: Session) -> None:
    ghost = User(id="ghost", name="Ghost")
    with pytest.raises(ConditionCheckFailed) as caught:
        await udb.update(ghost, set={"status": "x"})
    assert caught.value.item is None
    assert await udb.get(User, id="ghost") is None


async def test_changing_a_primary_key_field_is_refused_before_sending(udb: Session) -> None:
    await udb.create_tables(Conversation)
    conversation = await udb.put(Conversation(user_id="u1", title="t"))
    sent = dict(udb.stats.requests)
    for change in ({"user_id": "u2"}, {"created_at": datetime.now(UTC)}, {"id": "other"}):
        with pytest.raises(InvalidValue, match="primary key"):
            await udb.update(conversation, set=change)
    with pytest.raises(InvalidValue, match="primary key"):
        await udb.update(conversation, remove=["user_id"])
    assert udb.stats.requests == sent


async def test_updating_a_field_of_a_gsi_template_moves_the_item_in_the_index(
    udb: Session,
) -> None:
    await udb.create_tables(Conversation)
    conversation = await udb.put(Conversation(user_id="u1", title="shared soon"))
    assert await udb.query(Conversation, index="GSI1", share_id="s1").all() == []
    await udb.update(conversation, set={"share_id": "s1"})
    assert await udb.query(Conversation, index="GSI1", share_id="s1").all() == [conversation]
    await udb.update(conversation, set={"share_id": "s2"})
    assert await udb.query(Conversation, index="GSI1", share_id="s1").all() == []
    assert await udb.query(Conversation, index="GSI1", share_id="s2").all() == [conversation]
    raw = await udb.send("GetItem", {"TableName": udb.table_name(Conversation),
                                     "Key": udb_key(conversation)})
    assert raw["Item"]["GSI1PK"] == {"S": "SHARE#s2"}
    await udb.update(conversation, set={"share_id": None})
    assert await udb.query(Conversation, index="GSI1", share_id="s2").all() == []
    raw = await udb.send("GetItem", {"TableName": udb.table_name(Conversation),
                                     "Key": udb_key(conversation)})
    assert "GSI1PK" not in raw["Item"]


def udb_key(conversation: Conversation) -> dict[str, Any]:
    return Conversation.__dynamap__.key_of(conversation)


async def test_updating_a_bare_field_index_key(udb: Session) -> None:
    page = await udb.put(Page(title="draft"))
    assert await udb.query(Page, index=Page.published, is_published=True).all() == []
    await udb.update(page, set={"is_published": True})
    assert await udb.query(Page, index=Page.published, is_published=True).all() == [page]


async def test_update_key_by_key_only(udb: Session) -> None:
    await udb.put(Counter(number=1, label="one"))
    updated = await udb.update_key(Counter, key={"number": 1}, add={"hits": 5})
    assert updated == Counter(number=1, label="one", hits=5)
    with pytest.raises(ConditionCheckFailed):
        await udb.update_key(Counter, key={"number": 2}, add={"hits": 1})
    assert await udb.get(Counter, number=2) is None


async def test_update_key_refuses_an_index_key_it_cannot_rebuild(udb: Session) -> None:
    activity = await udb.put(Activity(org_id="o", user_id="u1"))
    sent = dict(udb.stats.requests)
    with pytest.raises(InvalidValue, match="at"):
        await udb.update_key(Activity, key={"org_id": "o", "id": activity.id},
                             set={"user_id": "u2"})
    assert udb.stats.requests == sent
    updated = await udb.update(activity, set={"user_id": "u2"})
    assert updated.user_id == "u2"
    by_user = await udb.query(Activity, index="ByUser", org_id="o").sk_begins_with(
        user_id="u2").all()
    assert by_user == [updated]


async def test_an_index_template_field_changes_only_whole(udb: Session) -> None:
    activity = await udb.put(Activity(org_id="o", user_id="u", kind="view", score=1))
    sent = dict(udb.stats.requests)
    with pytest.raises(InvalidValue, match="set="):
        await udb.update(activity, add={"score": 5})
    assert udb.stats.requests == sent
    updated = await udb.update(activity, set={"score": 6})
    top = await udb.query(Activity, index="ByScore", kind="view").sk_gte(score=6).all()
    assert top == [updated]
    raw = await udb.send("GetItem", {"TableName": udb.table_name(Activity),
                                     "Key": Activity.__dynamap__.key_of(activity)})
    assert raw["Item"]["ByScoreSK"] == {"S": "SCORE#00000000000000000006"}


async def test_timestamps_and_ttl_on_update(udb: Session) -> None:
    invite = await udb.put(Invite(code="c", expires_at=datetime(2030, 1, 1, tzinfo=UTC)))
    created, first_update = invite.created_at, invite.updated_at
    assert created is not None and first_update is not None
    later = datetime(2032, 2, 3, 4, 5, 6, tzinfo=UTC)
    updated = await udb.update(invite, set={"email": "e@x", "expires_at": later})
    assert updated.created_at == created
    assert updated.updated_at is not None and updated.updated_at > first_update
    assert updated.updated_at - first_update < timedelta(minutes=5)
    assert invite == updated
    raw = await udb.send("GetItem", {"TableName": udb.table_name(Invite),
                                     "Key": {"PK": {"S": "INVITE#c"}}})
    assert raw["Item"]["expires_at"] == {"N": str(int(later.timestamp()))}
    assert set(raw["Item"]["created_at"]) == {"S"}  # timestamps are text, TTL a number
