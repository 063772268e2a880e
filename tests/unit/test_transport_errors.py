"""Tests for the error tree (dynamap.errors) and the one place AWS errors are mapped to
it (dynamap._transport.map_error)."""

from __future__ import annotations

import builtins
import pickle
import re
from typing import Any

import orjson
import pytest

import dynamap
from dynamap import errors
from dynamap._retry import RetryPolicy
from dynamap._transport import ConnectionConfig, Transport, map_error
from dynamap.errors import (
    ERROR_CODES,
    ConditionCheckFailed,
    DynamapError,
    OperationError,
    ServiceUnavailable,
    SessionError,
    TransactionCanceled,
)

SERVER_ERRORS = {"InternalServerError", "InternalFailure", "ServiceUnavailable"}


def answer(code: str | None, message: str = "boom", **extra: Any) -> bytes:
    body: dict[str, Any] = {"message": message, **extra}
    if code is not None:
        body["__type"] = f"com.amazonaws.dynamodb.v20120810#{code}"
    return orjson.dumps(body)


@pytest.mark.parametrize(("code", "error_class"), sorted(ERROR_CODES.items()))
def test_every_aws_code_maps_to_its_class(code: str, error_class: type[OperationError]) -> None:
    status = 500 if code in SERVER_ERRORS else 400
    error = map_error("PutItem", "dev-Pages", status, answer(code, "it failed"), "REQ123")
    assert type(error) is error_class
    assert (error.operation, error.table, error.code, error.request_id) == (
        "PutItem", "dev-Pages", code, "REQ123")
    assert error.message.startswith("it failed")  # some classes add a hint to the fix
    assert str(error).startswith("PutItem on table 'dev-Pages': it failed")


def test_every_mapped_class_is_an_operation_error_exported_by_dynamap() -> None:
    for error_class in ERROR_CODES.values():
        assert issubclass(error_class, OperationError)
        assert getattr(dynamap, error_class.__name__) is error_class


def test_the_code_is_taken_after_the_last_hash() -> None:
    payload = orjson.dumps({"__type": "com.amazon.coral.availability#ThrottlingException",
                            "Message": "slow down"})
    error = map_error("Query", None, 400, payload, None)
    assert type(error) is dynamap.Throttled
    assert error.message == "slow down"  # DynamoDB spells it "Message" sometimes
    assert str(error) == "Query: slow down"


@pytest.mark.parametrize("payload", [answer("SomethingNew"), b"", b"<html>bad gateway</html>",
                                     b"[1, 2]", answer(None)])
def test_an_unknown_5xx_is_service_unavailable(payload: bytes) -> None:
    error = map_error("GetItem", "t", 503, payload, "R")
    assert type(error) is ServiceUnavailable
    assert error.request_id == "R"


def test_an_unknown_4xx_is_a_plain_operation_error() -> None:
    error = map_error("GetItem", "t", 418, answer("BrandNewException", "what"), "R")
    assert type(error) is OperationError
    assert error.code == "BrandNewException"
    no_body = map_error("GetItem", "t", 413, b"", None)
    assert type(no_body) is OperationError
    assert (no_body.code, no_body.message) == ("HTTP413", "HTTP 413")


def test_condition_check_failed_carries_the_current_item() -> None:
    item = {"PK": {"S": "PAGE#1"}, "version": {"N": "4"}}
    error = map_error("PutItem", "t", 400,
                      answer("ConditionalCheckFailedException", "The conditional request failed",
                             Item=item), "R")
    assert isinstance(error, ConditionCheckFailed)
    assert error.item == item
    without = map_error("PutItem", "t", 400, answer("ConditionalCheckFailedException"), "R")
    assert isinstance(without, ConditionCheckFailed) and without.item is None


def test_transaction_canceled_carries_the_reason_per_action() -> None:
    reasons = [{"Code": "None"},
               {"Code": "ConditionalCheckFailed", "Message": "failed",
                "Item": {"PK": {"S": "A"}}}]
    error = map_error("TransactWriteItems", None, 400,
                      answer("TransactionCanceledException", "Transaction cancelled",
                             CancellationReasons=reasons), "R9")
    assert isinstance(error, TransactionCanceled)
    assert error.cancellation_reasons == reasons
    assert error.request_id == "R9"
    bare = map_error("TransactWriteItems", None, 400, answer("TransactionCanceledException"),
                     None)
    assert isinstance(bare, TransactionCanceled) and bare.cancellation_reasons == []


async def test_a_transport_that_was_never_opened_refuses_to_send() -> None:
    transport = Transport(ConnectionConfig(endpoint_url="http://127.0.0.1:9"), RetryPolicy())
    with pytest.raises(SessionError, match="closed"):
        await transport.send("ListTables", {})


# -- the error tree ---------------------------------------------------------------------------


def documented_tree() -> dict[str, tuple[str | None, str | None]]:
    """Each class in the tree drawn in the errors module docstring -> (parent, builtin)."""
    assert errors.__doc__ is not None
    tree: dict[str, tuple[str | None, str | None]] = {}
    parents: list[str] = []
    for line in errors.__doc__.splitlines():
        match = re.match(r"^([│ ]*)(?:[├└]── )?([A-Z]\w+)(?: \((\w+)\))?(?:\s|$)", line)
        if not match or match[2] not in vars(errors):
            continue
        depth = len(match[1]) // 4 + (1 if "──" in line else 0)
        del parents[depth:]
        tree[match[2]] = (parents[-1] if parents else None, match[3])
        parents.append(match[2])
    return tree


def test_the_docstring_tree_is_the_class_tree() -> None:
    tree = documented_tree()
    classes = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, DynamapError)}
    assert set(tree) == classes
    for name, (parent, builtin) in tree.items():
        error_class = getattr(errors, name)
        if parent is not None:
            assert error_class.__bases__[0] is getattr(errors, parent), name
        if builtin is not None:
            assert issubclass(error_class, getattr(builtins, builtin)), name


@pytest.mark.parametrize("error", [
    errors.DefinitionError("bad model", code="key_type"),
    errors.InvalidKey("no key"),
    errors.ItemTooLarge("too big", size=500_000),
    errors.InvalidCursor("forged"),
    errors.UniqueConstraintViolated("User", "email", "a@b.c"),
    errors.BatchIncomplete("batch write", [{"PK": {"S": "A"}}]),
    errors.ConditionCheckFailed("failed", item={"PK": {"S": "A"}}, operation="PutItem",
                                table="t", code="ConditionalCheckFailedException",
                                request_id="R"),
    errors.TransactionCanceled("cancelled", cancellation_reasons=[{"Code": "None"}],
                               operation="TransactWriteItems"),
    errors.Throttled("slow", operation="Query", table="t", code="ThrottlingException"),
])
def test_errors_survive_pickling_with_their_data(error: DynamapError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)
