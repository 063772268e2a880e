"""A provisioned table with a stream, tags, a TTL, a GSI on a number and an INCLUDE GSI,
and an LSI: the models the drift tests bend live tables away from."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from dynamap import GSI, LSI, Key, Model, NumericBool, Table

catalog = Table("CliCatalog", billing_mode="PROVISIONED", read_capacity=3, write_capacity=2,
                stream="NEW_AND_OLD_IMAGES", tags={"team": "shop"})


class Product(Model, table=catalog, entity="product", ttl="expires_at"):
    pk: ClassVar[Key] = Key("SHOP#{shop}")
    sk: ClassVar[Key] = Key("PRODUCT#{id}")
    live: ClassVar[GSI] = GSI("LiveIndex", pk="is_live", sk="created_at")
    by_owner: ClassVar[GSI] = GSI("OwnerIndex", pk="owner", projection="INCLUDE",
                                  include=("title",))
    by_title: ClassVar[LSI] = LSI("TitleIndex", sk="title")

    shop: str
    id: str
    owner: str
    title: str
    is_live: NumericBool = False
    created_at: datetime
    expires_at: datetime | None = None
