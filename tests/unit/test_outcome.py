"""Which updates may be retried as they are, the transaction the others are sent as,
the stamps that prove a write landed, and the transport's `ambiguous` flag."""

from __future__ import annotations

import itertools
import random
from datetime import datetime
from typing import Any

import pytest
from pydantic import Field
from test_retry import FAST, ScriptedTransport

from dynamap import F, Key, Model, Table
from dynamap._clock import write_time
from dynamap._operations import UpdateSpec, update_request
from dynamap._outcome import as_transaction, retry_safe, update_proof
from dynamap._retry import RetryPolicy
from dynamap.errors import AmbiguousWrite, ConnectionFailed, OperationError, Throttled


class Counter(Model, table=Table("OutcomeCounters"), entity="counter", version="version",
              updated="updated_at"):
    pk = Key("C#{id}")
    id: str
    hits: int = 0
    score: float = 0.0
    log: list[str] = Field(default_factory=list)
    tags: set[str] = Field(default_factory=set)
    note: str | None = None
    version: int = 0
    updated_at: datetime | None = None


COMPILED = Counter.__dynamap__


def request(spec: UpdateSpec, expected: int | None = None) -> dict[str, Any]:
    return update_request(COMPILED, {"id": "a"}, "t", spec, expected_version=expected).request


@pytest.mark.parametrize("spec", [
    UpdateSpec(set={"note": "x"}),
    UpdateSpec(set={"note": None}),  # a removal
    UpdateSpec(remove=["note"]),
    UpdateSpec(add={"tags": {"a", "b"}}),
    UpdateSpec(delete={"tags": {"a"}}),
    UpdateSpec(set_if_not_exists={"note": "first"}),
    UpdateSpec(set={"note": "x", "hits": 3}, delete={"tags": {"z"}}),
])
def test_updates_that_do_the_same_twice_are_retry_safe(spec: UpdateSpec) -> None:
    assert retry_safe(request(spec))


@pytest.mark.parametrize("spec", [
    UpdateSpec(add={"hits": 1}),
    UpdateSpec(add={"score": -0.5}),
    UpdateSpec(append={"log": ["x"]}),
    UpdateSpec(prepend={"log": ["x"]}),
    UpdateSpec(set={"note": "x"}, add={"hits": 1}),
    UpdateSpec(remove=["log[0]"]),  # twice removes two elements
])
def test_updates_that_compound_are_not(spec: UpdateSpec) -> None:
    assert not retry_safe(request(spec))


@pytest.mark.parametrize("expression", [
    "SET #a = #a + :v",  # arithmetic
    "SET #a = #b",  # a copy of another attribute
    "SET #a = if_not_exists(#b, :v)",  # guarded by another attribute
    "SET #a = list_append(#a, :v)",
    "ADD #a :n",
    "FROBNICATE #a",  # not understood: not safe
    "",
])
def test_raw_expressions_are_judged_conservatively(expression: str) -> None:
    raw = {"UpdateExpression": expression, "ExpressionAttributeValues": {
        ":v": {"S": "x"}, ":n": {"N": "1"}}}
    assert not retry_safe(raw)


def test_placeholders_named_like_keywords_are_not_clauses() -> None:
    values = {":v": {"S": "x"}, ":add": {"N": "1"}}
    assert retry_safe({"UpdateExpression": "SET #add = :v, #set = :add",
                       "ExpressionAttributeValues": values})
    assert not retry_safe({"UpdateExpression": "SET #remove = #remove + :add",
                           "ExpressionAttributeValues": values})


def test_a_raw_set_with_nested_calls_is_split_at_top_level_commas() -> None:
    raw = {"UpdateExpression": "SET #a = if_not_exists(#a, :v), #b = :w REMOVE #c, #d",
           "ExpressionAttributeValues": {":v": {"S": "x"}, ":w": {"S": "y"}}}
    assert retry_safe(raw)
    assert not retry_safe({**raw, "UpdateExpression": "set #a = :v, #b = #b - :w"})


def test_the_transaction_carries_the_update_and_its_token() -> None:
    update = request(UpdateSpec(add={"hits": 1}))
    transaction = as_transaction(update, "tok")
    assert transaction["ClientRequestToken"] == "tok"
    [action] = transaction["TransactItems"]
    body = action["Update"]
    assert "ReturnValues" not in body
    assert body["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert {key: body[key] for key in update if key != "ReturnValues"} == {
        key: value for key, value in update.items()
        if key not in ("ReturnValues", "ReturnValuesOnConditionCheckFailure")} | {
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def test_an_update_is_proven_by_its_stamp_and_version() -> None:
    prepared = update_request(COMPILED, {"id": "a"}, "t", UpdateSpec(add={"hits": 1}),
                              expected_version=4)
    proof = update_proof(COMPILED, prepared.changes)
    assert proof is not None
    stamp = prepared.changes["updated_at"]
    item = COMPILED.to_item(Counter(id="a", hits=9, version=5, updated_at=stamp))
    assert proof(item)
    assert not proof({**item, "version": {"N": "6"}})  # another write moved it on
    other = COMPILED.to_item(Counter(id="a", version=5, updated_at=write_time()))
    assert not proof(other)  # the same version, by another writer


def test_an_update_that_sets_its_own_stamp_has_no_proof() -> None:
    prepared = update_request(COMPILED, {"id": "a"}, "t",
                              UpdateSpec(set={"updated_at": write_time()}))
    assert update_proof(COMPILED, prepared.changes) is None


def test_write_times_never_repeat() -> None:
    times = [write_time() for _ in range(10_000)]
    assert all(earlier < later for earlier, later in itertools.pairwise(times))


def test_update_stamps_differ_even_when_built_back_to_back() -> None:
    spec = UpdateSpec(set={"note": "x"})
    stamps = {update_request(COMPILED, {"id": "a"}, "t", spec).changes["updated_at"]
              for _ in range(1000)}
    assert len(stamps) == 1000


def test_the_policy_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="non_idempotent"):
        RetryPolicy(non_idempotent="twice")  # type: ignore[arg-type]


# -- the transport's ambiguous flag --------------------------------------------------------


def failed(ambiguous: bool) -> ConnectionFailed:
    error = ConnectionFailed("dropped")
    error.ambiguous = ambiguous
    return error


def policy(**options: Any) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(5), **{**FAST, **options})


async def test_a_failure_that_may_have_applied_makes_the_final_error_ambiguous() -> None:
    transport = ScriptedTransport([failed(True), Throttled("slow"), Throttled("slow")],
                                  policy(attempts=3))
    with pytest.raises(Throttled) as raised:
        await transport.send("PutItem", {"TableName": "t"})
    assert raised.value.ambiguous


async def test_failures_that_prove_nothing_was_applied_are_not_ambiguous() -> None:
    transport = ScriptedTransport([failed(False), Throttled("slow")], policy(attempts=2))
    with pytest.raises(Throttled) as raised:
        await transport.send("PutItem", {"TableName": "t"})
    assert not raised.value.ambiguous


async def test_exchange_says_when_an_answered_request_may_have_been_applied_before() -> None:
    transport = ScriptedTransport([failed(True), {"ok": 1}], policy(attempts=3))
    assert await transport.exchange("DeleteItem", {"TableName": "t"}) == ({"ok": 1}, True)
    transport = ScriptedTransport([failed(False), {"ok": 1}], policy(attempts=3))
    assert await transport.exchange("DeleteItem", {"TableName": "t"}) == ({"ok": 1}, False)


async def test_a_non_idempotent_request_is_not_retried_after_it_may_have_applied() -> None:
    transport = ScriptedTransport([Throttled("slow"), failed(True), {"ok": 1}],
                                  policy(attempts=5))
    with pytest.raises(AmbiguousWrite) as raised:
        await transport.send("UpdateItem", {"TableName": "t"}, idempotent=False)
    assert transport.tries == 2
    assert raised.value.ambiguous and isinstance(raised.value.__cause__, OperationError)
    transport = ScriptedTransport([failed(False), Throttled("slow"), {"ok": 1}],
                                  policy(attempts=5))
    assert await transport.send("UpdateItem", {"TableName": "t"}, idempotent=False) == {"ok": 1}


def test_the_condition_of_an_update_is_kept_in_its_transaction() -> None:
    update = update_request(COMPILED, {"id": "a"}, "t", UpdateSpec(add={"hits": 1}),
                            condition=F("hits") < 3).request
    body = as_transaction(update, "t")["TransactItems"][0]["Update"]
    assert body["ConditionExpression"] == update["ConditionExpression"]
