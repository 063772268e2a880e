"""What a write did when its answer was lost: which writes may be retried, and the
proofs that a retried write had in fact landed.

A try that was sent and whose answer was lost may have been applied. Sending it again
is safe when applying it twice is the same as applying it once (`retry_safe`): a put,
a delete, an update that only sets values or removes attributes, or any update checked
against the version it increments (the retry of a landed try then fails its check).
Any other update (ADD to a number, list_append, arithmetic) is sent instead as a
one-action TransactWriteItems with a ClientRequestToken (`as_transaction`), which
DynamoDB applies once however often it arrives within ten minutes.

A retried write whose condition fails may have failed on its own earlier try. The
stored item proves it did when it carries what only that try wrote: the `updated`
timestamp dynamap set on it (unique per write, see `dynamap._clock`), and for a
versioned write the version it set (`put_proof`, `update_proof`). A delete leaves
nothing behind, so it proves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dynamap._compiler import CompiledModel
from dynamap._identity import Item
from dynamap._operations import PreparedWrite
from dynamap._witness import Watch
from dynamap.errors import AmbiguousWrite, ConditionCheckFailed, OperationError

__all__ = [
    "Proof",
    "as_transaction",
    "delete_unknown",
    "landed_answer",
    "landed_item",
    "proof_of",
    "put_proof",
    "refuse_lost_old_item",
    "retry_safe",
    "safe_update",
    "same_item",
    "update_proof",
]

#: A test of a stored item: does it show that one particular write landed?
Proof = Callable[[Item], bool]

#: A clause keyword: a whole word, not part of a `#name` or `:value` placeholder.
_CLAUSE = re.compile(r"(?<![#:\w])(SET|REMOVE|ADD|DELETE)(?!\w)", re.IGNORECASE)
_VALUE = re.compile(r"^:\w+$")
_IF_NOT_EXISTS = re.compile(
    r"^if_not_exists\s*\(\s*(?P<path>[^,()]+?)\s*,\s*:\w+\s*\)$", re.IGNORECASE
)
_SET_TYPES = frozenset({"SS", "NS", "BS"})
#: The parts of an UpdateItem request that an Update action of a transaction takes.
_UPDATE_PARTS = (
    "TableName",
    "Key",
    "UpdateExpression",
    "ConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
)


def retry_safe(request: Mapping[str, Any]) -> bool:
    """Whether an UpdateItem request has the same effect applied twice as once.

    It does when every action only sets a value (`SET a = :v`, `SET a =
    if_not_exists(a, :v)`), removes an attribute (not a list element: removing
    `a[0]` twice removes two), adds members to a set or deletes them from it.
    Anything else, or anything not recognised, is taken as unsafe.
    """
    expression = request.get("UpdateExpression")
    if not isinstance(expression, str):
        return False
    values = request.get("ExpressionAttributeValues", {})
    parts = _CLAUSE.split(expression)
    if parts[0].strip() or len(parts) < 3:
        return False
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        actions = _top_level_split(body)
        if not all(_safe_action(keyword.upper(), action, values) for action in actions):
            return False
    return True


def _safe_action(keyword: str, action: str, values: Mapping[str, Any]) -> bool:
    if keyword == "SET":
        path, equals, value = action.partition("=")
        if not equals:
            return False
        value, path = value.strip(), path.strip()
        if _VALUE.match(value):
            return True
        guarded = _IF_NOT_EXISTS.match(value)
        return guarded is not None and guarded["path"].strip() == path
    if keyword == "REMOVE":
        return "[" not in action
    if keyword == "ADD":
        path, _, value = action.strip().rpartition(" ")
        attribute = values.get(value.strip())
        return bool(path) and isinstance(attribute, dict) and set(attribute) <= _SET_TYPES
    return keyword == "DELETE"  # removing members from a set


def _top_level_split(text: str) -> list[str]:
    """`text` split at the commas outside parentheses."""
    pieces, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def as_transaction(request: Mapping[str, Any], token: str) -> dict[str, Any]:
    """The UpdateItem `request` as a one-action TransactWriteItems carrying `token`.

    A failed condition comes back as a cancellation with the stored item
    (`ReturnValuesOnConditionCheckFailure: ALL_OLD`); a transaction returns no
    values, so the updated item must be read back.
    """
    update = {part: request[part] for part in _UPDATE_PARTS if part in request}
    if "ConditionExpression" in update:
        update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"TransactItems": [{"Update": update}], "ClientRequestToken": token}


def put_proof(compiled: CompiledModel[Any], written: Item) -> Proof | None:
    """The test that a stored item is the one this put wrote, or None when the item
    cannot be told from another writer's: only a model with an `updated` timestamp
    makes each put's item unique."""
    if compiled.options.updated is None:
        return None
    return lambda stored: same_item(compiled, stored, written)


def update_proof(compiled: CompiledModel[Any], changes: Mapping[str, Any]) -> Proof | None:
    """The test that a stored item was last written by this update, or None.

    `changes` are the field values the update set itself (`PreparedWrite.changes`).
    The proof is the `updated` timestamp it set, and, for a versioned update, the
    version it set; a caller that set `updated` itself leaves no proof.
    """
    updated = compiled.options.updated
    if updated is None or updated not in changes:
        return None
    marks = {
        compiled.codec.attribute_names[updated]: compiled.codec.encode_field(
            updated, changes[updated]
        )
    }
    version = compiled.options.version
    if version is not None and version in changes:
        marks[compiled.codec.attribute_names[version]] = {"N": str(changes[version])}
    return lambda stored: all(_same_value(stored.get(name), mark) for name, mark in marks.items())


def _same_value(stored: Any, mark: Any) -> bool:
    if stored == mark:
        return True
    if isinstance(stored, dict) and isinstance(mark, dict) and "N" in stored and "N" in mark:
        try:  # numbers come back in DynamoDB's canonical text, not necessarily ours
            return int(stored["N"]) == int(mark["N"])
        except ValueError:
            return False
    return False


def same_item(compiled: CompiledModel[Any], stored: Item, written: Item) -> bool:
    """Whether a stored item is the item written (numbers and sets compared by value)."""
    if stored == written:
        return True
    if stored.keys() != written.keys():
        return False
    try:
        return bool(compiled.from_item(stored) == compiled.from_item(written))
    except ValueError:
        return False


# -- what a write reports after a lost answer ----------------------------------------------


def safe_update(compiled: CompiledModel[Any], prepared: PreparedWrite[Any]) -> bool:
    """Whether an update may be retried as it is: applied twice it does what it does
    once, or its version check makes a retry of a landed try fail."""
    version = compiled.options.version
    return retry_safe(prepared.request) or (version is not None and version in prepared.changes)


def proof_of(
    operation: str, prepared: PreparedWrite[Any], compiled: CompiledModel[Any]
) -> Proof | None:
    """The test that a stored item shows this write landed, or None when nothing can
    show it."""
    if operation == "PutItem":
        return put_proof(compiled, prepared.request["Item"])
    if operation == "UpdateItem":
        return update_proof(compiled, prepared.changes)
    return None  # a delete leaves nothing behind to prove it


def landed_item(
    error: ConditionCheckFailed, proof: Proof | None, watch: Watch | None
) -> Mapping[str, Any] | None:
    """The item as a write whose condition failed on a retry left it, when the stored
    item (or one seen while the write was in flight) proves an earlier try landed; the
    item as it is now when there is one."""
    if not error.ambiguous or proof is None:
        return None
    current = error.item if isinstance(error.item, dict) else None
    if current is not None and proof(current):
        return current
    if watch is not None and watch.item is not None:
        return current if current is not None else watch.item
    return None


def landed_answer(
    operation: str,
    landed: Mapping[str, Any],
    request: Mapping[str, Any],
    error: ConditionCheckFailed,
) -> dict[str, Any]:
    """The answer a write proven landed would have had."""
    if operation == "UpdateItem":
        return {"Attributes": dict(landed)}
    if request.get("ReturnValues") == "ALL_OLD":
        raise _unknown(
            error,
            "the put was applied by a try whose answer was lost, and "
            "the item it replaced was in that answer",
        ) from error
    return {}


def refuse_lost_old_item(
    operation: str,
    request: Mapping[str, Any],
    answer: Mapping[str, Any],
    compiled: CompiledModel[Any],
) -> None:
    """After a lost answer, refuse to report an old item that is not the one replaced
    or deleted: what the retry found is then the earlier try's own doing."""
    old = answer.get("Attributes")
    if operation == "DeleteItem" and old is None:
        raise _unknown(
            None,
            "no item was left to delete when the delete was retried "
            "after a lost answer: the item is gone, but whether this "
            "call deleted it, and what it was, cannot be known",
            operation,
            request,
        )
    if (
        operation == "PutItem"
        and request.get("ReturnValues") == "ALL_OLD"
        and old is not None
        and same_item(compiled, old, request["Item"])
    ):
        raise _unknown(
            None,
            "the put was applied by a try whose answer was lost, and "
            "the item it replaced was in that answer",
            operation,
            request,
        )


def delete_unknown(error: ConditionCheckFailed) -> AmbiguousWrite:
    """The error for a delete whose retried condition failed on a missing item after a
    lost answer."""
    return _unknown(
        error,
        "the condition of the retried delete failed on a missing "
        "item: the item is gone, but whether a try of this call "
        "whose answer was lost deleted it cannot be known",
    )


def _unknown(
    error: OperationError | None,
    message: str,
    operation: str = "",
    request: Mapping[str, Any] | None = None,
) -> AmbiguousWrite:
    if error is not None:
        return AmbiguousWrite(
            message,
            operation=error.operation,
            table=error.table,
            code=error.code,
            request_id=error.request_id,
        )
    table = (request or {}).get("TableName")
    return AmbiguousWrite(message, operation=operation, table=table, code="AmbiguousWrite")
