"""Raw reads and writes of whole items (DynamoDB JSON), for migrations.

A migration writes exactly the item its source record maps to: no version bump, no
timestamp re-stamped. These helpers send BatchGetItem / BatchWriteItem through the
session's transport (signing, retries of failed requests) and retry unprocessed keys
and items with backoff; what is still left after the budget raises `BatchIncomplete`,
carrying exactly those items.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from dynamap import Session
from dynamap._identity import Item
from dynamap.errors import BatchIncomplete

__all__ = ["fetch_items", "item_key", "write_items"]

ATTEMPTS = 8


def item_key(key: Item) -> str:
    """A hashable form of a DynamoDB JSON key."""
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


async def _backoff(attempt: int) -> None:
    await asyncio.sleep(min(0.05 * 2**attempt, 2.0))


async def fetch_items(
    db: Session, table: str, keys: Sequence[Item], *, concurrency: int = 8
) -> dict[str, Item]:
    """The stored items of `keys` (strongly consistent), by `item_key` of their key.

    Raises:
        BatchIncomplete: keys were still unread after the retry budget.
    """
    unique = list({item_key(key): key for key in keys}.values())
    found: dict[str, Item] = {}
    slots = asyncio.Semaphore(concurrency)

    async def one(chunk: list[Item]) -> None:
        async with slots:
            for item in await _get_chunk(db, table, chunk):
                found[item_key({name: item[name] for name in chunk[0]})] = item

    await asyncio.gather(*(one(unique[at : at + 100]) for at in range(0, len(unique), 100)))
    return found


async def _get_chunk(db: Session, table: str, keys: list[Item]) -> list[Item]:
    items: list[Item] = []
    pending = keys
    for attempt in range(ATTEMPTS):
        answer = await db.send(
            "BatchGetItem",
            {"RequestItems": {table: {"Keys": pending, "ConsistentRead": True}}},
            table=table,
        )
        items += answer.get("Responses", {}).get(table, [])
        pending = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not pending:
            return items
        await _backoff(attempt)
    raise BatchIncomplete(f"BatchGetItem on {table}", pending)


async def write_items(
    db: Session, table: str, items: Sequence[Item], *, concurrency: int = 8
) -> int:
    """Put every item as it is, in BatchWriteItem requests of 25.

    Returns:
        How many items were written.

    Raises:
        BatchIncomplete: items were still unwritten after the retry budget.
    """
    slots = asyncio.Semaphore(concurrency)

    async def one(chunk: Sequence[Item]) -> None:
        async with slots:
            await _write_chunk(db, table, chunk)

    await asyncio.gather(*(one(items[at : at + 25]) for at in range(0, len(items), 25)))
    return len(items)


async def _write_chunk(db: Session, table: str, items: Sequence[Item]) -> None:
    pending = [{"PutRequest": {"Item": item}} for item in items]
    for attempt in range(ATTEMPTS):
        answer = await db.send("BatchWriteItem", {"RequestItems": {table: pending}}, table=table)
        pending = answer.get("UnprocessedItems", {}).get(table, [])
        if not pending:
            return
        await _backoff(attempt)
    raise BatchIncomplete(
        f"BatchWriteItem on {table}", [request["PutRequest"]["Item"] for request in pending]
    )
