"""The page manager's web API on FastAPI, with model methods on a process-wide session.

The same routes as the Starlette app (`examples.page_manager.api`), written the way a
FastAPI app is: `dynamap.web.fastapi.lifespan()` opens one session when the server
starts and binds it for every request task, handlers await model methods
(`Page.get_or_raise(...)`, `page.save()`), and dynamap's errors answer as HTTP
(a missing page is a 404, a tampered cursor a 400) without a try in sight.

```
GET   /pages?published=true&limit=20&cursor=...   pages, newest first, a page of them
POST  /pages                                      {"title": ..., "isPublished": false}
GET   /pages/{id}                                 the page and all its nodes (one query)
PATCH /pages/{id}                                 {"title": ...} and/or {"isPublished": ...}
GET   /pages/{id}/nodes?limit=20&cursor=...       the page's nodes in creation order
POST  /pages/{id}/nodes                           {"title": ..., "description": ..., ...}
GET   /health                                     {"dynamodb": true} when DynamoDB answers
```

Run it with several workers only with `DYNAMAP_CURSOR_SECRET` set, so that a cursor
one worker signed is valid on the others:

```
DYNAMAP_CURSOR_SECRET=... uvicorn --factory examples.page_manager.fastapi_app:create_app
```
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI
from fastapi import Query as Param
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from dynamap import F, Query
from dynamap.web.fastapi import DB, add_error_handlers, lifespan
from examples.page_manager import service
from examples.page_manager.api import MAX_LIMIT, NewNode, NewPage, PageChanges
from examples.page_manager.models import Node, Page

__all__ = ["create_app"]

Limit = Annotated[int, Param(ge=1, le=MAX_LIMIT)]


def create_app() -> FastAPI:
    """The FastAPI application; its session opens when the server starts."""
    app = FastAPI(title="Page manager", lifespan=lifespan())
    add_error_handlers(app)
    app.get("/health")(health)
    app.get("/pages")(list_pages)
    app.post("/pages", status_code=201)(create_page)
    app.get("/pages/{page_id}")(read_page)
    app.patch("/pages/{page_id}")(update_page)
    app.get("/pages/{page_id}/nodes")(list_nodes)
    app.post("/pages/{page_id}/nodes", status_code=201)(create_node)
    return app


def _json(item: BaseModel) -> dict[str, Any]:
    return item.model_dump(mode="json", by_alias=True)


async def _listing(query: Query[Any], limit: int, cursor: str | None) -> dict[str, Any]:
    page = await query.limit(limit).page(cursor=cursor)  # a bad cursor is a 400
    return {"items": [_json(item) for item in page.items], "cursor": page.cursor}


async def health(db: DB) -> JSONResponse:
    """Whether DynamoDB answers; a 503 when it does not."""
    up = await db.ping()
    return JSONResponse({"dynamodb": up}, status_code=200 if up else 503)


async def list_pages(
    published: bool = True, limit: Limit = 20, cursor: str | None = None
) -> dict[str, Any]:
    """Published (or draft) pages, newest first."""
    query = Page.query(index=Page.published, is_published=published).reverse()
    return await _listing(query, limit, cursor)


async def create_page(body: NewPage) -> dict[str, Any]:
    """Store a new page."""
    page = Page(title=body.title, is_published=body.is_published)
    return _json(await page.save(condition=F.attr("PK").not_exists()))


async def read_page(page_id: str, db: DB) -> dict[str, Any]:
    """A page and all its nodes, oldest node first (one query on the partition)."""
    found = await service.get_page_with_nodes(db, page_id)
    if found is None:
        await Page.get_or_raise(id=page_id)  # the 404 dynamap's errors answer with
    assert found is not None
    return {**_json(found.page), "nodes": [_json(node) for node in found.nodes]}


async def update_page(page_id: str, body: PageChanges, db: DB) -> dict[str, Any]:
    """Rename and/or (un)publish a page."""
    page = await Page.get_or_raise(id=page_id)
    changed = await service.update_page(db, page, title=body.title,
                                        published=body.is_published)
    return _json(changed)


async def list_nodes(page_id: str, limit: Limit = 20, cursor: str | None = None
                     ) -> dict[str, Any]:
    """A page's nodes in creation order."""
    await Page.get_or_raise(id=page_id)
    return await _listing(Node.query(index=Node.by_page, page_id=page_id), limit, cursor)


async def create_node(page_id: str, body: NewNode) -> dict[str, Any]:
    """Store a new node in a page's partition."""
    await Page.get_or_raise(id=page_id)
    node = Node(page_id=page_id, **body.model_dump())
    return _json(await node.save(condition=F.attr("PK").not_exists()))
