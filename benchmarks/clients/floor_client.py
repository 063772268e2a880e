"""The floor: the page parsed by `orjson.loads`, then `BenchItem.model_validate` on
ready plain dicts of the same items (built before the timing). No client does less to
turn a page into validated models; it runs the decode workload only."""

from __future__ import annotations

from typing import Any

import orjson

from benchmarks.clients.base import Bench
from benchmarks.dataset import PAGE_ITEMS, plain_items
from benchmarks.models import BenchItem, fields_of

__all__ = ["FloorBench", "create"]

class FloorBench(Bench):
    """orjson.loads plus model_validate."""

    name = "floor"

    def __init__(self) -> None:
        self.ready = [fields_of(item) for item in plain_items("canned", PAGE_ITEMS)]

    def decode(self, body: bytes) -> list[Any]:
        parsed = orjson.loads(body)["Items"]
        assert len(parsed) == len(self.ready)
        validate = BenchItem.model_validate
        return [validate(item) for item in self.ready]


def create(name: str) -> FloorBench:
    """The floor pseudo-client."""
    return FloorBench()
