"""Transactions without a network: the requests they build, the 100-action limit, one
action per item, tokens, cancellation reasons, conflicts retried, and the marker items
of unique fields, through a fake transport."""

from __future__ import annotations

from typing import Any

import pytest
from fake_transport import fake_session
from pydantic import Field

from dynamap import (
    DefinitionError,
    F,
    InvalidKey,
    InvalidValue,
    Key,
    Model,
    SessionError,
    Table,
    TransactionCanceled,
    UniqueConstraintViolated,
    new_id,
)
from dynamap._transaction import MAX_ACTIONS, Transaction
from dynamap._unique import MARKER_ENTITY, OWNER_ATTRIBUTE, marker_key

shop = Table("Shop")


class Order(Model, table=shop, entity="order", version="version"):
    pk = Key("ORDER#{id}")
    sk = Key("META#")
    id: str = Field(default_factory=new_id)
    total: int = 0
    version: int = 0


class Stock(Model, table=shop, entity="stock"):
    pk = Key("STOCK#{sku}")
    sk = Key("META#")
    sku: str
    count: int = 0


class User(Model, table=Table("Users"), entity="user", unique=("email", "username"),
           version="version"):
    pk = Key("id")
    id: str = Field(default_factory=new_id)
    email: str
    username: str | None = None
    version: int = 0


def cancel(*codes: str, items: dict[int, dict[str, Any]] | None = None) -> TransactionCanceled:
    reasons: list[dict[str, Any]] = []
    for position, code in enumerate(codes):
        reason: dict[str, Any] = {"Code": code}
        if items and position in items:
            reason["Item"] = items[position]
        reasons.append(reason)
    return TransactionCanceled("cancelled", cancellation_reasons=reasons,
                               operation="TransactWriteItems",
                               code="TransactionCanceledException")


def always(answer: dict[str, Any]) -> Any:
    return lambda operation, request: answer


# -- building -------------------------------------------------------------------------------


def test_each_action_is_built_when_added() -> None:
    session, _ = fake_session(always({}), prefix="p-")
    transaction = Transaction(session, token="tok")
    order = Order(id="o1", version=3)
    transaction.put(order, condition=F("total") >= 0)
    transaction.update(Stock(sku="s1"), add={"count": -1}, condition=F("count") > 0)
    transaction.delete(Order, id="o2")
    transaction.check(Stock, F("count") >= 1, sku="s2")
    request = transaction.to_request()
    assert request["ClientRequestToken"] == "tok"
    put, update, delete, check = request["TransactItems"]
    assert put["Put"]["TableName"] == "p-Shop"
    assert put["Put"]["Item"]["version"] == {"N": "4"}
    assert put["Put"]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert "#n1 = :v1" in put["Put"]["ConditionExpression"]  # the version check
    assert "ReturnValues" not in update["Update"]
    assert update["Update"]["UpdateExpression"].startswith("ADD")
    assert delete["Delete"]["Key"] == {"PK": {"S": "ORDER#o2"}, "SK": {"S": "META#"}}
    assert check["ConditionCheck"]["Key"]["PK"] == {"S": "STOCK#s2"}
    assert check["ConditionCheck"]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert order.version == 3  # changed only once committed


def test_a_new_token_per_transaction() -> None:
    session, _ = fake_session(always({}))
    assert Transaction(session).token != Transaction(session).token


def test_at_most_100_actions_and_one_per_item() -> None:
    session, _ = fake_session(always({}))
    transaction = Transaction(session)
    for i in range(MAX_ACTIONS):
        transaction.delete(Stock, sku=f"s{i}")
    with pytest.raises(InvalidValue, match="at most 100 actions"):
        transaction.delete(Stock, sku="one-more")
    small = Transaction(session)
    small.put(Stock(sku="a"))
    with pytest.raises(InvalidValue, match="one action per item"):
        small.check(Stock, F("count") > 0, sku="a")


def test_bad_input_raises_when_added() -> None:
    session, _ = fake_session(always({}))
    transaction = Transaction(session)
    with pytest.raises(InvalidKey):
        transaction.delete(Stock)
    with pytest.raises(InvalidValue):
        transaction.update(Stock(sku="a"), set={"sku": "b"})  # a primary key field
    with pytest.raises(TypeError):
        transaction.delete(Stock(sku="a"), sku="b")
    assert len(transaction) == 0


# -- committing -------------------------------------------------------------------------------


async def test_commit_sends_once_and_applies_versions() -> None:
    session, transport = fake_session(always({}))
    order = Order(id="o1")
    async with session, session.transaction() as transaction:
        transaction.put(order)
    assert transport.operations() == ["TransactWriteItems"]
    assert transport.sent[0][1]["ClientRequestToken"] == transaction.token
    assert order.version == 1
    with pytest.raises(SessionError):
        transaction.put(Order())
    with pytest.raises(SessionError):
        await transaction.commit()


async def test_nothing_is_sent_when_the_block_raises() -> None:
    session, transport = fake_session(always({}))
    async with session:
        with pytest.raises(RuntimeError):
            async with session.transaction() as transaction:
                transaction.put(Order())
                raise RuntimeError
    assert transport.sent == []


async def test_a_cancelled_transaction_names_the_reason_per_action() -> None:
    stored = Order(id="o1", total=7, version=2).to_item()

    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        raise cancel("None", "ConditionalCheckFailed", items={1: stored})

    session, _ = fake_session(handle)
    order = Order(id="o1", version=1)
    async with session:
        with pytest.raises(TransactionCanceled) as raised:
            async with session.transaction() as transaction:
                transaction.put(Stock(sku="a"))
                transaction.put(order)
    reasons = raised.value.cancellation_reasons
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"] == Order(id="o1", total=7, version=2)
    assert order.version == 1


async def test_conflicts_are_retried_with_a_new_token() -> None:
    attempts: list[str] = []

    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        attempts.append(request["ClientRequestToken"])
        if len(attempts) < 3:
            raise cancel("TransactionConflict", "None")
        return {}

    session, _ = fake_session(handle)
    async with session, session.transaction() as transaction:
        transaction.put(Stock(sku="a"))
        transaction.put(Stock(sku="b"))
    assert len(attempts) == 3 and len(set(attempts)) == 3
    assert transaction.token == attempts[-1]


async def test_a_conflict_after_a_lost_answer_keeps_the_token() -> None:
    """The try whose answer was lost may still be applied later: only its token keeps
    a second commit from applying the transaction again."""
    attempts: list[str] = []

    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        attempts.append(request["ClientRequestToken"])
        if len(attempts) < 3:
            conflict = cancel("TransactionConflict")
            conflict.ambiguous = len(attempts) == 2  # an earlier try of it was lost
            raise conflict
        return {}

    session, _ = fake_session(handle)
    async with session, session.transaction() as transaction:
        transaction.put(Stock(sku="a"))
    assert attempts[1] != attempts[0] and attempts[2] == attempts[1]


async def test_a_failed_condition_is_not_retried() -> None:
    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        raise cancel("ConditionalCheckFailed")

    session, transport = fake_session(handle)
    async with session:
        with pytest.raises(TransactionCanceled):
            async with session.transaction() as transaction:
                transaction.check(Stock, F("count") > 0, sku="a")
    assert len(transport.sent) == 1


async def test_get_transaction_reads_in_order_with_none_for_missing() -> None:
    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        assert operation == "TransactGetItems"
        assert len(request["TransactItems"]) == 2  # the repeated key is read once
        return {"Responses": [{"Item": Stock(sku="a", count=2).to_item()}, {}]}

    session, _ = fake_session(handle)
    async with session:
        found = await session.get_transaction([(Stock, {"sku": "a"}), (Order, {"id": "x"}),
                                               (Stock, {"sku": "a"})])
        with pytest.raises(InvalidValue, match="at most 100"):
            await session.get_transaction([(Stock, {"sku": str(i)}) for i in range(101)])
    assert found == [Stock(sku="a", count=2), None, Stock(sku="a", count=2)]


# -- unique fields ------------------------------------------------------------------------------


def test_a_create_brings_its_marker_items_along() -> None:
    session, _ = fake_session(always({}), prefix="p-")
    transaction = Transaction(session)
    transaction.put(User(id="u1", email="ada@example.com", username="a#da"))
    put, email, username = transaction.to_request()["TransactItems"]
    assert put["Put"]["Item"]["id"] == {"S": "u1"}
    marker = email["Put"]
    assert marker["Item"]["id"] == {"S": "__unique__#user#email#S#ada@example.com"}
    assert marker["Item"]["entity"] == {"S": MARKER_ENTITY}
    assert marker["Item"][OWNER_ATTRIBUTE] == {"S": '{"id":{"S":"u1"}}'}
    assert "attribute_not_exists" in marker["ConditionExpression"]
    assert username["Put"]["Item"]["id"] == {"S": "__unique__#user#username#S#a%23da"}


def test_marker_keys_are_exact_and_bounded() -> None:
    compiled = User.__dynamap__
    assert marker_key(compiled, "username", None) is None
    assert marker_key(compiled, "email", "A@x") != marker_key(compiled, "email", "a@x")
    with pytest.raises(InvalidValue, match="2048"):
        marker_key(compiled, "email", "x" * 2100)


async def test_two_new_items_cannot_share_a_unique_value_in_one_transaction() -> None:
    session, transport = fake_session(always({}))
    async with session:
        with pytest.raises(UniqueConstraintViolated) as raised:
            async with session.transaction() as transaction:
                transaction.put(User(email="same@x"))
                transaction.put(User(email="same@x"))
    assert raised.value.field == "email" and transport.sent == []


async def test_a_taken_value_raises_naming_the_field() -> None:
    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        raise cancel("None", "ConditionalCheckFailed", "None")

    session, _ = fake_session(handle)
    async with session:
        with pytest.raises(UniqueConstraintViolated) as raised:
            await session.put(User(email="taken@x", username="free"))
    assert (raised.value.model, raised.value.field, raised.value.value) == (
        "User", "email", "taken@x")


async def test_a_changed_value_moves_its_marker_after_reading_the_item() -> None:
    stored = User(id="u1", email="old@x", username="ada", version=1)
    sent: list[dict[str, Any]] = []

    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "TransactGetItems":
            return {"Responses": [{"Item": stored.to_item()}]}
        if operation == "GetItem":
            return {"Item": User(id="u1", email="new@x", username="ada", version=2).to_item()}
        sent.append(request)
        return {}

    session, _ = fake_session(handle)
    user = User(id="u1", email="old@x", username="ada", version=1)
    async with session:
        await session.update(user, set={"email": "new@x"})
    update, delete, put = sent[0]["TransactItems"]
    assert delete["Delete"]["Key"] == {"id": {"S": "__unique__#user#email#S#old@x"}}
    assert put["Put"]["Item"]["id"] == {"S": "__unique__#user#email#S#new@x"}
    values = update["Update"]["ExpressionAttributeValues"].values()
    assert {"S": "old@x"} in values and {"S": "ada"} in values  # the guard on what was read
    assert user.email == "new@x" and user.version == 2


def test_a_key_that_could_name_a_marker_is_refused() -> None:
    session, _ = fake_session(always({}))
    with pytest.raises(InvalidKey, match="reserved"):
        Transaction(session).put(User(id="__unique__#user#email#S#a@x", email="b@x"))


def test_unique_fields_change_only_by_set_or_remove() -> None:
    session, _ = fake_session(always({}))
    with pytest.raises(InvalidValue, match="set it or remove it"):
        Transaction(session).update(User(email="a@x"), set_if_not_exists={"email": "x"})


def test_unique_fields_need_string_keys() -> None:
    with pytest.raises(DefinitionError, match="strings"):
        class Numbered(Model, table=Table("Numbered"), unique=("email",)):
            pk = Key("n")
            n: int
            email: str
