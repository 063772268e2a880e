"""The writes of models with unique fields: each a one-action transaction.

`Session.put`, `update` and `delete` call these for models with unique fields (see
`dynamap._unique` for the marker items); they sit above `dynamap._transaction`, which
plans the markers with `dynamap._unique`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from dynamap._compiler import CompiledModel
from dynamap._context import Context
from dynamap._identity import Item
from dynamap._operations import UpdateSpec
from dynamap._transaction import Transaction
from dynamap.errors import ConditionCheckFailed, ItemNotFound, TransactionCanceled
from dynamap.expressions import Condition

__all__ = ["unique_delete", "unique_put", "unique_update"]


def _transaction(session: Context) -> Transaction:
    return Transaction(session)


async def _commit_one(transaction: Transaction) -> None:
    """Commit a one-action transaction, raising a failed condition as `Session` does."""
    try:
        await transaction.commit()
    except TransactionCanceled as error:
        reasons = error.cancellation_reasons
        if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
            raise
        raise ConditionCheckFailed(
            str(reasons[0].get("Message") or "The conditional request failed"),
            item=reasons[0].get("Item"),
            operation="TransactWriteItems",
            table=error.table,
            code="ConditionalCheckFailedException",
            request_id=error.request_id,
        ) from error


def _current(transaction: Transaction) -> Item | None:
    intent = transaction.actions[0].unique
    return None if intent is None else intent.current


async def unique_put(
    session: Context, instance: BaseModel, condition: Condition | None
) -> BaseModel | None:
    """`Session.put` for a model with unique fields; returns the item replaced."""
    transaction = _transaction(session)
    transaction.put(instance, condition=condition)
    await _commit_one(transaction)
    old = _current(transaction)
    return None if old is None else transaction.actions[0].compiled.from_item(old)


async def unique_update(
    session: Context,
    compiled: CompiledModel[Any],
    known: Mapping[str, Any],
    spec: UpdateSpec,
    condition: Condition | None,
    expected_version: int | None,
) -> Any:
    """`Session.update` for an update that changes unique fields; returns the item now.

    Raises:
        ItemNotFound: the item was deleted right after the update.
    """
    transaction = _transaction(session)
    transaction.add_update(
        compiled, known, spec, condition=condition, expected_version=expected_version
    )
    await _commit_one(transaction)
    action = transaction.actions[0]
    table = action.body["TableName"]
    request = {"TableName": table, "Key": action.key, "ConsistentRead": True}
    item = (await session.send("GetItem", request, table=table)).get("Item")
    if item is None:
        raise ItemNotFound(
            f"the {compiled.model.__name__} was deleted right after the update",
            operation="GetItem",
            table=table,
            code="ItemNotFound",
        )
    return compiled.from_item(item)


async def unique_delete(
    session: Context,
    compiled: CompiledModel[Any],
    key: Item,
    condition: Condition | None,
    expected_version: int | None,
) -> Any:
    """`Session.delete` for a model with unique fields; returns the item deleted."""
    transaction = _transaction(session)
    transaction.add_delete(compiled, key, condition=condition, expected_version=expected_version)
    await _commit_one(transaction)
    old = _current(transaction)
    return None if old is None else compiled.from_item(old)
