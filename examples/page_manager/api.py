"""A small async web API over the page manager, with cursor-paginated lists.

```
GET   /pages?published=true&limit=20&cursor=...   pages, newest first, a page of them
POST  /pages                                      {"title": ..., "isPublished": false}
GET   /pages/{id}                                 the page and all its nodes (one query)
PATCH /pages/{id}                                 {"title": ...} and/or {"isPublished": ...}
GET   /pages/{id}/nodes?limit=20&cursor=...       the page's nodes in creation order
POST  /pages/{id}/nodes                           {"title": ..., "description": ..., ...}
```

A list answers `{"items": [...], "cursor": "..."}`; pass the cursor back to get the
next page (it is `null` on the last one). Cursors are signed by the session, so a
tampered or foreign cursor is a 400, not a read of someone else's data. JSON uses
the application's camelCase names.

`create_app(db)` serves an open `Session` (tests, or an app that manages its own);
`create_app()` opens one at startup and closes it at shutdown:

```
uvicorn --factory examples.page_manager.api:create_app
```
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from pydantic.alias_generators import to_camel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dynamap import InvalidCursor, Query, Session
from examples._migration import describe_validation_error
from examples.page_manager import service
from examples.page_manager.models import Node, Page

__all__ = ["create_app"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")


B = TypeVar("B", bound=_Body)


class NewPage(_Body):
    """The body of `POST /pages`."""

    title: StrictStr
    is_published: StrictBool = False


class PageChanges(_Body):
    """The body of `PATCH /pages/{id}`."""

    title: StrictStr | None = None
    is_published: StrictBool | None = None


class NewNode(_Body):
    """The body of `POST /pages/{id}/nodes`."""

    title: StrictStr
    description: StrictStr = ""
    prompt: StrictStr | None = None
    generated_images: list[StrictStr] = Field(default_factory=list)
    prediction_id: StrictStr | None = None
    prediction_status: StrictStr | None = None


def create_app(db: Session | None = None) -> Starlette:
    """The web application, serving `db` (or a session of its own when None)."""
    routes = [
        Route("/pages", _list_pages, methods=["GET"]),
        Route("/pages", _create_page, methods=["POST"]),
        Route("/pages/{page_id}", _get_page, methods=["GET"]),
        Route("/pages/{page_id}", _update_page, methods=["PATCH"]),
        Route("/pages/{page_id}/nodes", _list_nodes, methods=["GET"]),
        Route("/pages/{page_id}/nodes", _create_node, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=None if db is not None else _own_session,
                    exception_handlers={HTTPException: _error})
    app.state.db = db
    return app


@contextlib.asynccontextmanager
async def _own_session(app: Starlette) -> AsyncIterator[None]:
    async with Session() as db:
        app.state.db = db
        yield


async def _error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return JSONResponse({"error": error.detail}, status_code=error.status_code)


def _db(request: Request) -> Session:
    db: Session = request.app.state.db
    return db


def _json(item: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(item.model_dump(mode="json", by_alias=True), status_code=status)


async def _listing(request: Request, query: Query[Any]) -> JSONResponse:
    limit = _limit(request)
    try:
        page = await query.limit(limit).page(cursor=request.query_params.get("cursor"))
    except InvalidCursor as error:
        raise HTTPException(400, str(error)) from None
    items = [item.model_dump(mode="json", by_alias=True) for item in page.items]
    return JSONResponse({"items": items, "cursor": page.cursor})


def _limit(request: Request) -> int:
    text = request.query_params.get("limit", str(DEFAULT_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise HTTPException(400, f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def _flag(request: Request, name: str, default: bool) -> bool:
    text = request.query_params.get(name)
    if text is None:
        return default
    if text not in ("true", "false"):
        raise HTTPException(400, f"{name} must be true or false")
    return text == "true"


async def _body(request: Request, model: type[B]) -> B:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as error:
        raise HTTPException(422, describe_validation_error(error)) from None


async def _page_or_404(db: Session, page_id: str) -> Page:
    page = await service.get_page(db, page_id)
    if page is None:
        raise HTTPException(404, f"no page {page_id!r}")
    return page


async def _list_pages(request: Request) -> Response:
    db = _db(request)
    published = _flag(request, "published", True)
    query = service.published_pages(db) if published else service.unpublished_pages(db)
    return await _listing(request, query)


async def _create_page(request: Request) -> Response:
    body = await _body(request, NewPage)
    page = await service.create_page(_db(request), body.title, published=body.is_published)
    return _json(page, 201)


async def _get_page(request: Request) -> Response:
    page_id = request.path_params["page_id"]
    found = await service.get_page_with_nodes(_db(request), page_id)
    if found is None:
        raise HTTPException(404, f"no page {page_id!r}")
    nodes = [node.model_dump(mode="json", by_alias=True) for node in found.nodes]
    return JSONResponse({**found.page.model_dump(mode="json", by_alias=True), "nodes": nodes})


async def _update_page(request: Request) -> Response:
    db = _db(request)
    body = await _body(request, PageChanges)
    page = await _page_or_404(db, request.path_params["page_id"])
    page = await service.update_page(db, page, title=body.title, published=body.is_published)
    return _json(page)


async def _list_nodes(request: Request) -> Response:
    db = _db(request)
    page = await _page_or_404(db, request.path_params["page_id"])
    return await _listing(request, service.page_nodes(db, page.id))


async def _create_node(request: Request) -> Response:
    db = _db(request)
    body = await _body(request, NewNode)
    page = await _page_or_404(db, request.path_params["page_id"])
    fields = body.model_dump(exclude={"title"})
    node: Node = await service.create_node(db, page.id, body.title, **fields)
    return _json(node, 201)
