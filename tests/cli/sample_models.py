"""Models the CLI tests import: a shared table with TTL and camelCase aliases, and a
table of its own keyed on a bare field."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from dynamap import GSI, Key, Model, Table

shop = Table("CliShop", entity_attribute="kind")
audit = Table("CliAudit")


class Customer(Model, table=shop, entity="customer"):
    pk: ClassVar[Key] = Key("CUSTOMER#{id}")
    sk: ClassVar[Key] = Key("PROFILE#")
    by_email: ClassVar[GSI] = GSI("CustomersByEmail", pk="email")

    id: str
    email: str
    name: str
    age: int | None = None
    vip: bool = False
    joined: datetime | None = None
    balance: Decimal = Decimal(0)
    tags: list[str] = Field(default_factory=list)


class Order(Model, table=shop, entity="order", ttl="expires_at"):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True)

    pk: ClassVar[Key] = Key("CUSTOMER#{customer_id}")
    sk: ClassVar[Key] = Key("ORDER#{id}")

    id: str
    customer_id: str
    total: float
    expires_at: datetime | None = None


class Event(Model, table=audit):
    pk: ClassVar[Key] = Key("id")

    id: str
    message: str
