"""A user's test suite that uses nothing but the fixtures of dynamap's pytest plugin."""

from __future__ import annotations

import httpx
import pytest
from shop import Order, Product
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dynamap import Session, SessionError
from dynamap.local import LocalDynamoDB
from dynamap.testing import TableFactory


async def test_dynamap_tables_creates_the_tables_of_the_models_named(
    dynamap_tables: TableFactory,
) -> None:
    db = await dynamap_tables(Product, Order)
    await db.put(Product(sku="p1", name="Kettle", category="kitchen"))
    order = await db.put(Order(customer="c1", skus=["p1"]))
    assert await db.get(Product, sku="p1") == Product(sku="p1", name="Kettle",
                                                      category="kitchen")
    assert await db.query(Order, customer="c1").all() == [order]
    kitchen = await db.query(Product, index=Product.by_category, category="kitchen").all()
    assert [product.sku for product in kitchen] == ["p1"]


async def test_each_test_gets_tables_of_its_own(
    dynamap_tables: TableFactory, dynamap_session: Session
) -> None:
    db = await dynamap_tables(Product)
    assert db is dynamap_session
    assert db.table_prefix
    assert db.table_name(Product) == f"{db.table_prefix}Shop"
    assert await db.query(Product, sku="p1").all() == []  # the first test's item is not here


async def test_model_methods_use_the_test_session_when_asked(
    dynamap_tables: TableFactory, dynamap_bind: Session
) -> None:
    assert await dynamap_tables(Product) is dynamap_bind
    await Product(sku="p2", name="Teapot").save()
    found = await Product.get(sku="p2")
    assert found is not None and found.name == "Teapot"


async def test_the_server_is_local(dynamap_server: LocalDynamoDB) -> None:
    assert dynamap_server.running
    assert dynamap_server.endpoint_url.startswith("http://127.0.0.1:")


async def _product(request: Request) -> Response:
    found = await Product.get(sku=request.path_params["sku"])
    return JSONResponse({"name": None if found is None else found.name})


#: An app that forgot to open a session at startup: it has no lifespan at all.
forgetful_app = Starlette(routes=[Route("/products/{sku}", _product)])


async def test_the_test_session_does_not_leak_into_the_app_under_test(
    dynamap_tables: TableFactory,
) -> None:
    db = await dynamap_tables(Product)
    await db.put(Product(sku="p3", name="Mug"))
    transport = httpx.ASGITransport(app=forgetful_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        with pytest.raises(SessionError):  # as it would fail in production
            await http.get("/products/p3")


async def test_dynamap_bind_lends_the_test_session_to_the_app(
    dynamap_tables: TableFactory, dynamap_bind: Session
) -> None:
    await (await dynamap_tables(Product)).put(Product(sku="p4", name="Jug"))
    transport = httpx.ASGITransport(app=forgetful_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        answer = await http.get("/products/p4")
    assert answer.json() == {"name": "Jug"}
