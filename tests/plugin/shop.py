"""The models of a small shop, as a user's application would declare them."""

from __future__ import annotations

from pydantic import Field

from dynamap import GSI, Key, Model, Table, new_id

shop = Table("Shop")


class Product(Model, table=shop, entity="product"):
    pk = Key("PRODUCT#{sku}")
    sk = Key("META#")
    by_category = GSI("ByCategory", pk="category", sk="sku")

    sku: str
    name: str
    category: str = "misc"
    price_cents: int = 0


class Order(Model, table=shop, entity="order"):
    pk = Key("CUSTOMER#{customer}")
    sk = Key("ORDER#{id}")

    id: str = Field(default_factory=new_id)
    customer: str
    skus: list[str] = Field(default_factory=list)
