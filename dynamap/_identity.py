"""Items and their identities: the one `Item` alias, and the hashable form of a key.

A key (DynamoDB JSON) is compared by its canonical bytes; an item in a request that
spans tables (a batch, a transaction) by its table and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["Item", "canonical_key", "item_identity"]

#: An item or key as DynamoDB JSON: attribute name -> attribute value.
Item = dict[str, Any]


def canonical_key(key: Mapping[str, Any]) -> bytes:
    """A hashable form of a key (DynamoDB JSON), equal for equal keys."""
    return orjson.dumps(key, option=orjson.OPT_SORT_KEYS)


def item_identity(table: str, key: Mapping[str, Any]) -> bytes:
    """The identity of an item across tables: its table's name and its key."""
    return table.encode() + b"\x00" + canonical_key(key)
