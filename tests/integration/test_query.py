"""Queries: sort-key conditions from template fields, indexes, filters, projections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from models import Activity, Conversation, Message, Node, Page, Revision, Ticket

from dynamap import F, FieldNotRead, InvalidKey, InvalidRequest, Partial, Session

pytestmark = pytest.mark.integration

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
async def chat_db(db: Session) -> Session:
    """Conversation "c": messages at minutes 0, 1, 2 (ids a and b), 3, 4; a ticket; an
    item of an unknown entity inside the MSG# range and one below it; and conversation
    "d" with one message."""
    await db.create_tables(Message)
    for minute, ident in [(0, "m0"), (1, "m1"), (2, "a"), (2, "b"), (3, "m3"), (4, "m4")]:
        await db.put(Message(conversation_id="c", created_at=at(minute), id=ident,
                             text=f"text {ident}", role="assistant" if minute % 2 else "user"))
    await db.put(Ticket(conversation_id="c", id="t1", summary="bug"))
    await db.put(Message(conversation_id="d", created_at=at(2), id="x"))
    table = db.table_name(Message)
    for sk in ("MSG#2024-03-01T10:02:30.000000Z#zz", "AAA#1"):
        await db.send("PutItem", {"TableName": table, "Item": {
            "PK": {"S": "CONV#c"}, "SK": {"S": sk}, "entity": {"S": "other"}}})
    return db


def ids(messages: list[Message]) -> list[str]:
    return [m.id for m in messages]


async def test_model_query_reads_its_own_entity_only(chat_db: Session) -> None:
    messages = await chat_db.query(Message, conversation_id="c").all()
    assert ids(messages) == ["m0", "m1", "a", "b", "m3", "m4"]
    assert all(isinstance(m, Message) for m in messages)
    assert await chat_db.query(Ticket, conversation_id="c").all() == [
        Ticket(conversation_id="c", id="t1", summary="bug")]


SORT_CASES = [
    ("sk_eq", {"created_at": at(2)}, ["a", "b"]),
    ("sk_begins_with", {"created_at": at(2)}, ["a", "b"]),
    ("sk_gte", {"created_at": at(2)}, ["a", "b", "m3", "m4"]),
    ("sk_gt", {"created_at": at(2)}, ["m3", "m4"]),
    ("sk_lte", {"created_at": at(2)}, ["m0", "m1", "a", "b"]),
    ("sk_lt", {"created_at": at(2)}, ["m0", "m1"]),
    ("sk_eq", {"created_at": at(2), "id": "b"}, ["b"]),
    ("sk_gt", {"created_at": at(2), "id": "a"}, ["b", "m3", "m4"]),
    ("sk_gte", {"created_at": at(2), "id": "b"}, ["b", "m3", "m4"]),
    ("sk_lt", {"created_at": at(2), "id": "b"}, ["m0", "m1", "a"]),
    ("sk_lte", {"created_at": at(2), "id": "a"}, ["m0", "m1", "a"]),
    ("sk_begins_with", {}, ["m0", "m1", "a", "b", "m3", "m4"]),
    ("sk_gte", {"created_at": at(5)}, []),
    ("sk_lt", {"created_at": at(0)}, []),
]


@pytest.mark.parametrize(("method", "values", "expected"), SORT_CASES,
                         ids=[f"{m}-{len(v)}-{i}" for i, (m, v, _) in enumerate(SORT_CASES)])
async def test_sort_key_conditions_on_template_fields(
    chat_db: Session, method: str, values: dict[str, object], expected: list[str]
) -> None:
    query = getattr(chat_db.query(Message, conversation_id="c"), method)(**values)
    assert ids(await query.all()) == expected


async def test_between_includes_both_ends(chat_db: Session) -> None:
    query = chat_db.query(Message, conversation_id="c")
    partial = query.sk_between({"created_at": at(1)}, {"created_at": at(3)})
    assert ids(await partial.all()) == ["m1", "a", "b", "m3"]
    exact = chat_db.query(Message, conversation_id="c").sk_between(
        {"created_at": at(1), "id": "m1"}, {"created_at": at(2), "id": "a"})
    assert ids(await exact.all()) == ["m1", "a"]
    mixed = chat_db.query(Message, conversation_id="c").sk_between(
        {"created_at": at(2), "id": "b"}, {"created_at": at(4)})
    assert ids(await mixed.all()) == ["b", "m3", "m4"]


async def test_time_boundaries_are_exact_to_the_microsecond(db: Session) -> None:
    await db.create_tables(Message)
    tick = timedelta(microseconds=1)
    times = {"before": at(1) - tick, "low": at(1), "high": at(3), "after": at(3) + tick}
    for ident, moment in times.items():
        await db.put(Message(conversation_id="c", created_at=moment, id=ident))
    query = db.query(Message, conversation_id="c")
    inside = query.sk_between({"created_at": at(1)}, {"created_at": at(3)})
    assert ids(await inside.all()) == ["low", "high"]
    assert ids(await db.query(Message, conversation_id="c").sk_gt(created_at=at(1)).all()) == [
        "high", "after"]
    assert ids(await db.query(Message, conversation_id="c").sk_lte(created_at=at(3)).all()) == [
        "before", "low", "high"]
    elsewhere = timezone(timedelta(hours=5, minutes=30))
    same_instant = db.query(Message, conversation_id="c").sk_eq(
        created_at=at(3).astimezone(elsewhere))
    assert ids(await same_instant.all()) == ["high"]


async def test_int_template_fields_sort_numerically(db: Session) -> None:
    await db.create_tables(Revision)
    for number in (11, -5, 2, 10, 1, 9, 0):
        await db.put(Revision(page_id="p", number=number))
    query = db.query(Revision, page_id="p")
    assert [r.number for r in await query.all()] == [-5, 0, 1, 2, 9, 10, 11]
    window = db.query(Revision, page_id="p").sk_between({"number": 2}, {"number": 10})
    assert [r.number for r in await window.all()] == [2, 9, 10]
    below = db.query(Revision, page_id="p").sk_lt(number=1)
    assert [r.number for r in await below.all()] == [-5, 0]


async def test_sort_key_on_partition_fields_and_raw_text(chat_db: Session) -> None:
    by_key = chat_db.query(Message, conversation_id="c", created_at=at(2), id="a")
    assert ids(await by_key.all()) == ["a"]
    raw = chat_db.query(Message, conversation_id="c").sk_between(
        "MSG#2024-03-01T10:01", "MSG#2024-03-01T10:03")
    assert ids(await raw.all()) == ["m1", "a", "b"]
    assert ids(await chat_db.query(Message, conversation_id="c").sk_eq(
        "MSG#2024-03-01T10:03:00.000000Z#m3").all()) == ["m3"]


async def test_bad_sort_key_fields_are_refused(chat_db: Session) -> None:
    query = chat_db.query(Message, conversation_id="c")
    with pytest.raises(InvalidKey):
        query.sk_gte(id="a")  # not a leading run of the template's fields
    with pytest.raises(InvalidKey):
        query.sk_gte(colour="red")
    with pytest.raises(InvalidKey, match="conversation_id"):
        chat_db.query(Message)
    with pytest.raises(InvalidKey, match="no index"):
        chat_db.query(Message, index="Nope", conversation_id="c")


async def test_reverse_order_limit_first_and_count(chat_db: Session) -> None:
    newest = await chat_db.query(Message, conversation_id="c").reverse().all()
    assert ids(newest) == ["m4", "m3", "b", "a", "m1", "m0"]
    two = await chat_db.query(Message, conversation_id="c").reverse().limit(2).all()
    assert ids(two) == ["m4", "m3"]
    first = await chat_db.query(Message, conversation_id="c").first()
    assert first is not None and first.id == "m0"
    last = await chat_db.query(Message, conversation_id="c").reverse().first()
    assert last is not None and last.id == "m4"
    assert await chat_db.query(Message, conversation_id="nobody").first() is None
    assert await chat_db.query(Message, conversation_id="c").count() == 6
    assert await chat_db.query(Message, conversation_id="c").sk_gt(created_at=at(2)).count() == 2
    assert await chat_db.query(Message, conversation_id="nobody").count() == 0


async def test_async_iteration(chat_db: Session) -> None:
    seen = [m.id async for m in chat_db.query(Message, conversation_id="c").page_size(2)]
    assert seen == ["m0", "m1", "a", "b", "m3", "m4"]


async def test_leaving_an_iteration_early_is_clean(chat_db: Session) -> None:
    for _ in range(3):  # the prefetched next page is cancelled each time
        async for message in chat_db.query(Message, conversation_id="c").page_size(2):
            assert message.id == "m0"
            break
    assert len(await chat_db.query(Message, conversation_id="c").all()) == 6


async def test_filters_with_reserved_words_and_dotted_names(chat_db: Session) -> None:
    m3 = await chat_db.get(Message, conversation_id="c", created_at=at(3), id="m3")
    assert m3 is not None
    await chat_db.update(m3, set={"status": "read", "client_ref": "r-1"})
    query = chat_db.query(Message, conversation_id="c")
    assert ids(await query.filter(F("status") == "read").all()) == ["m3"]
    query = chat_db.query(Message, conversation_id="c")
    assert ids(await query.filter(F("client_ref") == "r-1").all()) == ["m3"]
    query = chat_db.query(Message, conversation_id="c")
    assert ids(await query.filter(F.attr("client.ref").exists()).all()) == ["m3"]
    query = chat_db.query(Message, conversation_id="c").filter(F("role") == "assistant")
    assert ids(await query.filter(F("text").contains("m")).all()) == ["m1", "m3"]
    query = chat_db.query(Message, conversation_id="c")
    either = query.filter((F("status") == "read") | F("text").is_in("text a", "text m0"))
    assert ids(await either.all()) == ["m0", "a", "m3"]
    assert await chat_db.query(Message, conversation_id="c").filter(
        ~F("status").exists()).count() == 0
    counted = chat_db.query(Message, conversation_id="c").filter(F("role") == "user")
    assert await counted.count() == 4


async def test_projection_keeps_keys(chat_db: Session) -> None:
    messages = await chat_db.query(Message, conversation_id="c").fields("text").all()
    assert [(m.id, m.conversation_id, m.created_at, m.text) for m in messages][:2] == [
        ("m0", "c", at(0), "text m0"), ("m1", "c", at(1), "text m1")]
    assert all(isinstance(m, Partial) and m.model is Message for m in messages)
    assert all(m.fields == {"id", "conversation_id", "created_at", "text"} for m in messages)
    with pytest.raises(FieldNotRead, match="role was not read"):
        _ = messages[0].role  # never its default


async def test_consistent_query(chat_db: Session) -> None:
    assert len(await chat_db.query(Message, conversation_id="c").consistent().all()) == 6


# -- indexes ---------------------------------------------------------------------------


async def test_gsi_on_bare_fields(db: Session) -> None:
    await db.create_tables(Page)
    pages = [await db.put(Page(title=f"p{i}", is_published=i != 1, created_at=at(i)))
             for i in range(4)]
    published = await db.query(Page, index=Page.published, is_published=True).all()
    assert published == [pages[0], pages[2], pages[3]]
    newest = await db.query(Page, index="PublishedPagesIndex", is_published=True).reverse().all()
    assert newest == [pages[3], pages[2], pages[0]]
    recent = db.query(Page, index=Page.published, is_published=True).sk_gte(created_at=at(2))
    assert await recent.all() == [pages[2], pages[3]]
    window = db.query(Page, index=Page.published, is_published=True).sk_between(
        {"created_at": at(0)}, {"created_at": at(2)})
    assert await window.all() == [pages[0], pages[2]]
    drafts = await db.query(Page, index=Page.published, is_published=False).all()
    assert drafts == [pages[1]]


async def test_gsi_on_a_field_shared_with_the_table_key(db: Session) -> None:
    await db.create_tables(Node)
    nodes = [await db.put(Node(page_id="p", title=f"n{i}", created_at=at(5 - i)))
             for i in range(3)]
    await db.put(Node(page_id="q", title="elsewhere"))
    by_page = await db.query(Node, index=Node.by_page, page_id="p").all()
    assert by_page == nodes[::-1]  # the index sorts by created_at


async def test_gsi_on_templated_keys(db: Session) -> None:
    await db.create_tables(Conversation)
    shared = [await db.put(Conversation(user_id=f"u{i}", created_at=at(i), share_id="s"))
              for i in range(3)]
    await db.put(Conversation(user_id="u9", share_id=None))  # not in the sparse index
    await db.put(Conversation(user_id="u8", share_id="other"))
    assert await db.query(Conversation, index="GSI1", share_id="s").all() == shared
    later = db.query(Conversation, index="GSI1", share_id="s").sk_gt(created_at=at(0))
    assert await later.all() == shared[1:]
    assert await db.query(Conversation, index="GSI1", share_id="s").count() == 3


async def test_consistent_read_on_a_gsi_is_refused(db: Session) -> None:
    await db.create_tables(Conversation)
    await db.put(Conversation(user_id="u", share_id="s"))
    query = db.query(Conversation, index="GSI1", share_id="s").consistent()
    with pytest.raises(InvalidRequest, match=r"(?i)consistent"):
        await query.all()


async def test_lsi_prefix_query_is_exact_per_user(db: Session) -> None:
    await db.create_tables(Activity)
    mine = [await db.put(Activity(org_id="o", user_id="a", at=at(i))) for i in (3, 1, 2)]
    for other in ("a#b", "ab", "a%23b", "b"):
        await db.put(Activity(org_id="o", user_id=other, at=at(0)))
    await db.put(Activity(org_id="elsewhere", user_id="a", at=at(0)))
    query = db.query(Activity, index=Activity.by_user, org_id="o").sk_begins_with(user_id="a")
    assert await query.all() == sorted(mine, key=lambda a: a.at)
    since = db.query(Activity, index="ByUser", org_id="o").sk_gte(user_id="a", at=at(2))
    later = [(a.user_id, a.at) for a in await since.all()]  # then every later user
    assert later == [("a", at(2)), ("a", at(3)), ("a#b", at(0)), ("a%23b", at(0)),
                     ("ab", at(0)), ("b", at(0))]
    tagged = await db.query(Activity, index="ByUser", org_id="o").sk_eq(user_id="a#b").all()
    assert [a.user_id for a in tagged] == ["a#b"]
    assert len(await db.query(Activity, index="ByUser", org_id="o").consistent().all()) == 7
