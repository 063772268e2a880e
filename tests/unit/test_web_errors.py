"""dynamap's errors as HTTP answers, in FastAPI and Starlette apps (through httpx's
ASGITransport: these handlers need no session; the real-server tests are tests/web)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dynamap import (
    ConditionCheckFailed,
    DynamapError,
    InvalidCursor,
    InvalidKey,
    ItemNotFound,
    ItemTooLarge,
    ServiceUnavailable,
    Throttled,
    TransactionCanceled,
    UniqueConstraintViolated,
)
from dynamap.web import http_answer
from dynamap.web.fastapi import add_error_handlers
from dynamap.web.starlette import error_handlers

TABLE = "prod-Secret-Table-Name"
ERRORS: dict[str, DynamapError] = {
    "missing": ItemNotFound("no Page with {'id': 'x'}", operation="GetItem", table=TABLE),
    "conflict": ConditionCheckFailed("The conditional request failed", operation="PutItem",
                                     table=TABLE, item={"PK": {"S": "PAGE#x"}}),
    "taken": UniqueConstraintViolated("User", "email", "ada@example.com"),
    "cancelled": TransactionCanceled("cancelled", operation="TransactWriteItems", table=TABLE),
    "cursor": InvalidCursor("pagination cursor belongs to another query"),
    "large": ItemTooLarge("item is 500000 bytes, over 400 KB", size=500_000),
    "throttled": Throttled("Rate exceeded", operation="Query", table=TABLE),
    "unavailable": ServiceUnavailable("HTTP 500", operation="Query", table=TABLE),
}
STATUS = {"missing": 404, "conflict": 409, "taken": 409, "cancelled": 409, "cursor": 400,
          "large": 413, "throttled": 503, "unavailable": 503}


def test_each_error_has_its_status() -> None:
    for name, error in ERRORS.items():
        answer = http_answer(error, retry_after=7)
        assert answer is not None, name
        assert answer.status == STATUS[name], name
        assert answer.body["error"] == type(error).__name__
        assert TABLE not in answer.body["detail"]           # the physical table stays inside
        assert answer.headers == ({"Retry-After": "7"} if answer.status == 503 else {})


def test_other_errors_are_left_to_be_500s() -> None:
    assert http_answer(InvalidKey("id is missing")) is None
    assert http_answer(RuntimeError("a bug")) is None


def fastapi_app() -> FastAPI:
    app = FastAPI()
    add_error_handlers(app)

    @app.get("/raise/{name}")
    async def raise_it(name: str) -> None:
        raise ERRORS[name]

    return app


def starlette_app() -> Starlette:
    async def raise_it(request: Request) -> Response:
        raise ERRORS[request.path_params["name"]]

    return Starlette(routes=[Route("/raise/{name}", raise_it)],
                     exception_handlers=error_handlers())


@pytest.mark.parametrize("make", [fastapi_app, starlette_app])
async def test_apps_answer_with_the_status(make: object) -> None:
    app = make()  # type: ignore[operator]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        for name, status in STATUS.items():
            answer = await http.get(f"/raise/{name}")
            assert answer.status_code == status, name
            assert answer.json()["error"] == type(ERRORS[name]).__name__
            assert ("retry-after" in answer.headers) == (status == 503)
