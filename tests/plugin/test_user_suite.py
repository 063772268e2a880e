"""A user's test suite that uses nothing but the fixtures of dynamap's pytest plugin."""

from __future__ import annotations

from shop import Order, Product

from dynamap import Session
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


async def test_model_methods_use_the_test_session(dynamap_tables: TableFactory) -> None:
    await dynamap_tables(Product)
    await Product(sku="p2", name="Teapot").save()
    found = await Product.get(sku="p2")
    assert found is not None and found.name == "Teapot"


async def test_the_server_is_local(dynamap_server: LocalDynamoDB) -> None:
    assert dynamap_server.running
    assert dynamap_server.endpoint_url.startswith("http://127.0.0.1:")
