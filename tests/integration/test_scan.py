"""Scans: entity filters in shared tables, options, pages, and parallel segments."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import UTC, datetime

import pytest
from models import Counter, Invite, Node, Page, Revision, User

from dynamap import F, Session

pytestmark = pytest.mark.integration


@pytest.fixture
async def sdb(db: Session) -> Session:
    await db.create_tables(Page, User)
    await db.put(Page(id="p", title="P"))
    for i in range(6):
        await db.put(Node(page_id="p" if i < 4 else "q", id=f"n{i}", title=f"t{i}", position=i))
    await db.put(Revision(page_id="p", number=1))
    return db


async def test_scan_a_model_in_a_shared_table(sdb: Session) -> None:
    nodes = await sdb.scan(Node).all()
    assert sorted(n.id for n in nodes) == [f"n{i}" for i in range(6)]
    assert all(isinstance(n, Node) for n in nodes)
    assert [p.id for p in await sdb.scan(Page).all()] == ["p"]
    assert await sdb.scan(Node).count() == 6


async def test_scan_a_whole_table_decodes_each_entity(sdb: Session) -> None:
    everything = await sdb.scan(Page.__dynamap__.table).all()
    kinds = Tally(type(item).__name__ for item in everything)
    assert kinds == {"Node": 6, "Page": 1, "Revision": 1}


async def test_scan_with_filter_fields_limit_and_raw(sdb: Session) -> None:
    big = await sdb.scan(Node).filter(F("position") >= 3).all()
    assert sorted(n.id for n in big) == ["n3", "n4", "n5"]
    assert len(await sdb.scan(Node).limit(2).all()) == 2
    titles = await sdb.scan(Node).fields("title").all()
    assert sorted((n.id, n.title) for n in titles) == [(f"n{i}", f"t{i}") for i in range(6)]
    assert all("position" not in n for n in titles)  # not read, and not made up
    raw = await sdb.scan(Node).filter(F("id") == "n1").raw().all()
    assert raw == [{"PK": "PAGE#p", "SK": "NODE#n1", "type": "node", "id": "n1",
                    "pageId": "p", "title": "t1", "position": 1,
                    "createdAt": raw[0]["createdAt"]}]


async def test_filters_encode_values_as_their_fields_are_stored(sdb: Session) -> None:
    await sdb.create_tables(Invite)
    await sdb.put(Page(id="live", title="L", is_published=True))
    live = await sdb.scan(Page).filter(F("is_published") == True).all()  # noqa: E712
    assert [p.id for p in live] == ["live"]  # a NumericBool compared as N 1
    for day in (1, 2, 3):
        await sdb.put(Invite(code=f"i{day}", expires_at=datetime(2030, 1, day, tzinfo=UTC)))
    soon = sdb.scan(Invite).filter(F("expires_at") < datetime(2030, 1, 2, 12, tzinfo=UTC))
    assert sorted(i.code for i in await soon.all()) == ["i1", "i2"]  # TTL: epoch seconds
    created = [n.created_at for n in await sdb.scan(Node).all()]
    middle = sorted(created)[3]
    newer = await sdb.scan(Node).filter(F("created_at") >= middle).all()
    assert len(newer) == 3  # a datetime stored as text compares in time order


async def test_scan_an_index(sdb: Session) -> None:
    indexed = await sdb.scan(Node, index=Node.by_page).all()
    assert sorted(n.id for n in indexed) == [f"n{i}" for i in range(6)]


async def test_scan_pages(sdb: Session) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = await sdb.scan(Node).page_size(2).limit(3).page(cursor=cursor)
        seen += [n.id for n in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == [f"n{i}" for i in range(6)]


async def test_parallel_scan_of_small_tables(sdb: Session) -> None:
    nodes = [n async for n in sdb.scan(Node).segments(3)]
    assert sorted(n.id for n in nodes) == [f"n{i}" for i in range(6)]
    assert len(await sdb.scan(Node).segments(4).limit(4).all()) == 4
    with pytest.raises(ValueError, match="parallel"):
        await sdb.scan(Node).segments(2).limit(2).page()


async def test_parallel_scan_returns_each_of_5000_items_exactly_once(db: Session) -> None:
    await db.create_tables(Counter)
    written = await db.put_many(Counter(number=n, label=f"c{n}") for n in range(5000))
    assert written == 5000
    before = db.stats.requests.get("Scan", 0)
    numbers = [c.number async for c in db.scan(Counter).segments(4).page_size(400)]
    assert len(numbers) == 5000
    assert sorted(numbers) == list(range(5000))
    assert db.stats.requests["Scan"] - before >= 4 * 3  # 4 segments, each several pages
    assert await db.scan(Counter).count() == 5000
