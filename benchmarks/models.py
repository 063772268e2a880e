"""The benchmark item as a dynamap model (imported by dynamap's adapter, the floor and
the data loader only)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from benchmarks.dataset import TABLE, plain_items
from dynamap import Key, Model, Table

__all__ = ["BenchItem", "bench_table", "instances"]

bench_table = Table(TABLE)
_NOT_FIELDS = frozenset({"PK", "SK", "entity"})


class BenchItem(Model, table=bench_table, entity="item"):
    """A content item, typical of the apps served: text, a list, numbers, a map."""

    pk: ClassVar[Key] = Key("GROUP#{group}")
    sk: ClassVar[Key] = Key("ITEM#{id}")

    group: str
    id: str
    title: str
    body: str
    tags: list[str]
    views: int
    score: float
    active: bool
    created_at: datetime
    attributes: dict[str, str]


def fields_of(item: dict[str, object]) -> dict[str, object]:
    """A plain item without its keys and entity marker: the model's fields."""
    return {k: v for k, v in item.items() if k not in _NOT_FIELDS}


def instances(group: str, count: int, start: int = 0) -> list[BenchItem]:
    """Items as dynamap models (validated)."""
    return [BenchItem.model_validate(fields_of(item))
            for item in plain_items(group, count, start)]
