"""Pages and cursors: exact resumption, tampering, cursors from other queries."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from models import Node, Page, Revision, sibling_session

from dynamap import F, InvalidCursor, Session
from dynamap._query import Query
from dynamap.local import LocalDynamoDB

pytestmark = pytest.mark.integration

NODE_IDS = [f"n{i:02d}" for i in range(10)]


@pytest.fixture
async def pdb(db: Session) -> Session:
    """Page "p" holding the page itself, ten nodes (positions 0-9) and two revisions;
    page "q" with two nodes."""
    await db.create_tables(Page)
    await db.put(Page(id="p", title="P"))
    for position, ident in enumerate(NODE_IDS):
        await db.put(Node(page_id="p", id=ident, title=ident, position=position))
    for number in (1, 2):
        await db.put(Revision(page_id="p", number=number))
    for ident in ("x", "y"):
        await db.put(Node(page_id="q", id=ident, title=ident))
    return db


async def all_pages(make: Any, *, limit: int) -> list[list[Any]]:
    """Every page of the query `make()` builds, following cursors to the end."""
    pages = []
    cursor = None
    while True:
        page = await make().limit(limit).page(cursor=cursor)
        pages.append(page.items)
        cursor = page.cursor
        if cursor is None:
            return pages
        assert len(pages) <= 20, "cursors never ran out"


def check_pages(pages: list[list[Node]], limit: int, expected: list[str]) -> None:
    flat = [node.id for page in pages for node in page]
    assert flat == expected  # each item once, in order
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit


@pytest.mark.parametrize(("page_size", "limit"),
                         [(3, 2), (2, 3), (3, 3), (None, 4), (1, 10), (4, 10), (10, 3), (7, 5)])
async def test_pages_resume_exactly_after_the_last_item_returned(
    pdb: Session, page_size: int | None, limit: int
) -> None:
    def make() -> Query[Node]:
        query = pdb.query(Node, page_id="p")
        return query.page_size(page_size) if page_size else query

    pages = await all_pages(make, limit=limit)
    check_pages(pages, limit, NODE_IDS)


@pytest.mark.parametrize("limit", [2, 5, 10])
async def test_last_page_has_no_cursor_when_items_divide_evenly(pdb: Session, limit: int) -> None:
    pages = await all_pages(lambda: pdb.query(Node, page_id="p"), limit=limit)
    assert [len(page) for page in pages] == [limit] * (len(NODE_IDS) // limit)


async def test_pages_with_a_filter_and_in_reverse(pdb: Session) -> None:
    def evens() -> Query[Node]:
        return pdb.query(Node, page_id="p").filter(F("position").is_in(0, 2, 4, 6, 8)
                                                    ).page_size(3)

    check_pages(await all_pages(evens, limit=2), 2, NODE_IDS[::2])

    def backwards() -> Query[Node]:
        return pdb.query(Node, page_id="p").reverse().page_size(3)

    check_pages(await all_pages(backwards, limit=4), 4, NODE_IDS[::-1])


async def test_pages_of_a_projection(pdb: Session) -> None:
    def titles() -> Query[Node]:
        return pdb.query(Node, page_id="p").fields("title").page_size(4)

    pages = await all_pages(titles, limit=3)
    check_pages(pages, 3, NODE_IDS)
    assert [n.title for page in pages for n in page] == NODE_IDS


async def test_pages_on_an_index(pdb: Session) -> None:
    def by_page() -> Query[Node]:
        return pdb.query(Node, index=Node.by_page, page_id="p").page_size(3)

    pages = await all_pages(by_page, limit=2)
    flat = [node for page in pages for node in page]
    assert sorted(n.id for n in flat) == NODE_IDS
    assert [n.created_at for n in flat] == sorted(n.created_at for n in flat)


async def test_iteration_with_limit_stops_mid_page(pdb: Session) -> None:
    seen = [n.id async for n in pdb.query(Node, page_id="p").page_size(3).limit(5)]
    assert seen == NODE_IDS[:5]


async def test_the_last_page_has_no_cursor(pdb: Session) -> None:
    page = await pdb.query(Node, page_id="q").limit(5).page()
    assert [n.id for n in page.items] == ["x", "y"]
    assert page.cursor is None


async def test_page_needs_a_limit(pdb: Session) -> None:
    with pytest.raises(ValueError, match="limit"):
        await pdb.query(Node, page_id="p").page()


def flip(text: str) -> str:
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def tamper_key(cursor: str) -> str:
    """The cursor with its payload rewritten to point at another partition."""
    version, payload, signature = cursor.split(".")
    body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = body.replace(b"PAGE#p", b"PAGE#q")
    assert forged != body
    encoded = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    return f"{version}.{encoded}.{signature}"


async def test_tampered_cursors_are_refused(pdb: Session) -> None:
    first = await pdb.query(Node, page_id="p").limit(3).page()
    cursor = first.cursor
    assert cursor is not None
    version, payload, signature = cursor.split(".")
    tampered = [
        tamper_key(cursor),
        f"{version}.{flip(payload)}.{signature}",
        f"{version}.{payload}.{flip(signature)}",
        f"2.{payload}.{signature}",
        f"{version}.{payload}",
        cursor + ".x",
        "",
        "not a cursor",
        f"{version}.!!!.{signature}",
    ]
    for bad in tampered:
        with pytest.raises(InvalidCursor):
            await pdb.query(Node, page_id="p").limit(3).page(cursor=bad)
    again = await pdb.query(Node, page_id="p").limit(3).page(cursor=cursor)
    assert [n.id for n in again.items] == NODE_IDS[3:6]


async def test_foreign_cursors_are_refused(pdb: Session, server: LocalDynamoDB) -> None:
    page = await pdb.query(Node, page_id="p").limit(2).page()
    cursor = page.cursor
    assert cursor is not None
    others: list[Query[Any]] = [
        pdb.query(Node, page_id="q"),
        pdb.query(Node, index=Node.by_page, page_id="p"),
        pdb.query(Node, page_id="p").reverse(),
        pdb.query(Node, page_id="p").filter(F("position") > 0),
        pdb.query(Node, page_id="p").fields("title"),
        pdb.query(Revision, page_id="p"),
    ]
    for other in others:
        with pytest.raises(InvalidCursor):
            await other.limit(2).page(cursor=cursor)
    with pytest.raises(InvalidCursor):
        await pdb.scan(Node).limit(2).page(cursor=cursor)
    async with sibling_session(pdb, server) as stranger:
        with pytest.raises(InvalidCursor):
            await stranger.query(Node, page_id="p").limit(2).page(cursor=cursor)


async def test_foreign_index_cursor_is_refused_on_the_table(pdb: Session) -> None:
    page = await pdb.query(Node, index=Node.by_page, page_id="p").limit(2).page()
    assert page.cursor is not None
    with pytest.raises(InvalidCursor):
        await pdb.query(Node, page_id="p").limit(2).page(cursor=page.cursor)


async def test_cursors_work_across_sessions_sharing_a_secret(
    db: Session, server: LocalDynamoDB
) -> None:
    async with sibling_session(db, server, cursor_secret="s3cret") as one:
        await one.create_tables(Page)
        for ident in NODE_IDS[:4]:
            await one.put(Node(page_id="p", id=ident, title=ident))
        first = await one.query(Node, page_id="p").limit(2).page()
    async with sibling_session(db, server, cursor_secret="s3cret") as two:
        rest = await two.query(Node, page_id="p").limit(2).page(cursor=first.cursor)
    assert [n.id for n in rest.items] == NODE_IDS[2:4]
