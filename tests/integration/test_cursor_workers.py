"""Cursors across processes: each web worker has its own session, so a cursor signed
by one is only valid on another when every worker shares `DYNAMAP_CURSOR_SECRET`."""

from __future__ import annotations

import pytest
from models import Page, sibling_session

from dynamap import InvalidCursor, Session
from dynamap.local import LocalDynamoDB

pytestmark = pytest.mark.integration


async def _first_cursor(db: Session) -> str:
    await db.create_tables(Page)
    await db.put_many([Page(title=f"P{n}") for n in range(3)])
    page = await db.scan(Page).limit(1).page()
    assert page.cursor is not None
    return page.cursor


async def test_a_random_secret_explains_the_mismatch(
    db: Session, server: LocalDynamoDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DYNAMAP_CURSOR_SECRET", raising=False)
    async with sibling_session(db, server) as worker_a, sibling_session(db, server) as worker_b:
        cursor = await _first_cursor(worker_a)
        with pytest.raises(InvalidCursor, match="set DYNAMAP_CURSOR_SECRET"):
            await worker_b.scan(Page).limit(1).page(cursor=cursor)


async def test_a_shared_secret_makes_cursors_valid_on_every_worker(
    db: Session, server: LocalDynamoDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNAMAP_CURSOR_SECRET", "shared by every worker")
    async with sibling_session(db, server) as worker_a, sibling_session(db, server) as worker_b:
        cursor = await _first_cursor(worker_a)
        following = await worker_b.scan(Page).limit(1).page(cursor=cursor)
        assert len(following.items) == 1


async def test_a_configured_secret_gives_no_such_hint(
    db: Session, server: LocalDynamoDB
) -> None:
    async with sibling_session(db, server, cursor_secret="one") as worker_a, \
            sibling_session(db, server, cursor_secret="two") as worker_b:
        cursor = await _first_cursor(worker_a)
        with pytest.raises(InvalidCursor) as raised:
            await worker_b.scan(Page).limit(1).page(cursor=cursor)
        assert "DYNAMAP_CURSOR_SECRET" not in str(raised.value)
