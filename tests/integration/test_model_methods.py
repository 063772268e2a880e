"""Model methods on the session bound by `async with Session()` or `db.bind()`."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from models import Document, Node, Page, sibling_session

from dynamap import ConditionCheckFailed, F, ItemNotFound, Session, SessionError
from dynamap._session import current_session
from dynamap.local import LocalDynamoDB

pytestmark = pytest.mark.integration


async def in_fresh_context(call: Callable[[], Awaitable[Any]]) -> Any:
    """Run `call()` in a task with an empty context: no session is bound there."""

    async def run() -> Any:
        return await call()

    return await asyncio.create_task(run(), context=contextvars.Context())


async def test_crud_through_model_methods(db: Session, server: LocalDynamoDB) -> None:
    await db.create_tables(Page, Document)
    async with sibling_session(db, server) as bound:
        assert current_session() is bound
        page = Page(title="Home")
        assert await page.save() is page
        assert await Page.get(id=page.id) == page
        assert await Page.get(id=page.id, consistent=True) == page
        assert await Page.get(id="missing") is None
        with pytest.raises(ItemNotFound):
            await Page.get_or_raise(id="missing")
        assert await Page.get_or_raise(id=page.id) == page
        assert await page.update(set={"title": "Start"}) is page
        assert page.title == "Start"
        with pytest.raises(ConditionCheckFailed):
            await page.update(set={"title": "x"}, condition=F("title") == "nope")
        with pytest.raises(ConditionCheckFailed):
            await page.save(condition=F("PK").not_exists())
        await Node(page_id=page.id, title="n").save()
        assert [n.title for n in await Node.query(page_id=page.id).all()] == ["n"]
        assert [p.id for p in await Page.query(id=page.id).all()] == [page.id]
        assert [p.id for p in await Page.scan().all()] == [page.id]
        published = await Page.query(index=Page.published, is_published=False).all()
        assert [p.id for p in published] == [page.id]
        await page.delete()
        assert await Page.get(id=page.id) is None
    assert await db.get(Page, id=page.id) is None  # the same table, seen from `db`


async def test_versioned_model_methods(db: Session) -> None:
    await db.create_tables(Document)
    db.bind()
    doc = Document(id="d", title="t")
    await doc.save()
    stale = doc.model_copy()
    await doc.update(set={"body": "b"})
    assert doc.version == 2
    with pytest.raises(ConditionCheckFailed):
        await stale.save()
    with pytest.raises(ConditionCheckFailed):
        await stale.delete()
    await doc.delete()
    assert await Document.get(id="d") is None


async def test_bind_makes_a_session_current_here_and_in_tasks(db: Session) -> None:
    await db.create_tables(Page)
    db.bind()
    page = await Page(title="bound").save()

    async def in_task() -> Page | None:
        return await Page.get(id=page.id)

    assert await asyncio.create_task(in_task()) == page


async def test_nested_sessions_restore_the_outer_one(db: Session, server: LocalDynamoDB) -> None:
    async with sibling_session(db, server) as outer:
        async with sibling_session(db, server) as inner:
            assert current_session() is inner
        assert current_session() is outer


async def test_no_bound_session_is_a_clear_error(db: Session) -> None:
    await db.create_tables(Page)
    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: Page.get(id="x"),
        lambda: Page(title="x").save(),
        lambda: Page(title="x").delete(),
        lambda: Page(title="x").update(set={"title": "y"}),
        lambda: Page.query(id="x").all(),
    ]
    for call in calls:
        with pytest.raises(SessionError, match=r"async with Session\(\)"):
            await in_fresh_context(call)


async def test_a_closed_bound_session_is_refused(db: Session, server: LocalDynamoDB) -> None:
    await db.create_tables(Page)

    async def use_after_close() -> None:
        async with sibling_session(db, server) as session:
            pass
        session.bind()
        await Page.get(id="x")

    with pytest.raises(SessionError, match="closed"):
        await in_fresh_context(use_after_close)


async def test_bind_serves_tasks_that_do_not_inherit_the_context(
    db: Session, server: LocalDynamoDB
) -> None:
    """As under uvicorn: the lifespan binds, requests run in tasks of another context."""
    await db.create_tables(Page)
    async with sibling_session(db, server) as app_session:
        app_session.bind()
        page = await in_fresh_context(lambda: Page(title="from a request").save())
        assert await in_fresh_context(lambda: Page.get(id=page.id)) == page
        assert await in_fresh_context(_current_in_task) is app_session
    assert await db.get(Page, id=page.id) == page
    with pytest.raises(SessionError, match=r"async with Session\(\)"):  # closing unbound it
        await in_fresh_context(_current_in_task)


async def test_use_overrides_the_process_session_in_its_block(
    db: Session, server: LocalDynamoDB
) -> None:
    async with sibling_session(db, server) as process_wide:
        process_wide.bind()

        async def in_request() -> list[Session]:
            seen = [current_session()]
            with db.use():
                seen.append(current_session())
                seen.append(await asyncio.create_task(_current_in_task()))
            seen.append(current_session())
            return seen

        assert await in_fresh_context(in_request) == [process_wide, db, db, process_wide]
        process_wide.unbind()
        with pytest.raises(SessionError):
            await in_fresh_context(_current_in_task)


async def _current_in_task() -> Session:
    return current_session()


async def test_a_closed_session_cannot_be_bound(db: Session, server: LocalDynamoDB) -> None:
    async with sibling_session(db, server) as session:
        pass
    with pytest.raises(SessionError, match="closed"):
        session.bind()
