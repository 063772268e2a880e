"""Creating, updating, describing and dropping tables from their models.

Used by `Session.create_tables` (scripts and tests) and by the `dynamap` command.
`plan_table` compares a model-derived `TableSchema` with the live table, so the same
comparison drives `create-tables` (what to do) and `plan` (what would be done).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynamap.declarations import Table
from dynamap.errors import DefinitionError, InvalidRequest, TableNotFound
from dynamap.schema import IndexSchema, TableSchema, table_schema

if TYPE_CHECKING:
    from dynamap._transport import Transport

__all__ = ["TablePlan", "collect_tables", "describe_table", "plan_table", "schema_of"]

Progress = Callable[[str], None]


def schema_of(table: Table) -> TableSchema:
    """The merged schema of every model in `table`."""
    return table_schema(table, table.compiled)


def collect_tables(targets: Iterable[object]) -> list[Table]:
    """The distinct tables of models and tables given, in order of first mention.

    Raises:
        TypeError: a target is neither a dynamap model nor a `Table`.
    """
    tables: dict[int, Table] = {}
    for target in targets:
        table = target if isinstance(target, Table) else _table_of(target)
        tables.setdefault(id(table), table)
    return list(tables.values())


def _table_of(target: object) -> Table:
    compiled = getattr(target, "__dynamap__", None)
    if compiled is None:
        raise TypeError(f"{target!r} is not a dynamap model with a table, nor a Table")
    table: Table = compiled.table
    return table


@dataclass(slots=True)
class TablePlan:
    """What it takes to bring one live table in line with its models.

    Attributes:
        schema: the schema the models declare.
        name: the physical table name.
        create: the table does not exist.
        add_indexes: GSIs the models declare that the table lacks.
        extra_indexes: GSIs the table has that no model declares (never dropped).
        conflicts: differences that cannot be changed in place (key schema, LSIs).
        enable_ttl: the TTL attribute to enable, if it is not enabled yet.
    """

    schema: TableSchema
    name: str
    create: bool = False
    add_indexes: list[IndexSchema] = field(default_factory=list)
    extra_indexes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    enable_ttl: str | None = None

    @property
    def in_sync(self) -> bool:
        """Whether the live table already matches the models."""
        return not (self.create or self.add_indexes or self.conflicts or self.enable_ttl)

    def describe(self) -> list[str]:
        """One human-readable line per change."""
        if self.create:
            return [f"create table {self.name}"]
        lines = [f"add index {index.name} to {self.name}" for index in self.add_indexes]
        lines += [f"{self.name}: index {name} is not declared by any model (kept)"
                  for name in self.extra_indexes]
        lines += [f"{self.name}: {conflict}" for conflict in self.conflicts]
        if self.enable_ttl:
            lines.append(f"enable TTL on {self.name}.{self.enable_ttl}")
        return lines


async def describe_table(transport: Transport, name: str) -> dict[str, Any] | None:
    """DescribeTable's `Table`, or None when the table does not exist."""
    try:
        answer = await transport.send("DescribeTable", {"TableName": name}, table=name)
    except TableNotFound:
        return None
    described: dict[str, Any] = answer["Table"]
    return described


async def plan_table(transport: Transport, schema: TableSchema, prefix: str) -> TablePlan:
    """Compare a schema with the live table."""
    name = schema.physical_name(prefix)
    plan = TablePlan(schema, name)
    live = await describe_table(transport, name)
    if live is None:
        plan.create = True
        plan.enable_ttl = schema.ttl_attribute
        return plan
    _compare_keys(plan, schema, live)
    live_gsis = {g["IndexName"]: g for g in live.get("GlobalSecondaryIndexes", [])}
    plan.add_indexes = [i for i in schema.gsis if i.name not in live_gsis]
    declared = {index.name for index in schema.gsis}
    plan.extra_indexes = [name for name in live_gsis if name not in declared]
    _compare_lsis(plan, schema, live)
    if schema.ttl_attribute and not await _ttl_enabled(transport, name, schema.ttl_attribute):
        plan.enable_ttl = schema.ttl_attribute
    return plan


def _compare_keys(plan: TablePlan, schema: TableSchema, live: dict[str, Any]) -> None:
    wanted = {k["AttributeName"]: k["KeyType"] for k in _key_schema(schema)}
    actual = {k["AttributeName"]: k["KeyType"] for k in live["KeySchema"]}
    if wanted != actual:
        plan.conflicts.append(
            f"key schema is {actual} but the models declare {wanted}; a table's keys "
            "cannot change in place: create a new table and migrate (dynamap export/import)"
        )


def _key_schema(schema: TableSchema) -> list[dict[str, str]]:
    request = schema.create_table_request()
    key_schema: list[dict[str, str]] = request["KeySchema"]
    return key_schema


def _compare_lsis(plan: TablePlan, schema: TableSchema, live: dict[str, Any]) -> None:
    live_lsis = {i["IndexName"] for i in live.get("LocalSecondaryIndexes", [])}
    missing = [index.name for index in schema.lsis if index.name not in live_lsis]
    if missing:
        plan.conflicts.append(
            f"local indexes {', '.join(missing)} are missing; LSIs can only be created "
            "with the table"
        )


async def _ttl_enabled(transport: Transport, name: str, attribute: str) -> bool:
    answer = await transport.send("DescribeTimeToLive", {"TableName": name}, table=name)
    description = answer.get("TimeToLiveDescription", {})
    return bool(
        description.get("AttributeName") == attribute
        and description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    )


async def apply_plan(
    transport: Transport, plan: TablePlan, *, prefix: str, progress: Progress | None = None
) -> None:
    """Carry out a plan: create the table or add its missing GSIs, enable TTL, wait.

    Raises:
        DefinitionError: the plan has conflicts that cannot be changed in place.
    """
    say = progress or (lambda _message: None)
    if plan.conflicts:
        raise DefinitionError("; ".join(plan.describe()), code="table_conflict")
    if plan.create:
        say(f"creating table {plan.name}")
        await _create(transport, plan.schema.create_table_request(prefix))
        await wait_until_active(transport, plan.name)
    for index in plan.add_indexes:
        say(f"adding index {index.name} to {plan.name}")
        await _add_index(transport, plan, index)
        await wait_until_active(transport, plan.name)
    if plan.enable_ttl:
        say(f"enabling TTL on {plan.name}.{plan.enable_ttl}")
        await _enable_ttl(transport, plan.name, plan.enable_ttl)


async def _create(transport: Transport, request: dict[str, Any]) -> None:
    try:
        await transport.send("CreateTable", request, table=request["TableName"])
    except InvalidRequest as error:
        if error.code != "ResourceInUseException":
            raise


async def _add_index(transport: Transport, plan: TablePlan, index: IndexSchema) -> None:
    wanted = {index.pk.name, index.sk.name if index.sk else index.pk.name}
    definitions = [a.to_json() for a in plan.schema.attribute_definitions() if a.name in wanted]
    create = plan.schema.index_json(index)
    request = {
        "TableName": plan.name,
        "AttributeDefinitions": definitions,
        "GlobalSecondaryIndexUpdates": [{"Create": create}],
    }
    await transport.send("UpdateTable", request, table=plan.name)


async def _enable_ttl(transport: Transport, name: str, attribute: str) -> None:
    request = {
        "TableName": name,
        "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": True},
    }
    await transport.send("UpdateTimeToLive", request, table=name)


async def wait_until_active(
    transport: Transport, name: str, *, timeout: float = 300.0, interval: float = 0.2
) -> None:
    """Wait until the table and all its GSIs are ACTIVE.

    Raises:
        TimeoutError: they are not ACTIVE within `timeout` seconds.
    """
    async def poll() -> None:
        delay = interval
        while True:
            live = await describe_table(transport, name)
            if live is not None and _active(live):
                return
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    await asyncio.wait_for(poll(), timeout)


def _active(live: dict[str, Any]) -> bool:
    if live.get("TableStatus") != "ACTIVE":
        return False
    return all(g.get("IndexStatus", "ACTIVE") == "ACTIVE"
               for g in live.get("GlobalSecondaryIndexes", []))


async def drop_table(transport: Transport, name: str) -> bool:
    """Delete a table; False if it did not exist."""
    try:
        await transport.send("DeleteTable", {"TableName": name}, table=name)
    except TableNotFound:
        return False
    return True


async def each(items: Iterable[Any], action: Callable[[Any], Awaitable[None]]) -> None:
    """Run `action` on every item, one after another (DynamoDB limits concurrent
    table changes per account)."""
    for item in items:
        await action(item)
