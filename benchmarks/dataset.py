"""The benchmark data: one item shape, generated deterministically, in every form a
client needs (DynamoDB JSON, plain Python values; the dynamap model is in
`benchmarks.models`, so that a peer's worker process never imports dynamap).

An item is about 585 bytes of DynamoDB JSON (about 400 bytes by DynamoDB's own size
rules), so a full 1 MB Query page holds 2,562 of them: the canned page is exactly such
a page. Every client reads and writes the same stored items, under the same attribute
names: keys `PK`/`SK`, the entity marker `entity`, and one attribute per field.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

__all__ = [
    "PAGE_ITEMS",
    "TABLE",
    "canned_page",
    "item_key",
    "partition",
    "plain_items",
    "wire_items",
]

TABLE = "DynamapBench"
#: Items in one full (1 MB) Query page of this shape.
PAGE_ITEMS = 2_562

_WORDS = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
    "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
    "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
)
_COLOURS = ("red", "green", "blue", "amber", "violet", "teal")
_SIZES = ("small", "medium", "large")
_START = datetime(2024, 1, 1, tzinfo=UTC)


def partition(group: str) -> str:
    """The PK value of a group's partition."""
    return f"GROUP#{group}"


def item_key(group: str, number: int) -> dict[str, dict[str, str]]:
    """The DynamoDB JSON key of item `number` of `group`."""
    return {"PK": {"S": partition(group)}, "SK": {"S": f"ITEM#{number:07d}"}}


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize()


def plain_items(group: str, count: int, start: int = 0) -> list[dict[str, Any]]:
    """Items as plain Python values, keys and entity marker included (stored form:
    `created_at` is the text dynamap stores; numbers are int and float)."""
    rng = random.Random(f"{group}:{start}")
    items = []
    for number in range(start, start + count):
        created = _START + timedelta(seconds=number * 37, microseconds=rng.randrange(1, 10**6))
        items.append({
            "PK": partition(group),
            "SK": f"ITEM#{number:07d}",
            "entity": "item",
            "group": group,
            "id": f"{number:07d}",
            "title": _sentence(rng, 5),
            "body": _sentence(rng, 31),
            "tags": [rng.choice(_WORDS) for _ in range(3)],
            "views": rng.randrange(0, 1_000_000),
            "score": round(rng.random() * 100, 6),
            "active": rng.random() < 0.7,
            "created_at": created.isoformat()[:-6] + "Z",
            "attributes": {"colour": rng.choice(_COLOURS), "size": rng.choice(_SIZES)},
        })
    return items


def to_wire(item: dict[str, Any]) -> dict[str, Any]:
    """One plain item as DynamoDB JSON."""
    return {
        "PK": {"S": item["PK"]},
        "SK": {"S": item["SK"]},
        "entity": {"S": item["entity"]},
        "group": {"S": item["group"]},
        "id": {"S": item["id"]},
        "title": {"S": item["title"]},
        "body": {"S": item["body"]},
        "tags": {"L": [{"S": tag} for tag in item["tags"]]},
        "views": {"N": str(item["views"])},
        "score": {"N": repr(item["score"])},
        "active": {"BOOL": item["active"]},
        "created_at": {"S": item["created_at"]},
        "attributes": {"M": {k: {"S": v} for k, v in item["attributes"].items()}},
    }


def wire_items(group: str, count: int, start: int = 0) -> list[dict[str, Any]]:
    """Items as DynamoDB JSON."""
    return [to_wire(item) for item in plain_items(group, count, start)]


def canned_page(count: int = PAGE_ITEMS) -> bytes:
    """A full Query answer as DynamoDB sends it: the bytes of the canned server.

    It has no `LastEvaluatedKey`, so every client's ordinary "read the whole query"
    loop stops after this one page.
    """
    answer = {"Count": count, "Items": wire_items("canned", count), "ScannedCount": count}
    return orjson.dumps(answer)
