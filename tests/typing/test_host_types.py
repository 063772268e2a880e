"""Static types of the web, Lambda, Streams and PartiQL helpers, checked by
`mypy --strict dynamap tests/typing`; `check_` functions are not run."""

from __future__ import annotations

from typing import Any, assert_type

from pydantic import BaseModel, Field

from dynamap import (
    GSI,
    CompiledIndex,
    ConditionCheckFailed,
    Key,
    KeyAttribute,
    Model,
    Session,
    Table,
    new_id,
    partiql,
)
from dynamap.aws_lambda import LambdaRunner
from dynamap.streams import BatchItemFailures, Change, decode_event, handle_batch, read_stream

crm: Table[Lead | Deal] = Table("TypedCrm")


class Lead(Model, table=crm, entity="lead"):
    pk = Key("LEAD#{id}")
    by_owner = GSI("ByOwner", pk="owner")

    id: str = Field(default_factory=new_id)
    owner: str


class Deal(Model, table=crm, entity="deal"):
    pk = Key("DEAL#{id}")

    id: str = Field(default_factory=new_id)
    amount: int = 0


def check_declarations_are_typed_as_compiled() -> None:
    assert_type(Lead.pk, KeyAttribute)
    assert_type(Lead.by_owner, CompiledIndex)
    assert_type(Lead.pk.attribute, str)


async def check_results(db: Session, event: dict[str, Any]) -> None:
    assert_type(await db.get_transaction([(Lead, {"id": "l1"})]), list[Lead | None])
    try:
        await db.put(Lead(owner="ada"))
    except ConditionCheckFailed as error:
        assert_type(error.item, BaseModel | dict[str, Any] | None)
    assert_type(decode_event(event, Lead), list[Change[Lead]])
    assert_type(decode_event(event, crm), list[Change[Lead | Deal]])
    async for change in read_stream(db, Lead):
        assert_type(change.new, Lead | None)
    assert_type(await partiql.execute(db, Deal, "SELECT * FROM {table}"), list[Deal])

    async def on_change(change: Change[Lead]) -> None:
        assert_type(change.item, Lead | None)

    assert_type(await handle_batch(event, Lead, on_change), BatchItemFailures)


def check_lambda_runner() -> None:
    runner = LambdaRunner()

    @runner.handler
    async def handler(event: dict[str, str], context: object) -> int:
        return len(event)

    assert_type(handler({"a": "b"}, None), int)
