"""Collections: one partition holding several models, read in one query."""

from __future__ import annotations

import pytest
from models import Conversation, Node, Page, Revision, User, UserSettings, chat, pages

from dynamap import F, InvalidKey, InvalidValue, Partial, Session

pytestmark = pytest.mark.integration


@pytest.fixture
async def cdb(db: Session) -> Session:
    await db.create_tables(Page, User)
    return db


async def put_unknown(db: Session, pk: str, sk: str, entity: str | None) -> None:
    item = {"PK": {"S": pk}, "SK": {"S": sk}, "note": {"S": "from another app"}}
    if entity is not None:
        item["type"] = {"S": entity}
    await db.send("PutItem", {"TableName": db.table_name(pages), "Item": item})


async def test_a_page_and_everything_in_it_in_one_query(cdb: Session) -> None:
    page = await cdb.put(Page(id="p", title="Home"))
    nodes = [await cdb.put(Node(page_id="p", id=f"n{i}", title=f"n{i}")) for i in range(3)]
    revisions = [await cdb.put(Revision(page_id="p", number=n)) for n in (1, 2)]
    await cdb.put(Node(page_id="other", id="n9", title="elsewhere"))
    before = cdb.stats.requests.get("Query", 0)
    everything = await cdb.query(pages, Page, id="p").all()
    assert cdb.stats.requests["Query"] == before + 1
    # Sorted by sort key: META#, NODE#..., REV#...
    assert everything == [page, *nodes, *revisions]
    assert [type(x) for x in everything] == [Page, Node, Node, Node, Revision, Revision]


async def test_unknown_entities_are_skipped_raw_or_refused(cdb: Session) -> None:
    page = await cdb.put(Page(id="p", title="Home"))
    node = await cdb.put(Node(page_id="p", id="n1", title="n1"))
    await put_unknown(cdb, "PAGE#p", "COMMENT#1", "comment")
    await put_unknown(cdb, "PAGE#p", "LEGACY#1", None)
    collection = cdb.query(pages, Page, id="p")
    assert await collection.all() == [page, node]
    raw = await cdb.query(pages, Page, id="p").unknown("raw").all()
    assert raw[0] == {"PK": "PAGE#p", "SK": "COMMENT#1", "type": "comment",
                      "note": "from another app"}
    assert raw[1] == {"PK": "PAGE#p", "SK": "LEGACY#1", "note": "from another app"}
    assert raw[2:] == [page, node]
    with pytest.raises(InvalidValue, match="comment"):
        await cdb.query(pages, Page, id="p").unknown("error").all()


async def test_model_queries_do_not_leak_other_entities(cdb: Session) -> None:
    await cdb.put(Page(id="p", title="Home"))
    node = await cdb.put(Node(page_id="p", id="n1", title="n1"))
    await put_unknown(cdb, "PAGE#p", "NODE#zz", "comment")  # in Node's key range
    assert await cdb.query(Node, page_id="p").all() == [node]
    assert await cdb.query(Node, page_id="p").count() == 1


async def test_the_user_partition_holds_three_models(cdb: Session) -> None:
    user = await cdb.put(User(id="a", name="A"))
    settings = await cdb.put(UserSettings(user_id="a", language="de"))
    conversations = [await cdb.put(Conversation(user_id="a", title=f"c{i}")) for i in range(2)]
    other = await cdb.put(User(id="a#b", name="AB"))
    await cdb.put(Conversation(user_id="a#b", title="not a's"))
    await cdb.put(Conversation(user_id="ab", title="not a's either"))
    everything = await cdb.query(chat, User, id="a").all()
    assert everything == [*conversations, user, settings]  # CONV#... < PROFILE < SETTINGS
    assert await cdb.query(Conversation, user_id="a").all() == conversations
    escaped = await cdb.query(chat, User, id="a#b").all()
    assert [type(x).__name__ for x in escaped] == ["Conversation", "User"]
    assert escaped[1] == other


async def test_collection_reads_with_options(cdb: Session) -> None:
    await cdb.put(Page(id="p", title="Home"))
    for i in range(4):
        await cdb.put(Node(page_id="p", id=f"n{i}", title=f"n{i}", position=i))
    collection = cdb.query(pages, Page, id="p")
    newest = await collection.reverse().limit(2).all()
    assert [x.id for x in newest] == ["n3", "n2"]
    nodes_only = await cdb.query(pages, Page, id="p").sk_begins_with("NODE#").all()
    assert [x.id for x in nodes_only] == ["n0", "n1", "n2", "n3"]
    filtered = await cdb.query(pages, Page, id="p").filter(F.attr("position") >= 2).all()
    assert [x.id for x in filtered] == ["n2", "n3"]
    titles = await cdb.query(pages, Page, id="p").fields("title").all()
    assert [(x.model.__name__, x.id, x.title) for x in titles][:2] == [
        ("Page", "p", "Home"), ("Node", "n0", "n0")]
    assert all(isinstance(x, Partial) for x in titles)
    assert await cdb.query(pages, Page, id="p").count() == 5
    first = await cdb.query(pages, Page, id="p").first()
    assert isinstance(first, Page)
    pages_seen: list[str] = []
    cursor = None
    while True:
        page = await cdb.query(pages, Page, id="p").page_size(2).limit(2).page(cursor=cursor)
        pages_seen += [x.id for x in page.items]
        if (cursor := page.cursor) is None:
            break
    assert pages_seen == ["p", "n0", "n1", "n2", "n3"]


async def test_collection_on_an_index(cdb: Session) -> None:
    shared = await cdb.put(Conversation(user_id="u", share_id="s"))
    found = await cdb.query(chat, Conversation, index="GSI1", share_id="s").all()
    assert found == [shared]


async def test_a_collection_is_named_by_a_model_and_its_key_fields(cdb: Session) -> None:
    with pytest.raises(InvalidKey, match=r"db.query\(table, Page, id=...\)"):
        cdb.query(pages, pk="PAGE#p")  # the old raw spelling is refused, with the new one
    with pytest.raises(InvalidKey, match="raw_pk"):
        cdb.query(pages, id="p")
    with pytest.raises(TypeError, match="must be one of its models"):
        cdb.query(pages, User, id="a")
    with pytest.raises(InvalidKey):
        cdb.query(pages, raw_pk=5)


async def test_a_client_chosen_id_cannot_reach_another_collection(cdb: Session) -> None:
    await cdb.put(Page(id="a#b", title="private"))
    await cdb.put(Node(page_id="a#b", id="n", title="hidden"))
    # "a%23b" is how "a#b" is escaped inside the key; given as an id, it is escaped again
    assert await cdb.query(pages, Page, id="a%23b").all() == []
    assert len(await cdb.query(pages, Page, id="a#b").all()) == 2
    raw = await cdb.query(pages, raw_pk=Page.pk.format(id="a#b")).all()
    assert [x.title for x in raw] == ["private", "hidden"]
