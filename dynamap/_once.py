"""Sending an update that must not be applied twice: exactly once, or at most once.

An update that is not `retry_safe` (see `dynamap._outcome`) is sent under the
session's `RetryPolicy.non_idempotent`:

- "transaction": as a one-action TransactWriteItems with a ClientRequestToken. The
  transport retries it with the same token, which DynamoDB applies once: a retry of a
  commit that landed is answered with success and changes nothing (for ten minutes
  after the first commit, far beyond any retry budget). A cancellation means it was
  not applied: a failed condition raises `ConditionCheckFailed` with the stored item,
  a conflict with another transaction is sent again under a new token. A transaction
  returns no values, so the item is then read back with a consistent GetItem.
- "no-retry": as the UpdateItem it is, retried only after failures that prove it was
  not applied (a throttle, a refused connection); after one that may have applied it
  the transport raises `AmbiguousWrite`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from dynamap._outcome import as_transaction
from dynamap._retry import RetryPolicy
from dynamap.errors import ConditionCheckFailed, InvalidRequest, ItemNotFound, TransactionCanceled

__all__ = ["Send", "update_once"]

Send = Callable[..., Awaitable[dict[str, Any]]]
_CONFLICTS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


async def update_once(
    send: Send, retry: RetryPolicy, request: Mapping[str, Any], table: str
) -> dict[str, Any]:
    """Apply the UpdateItem `request` once and return its answer, `Attributes` the item
    as it is now (see the module docstring).

    Raises:
        ConditionCheckFailed: the update's condition failed (`item`: the stored item,
            DynamoDB JSON).
        AmbiguousWrite: under "no-retry", the update may have been applied.
    """
    if retry.non_idempotent == "no-retry":
        return await send("UpdateItem", request, table=table, idempotent=False)
    await _commit(send, retry, request, table)
    read = {"TableName": request["TableName"], "Key": request["Key"], "ConsistentRead": True}
    item = (await send("GetItem", read, table=table)).get("Item")
    if item is None:
        raise ItemNotFound(
            "the update was applied, but the item was deleted before it could be read back",
            operation="UpdateItem",
            table=table,
            code="ItemNotFound",
        )
    return {"Attributes": item}


async def _commit(send: Send, retry: RetryPolicy, request: Mapping[str, Any], table: str) -> None:
    state = retry.start()
    token = uuid.uuid4().hex
    while True:
        try:
            await send("TransactWriteItems", as_transaction(request, token), table=table)
            return
        except TransactionCanceled as error:
            reason = error.cancellation_reasons[0] if error.cancellation_reasons else {}
            code = reason.get("Code") or error.code
            if code == "ConditionalCheckFailed":
                raise _condition_failed(error, reason) from None
            conflict = code in _CONFLICTS or code == "TransactionConflictException"
            delay = state.next_delay() if conflict else None
            if delay is None:
                raise
            if not error.ambiguous:  # no try of this token can land later: a new commit
                token = uuid.uuid4().hex
        except InvalidRequest as error:  # the same token is still being applied
            in_progress = error.code == "TransactionInProgressException"
            delay = state.next_delay() if in_progress else None
            if delay is None:
                raise
        await asyncio.sleep(delay)


def _condition_failed(
    error: TransactionCanceled, reason: Mapping[str, Any]
) -> ConditionCheckFailed:
    """The cancellation of the one action as the error its UpdateItem would have
    raised. Not ambiguous: with its token, a transaction that landed is never
    cancelled on a retry."""
    return ConditionCheckFailed(
        str(reason.get("Message") or "The conditional request failed"),
        item=reason.get("Item"),
        operation="UpdateItem",
        table=error.table,
        code="ConditionalCheckFailedException",
        request_id=error.request_id,
    )
