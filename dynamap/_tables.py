"""Creating, updating, describing and dropping tables from their models.

Used by `Session.create_tables` (scripts and tests) and by the `dynamap` command.
`plan_table` compares a model-derived `TableSchema` with the live table (keys,
attribute types, every index's keys and projection, billing and throughput, TTL,
stream and the other table settings: see `dynamap._drift`), so the same comparison
drives `create-tables` (what to do) and `plan` (what would be done). A table that is
being created, updated or deleted is waited for, within a bound, before it is compared
or changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dynamap._declarations import Table
from dynamap._drift import MANUAL, NEW_TABLE, REPLACE_INDEX, UPDATE, Drift, LiveTable, table_drift
from dynamap._schema import IndexSchema, TableSchema, table_schema
from dynamap.errors import (
    DefinitionError,
    DynamapError,
    InvalidRequest,
    OperationError,
    TableNotFound,
)

if TYPE_CHECKING:
    from dynamap._transport import Transport

__all__ = ["TableBusy", "TablePlan", "collect_tables", "describe_table", "plan_table", "schema_of"]

#: How long a table being created, updated or deleted is waited for, in seconds.
WAIT_SECONDS = 300.0


class TableBusy(DynamapError, TimeoutError):  # noqa: N818 - DynamoDB's word for the state
    """A table stayed CREATING, UPDATING or DELETING longer than the wait allows."""


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
        conflicts: differences that need a new table (keys, key types, LSIs).
        enable_ttl: the TTL attribute to enable on the new table.
        drift: every other difference (see `dynamap._drift`): updates, GSIs to replace,
            and changes DynamoDB only takes in steps.
    """

    schema: TableSchema
    name: str
    create: bool = False
    add_indexes: list[IndexSchema] = field(default_factory=list)
    extra_indexes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    enable_ttl: str | None = None
    drift: list[Drift] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        """Whether the live table already matches the models."""
        return not (
            self.create or self.add_indexes or self.conflicts or self.enable_ttl or self.drift
        )

    def of_kind(self, fix: str) -> list[Drift]:
        """The differences fixed in one way (UPDATE, REPLACE_INDEX, MANUAL)."""
        return [drift for drift in self.drift if drift.fix == fix]

    def describe(self) -> list[str]:
        """One human-readable line per change."""
        if self.create:
            return [f"create table {self.name}"]
        lines = [f"add index {index.name} to {self.name}" for index in self.add_indexes]
        lines += [
            f"{self.name}: index {name} is not declared by any model (kept)"
            for name in self.extra_indexes
        ]
        lines += [f"{self.name}: {conflict}" for conflict in self.conflicts]
        lines += [f"{self.name}: {drift.what}" for drift in self.drift]
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
    """Compare a schema with the live table (waiting while it is CREATING or UPDATING).

    Raises:
        TableBusy: the table stays CREATING, UPDATING or DELETING past the wait.
    """
    name = schema.physical_name(prefix)
    plan = TablePlan(schema, name)
    live = await _settled(transport, name)
    if live is None:
        plan.create = True
        plan.enable_ttl = schema.ttl_attribute
        return plan
    _compare_keys(plan, schema, live)
    live_gsis = {g["IndexName"]: g for g in live.get("GlobalSecondaryIndexes", [])}
    plan.add_indexes = [i for i in schema.gsis if i.name not in live_gsis]
    declared = {index.name for index in schema.gsis}
    plan.extra_indexes = [name for name in live_gsis if name not in declared]
    drift = table_drift(schema, await _live_table(transport, live, schema))
    plan.conflicts += [d.what for d in drift if d.fix == NEW_TABLE]
    plan.drift = [d for d in drift if d.fix != NEW_TABLE]
    return plan


async def _settled(transport: Transport, name: str) -> dict[str, Any] | None:
    """The table once it is neither CREATING nor UPDATING; None once it is gone."""

    async def poll() -> dict[str, Any] | None:
        delay = 0.2
        while True:
            live = await describe_table(transport, name)
            if live is None or (live.get("TableStatus") == "ACTIVE" and _active(live)):
                return live
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    try:
        return await asyncio.wait_for(poll(), WAIT_SECONDS)
    except TimeoutError:
        live = await describe_table(transport, name)
        status = live.get("TableStatus") if live else "gone"
        raise TableBusy(
            f"table {name} is still {status} after {WAIT_SECONDS:.0f} s; wait "
            "for it to finish (aws dynamodb wait table-exists / "
            "table-not-exists) and run again"
        ) from None


async def _live_table(transport: Transport, live: dict[str, Any], schema: TableSchema) -> LiveTable:
    name = live["TableName"]
    ttl = await transport.send("DescribeTimeToLive", {"TableName": name}, table=name)
    return LiveTable(
        live,
        ttl.get("TimeToLiveDescription", {}),
        await _tags(transport, live),
        await _backups(transport, name),
    )


async def _tags(transport: Transport, live: dict[str, Any]) -> dict[str, str] | None:
    """The table's tags; None when the endpoint cannot say."""
    arn = live.get("TableArn")
    if not arn:
        return None
    tags: dict[str, str] = {}
    request: dict[str, Any] = {"ResourceArn": arn}
    try:
        while True:
            answer = await transport.send("ListTagsOfResource", request, table=live["TableName"])
            tags.update({t["Key"]: t["Value"] for t in answer.get("Tags", [])})
            if not answer.get("NextToken"):
                return tags
            request["NextToken"] = answer["NextToken"]
    except OperationError:
        return None


async def _backups(transport: Transport, name: str) -> bool | None:
    """Whether point-in-time recovery is on; None when the endpoint cannot say."""
    try:
        answer = await transport.send("DescribeContinuousBackups", {"TableName": name}, table=name)
    except OperationError:
        return None
    description = answer.get("ContinuousBackupsDescription", {})
    status = description.get("PointInTimeRecoveryDescription", {}).get(
        "PointInTimeRecoveryStatus", "DISABLED"
    )
    return bool(status in ("ENABLED", "ENABLING"))


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


async def apply_plan(
    transport: Transport,
    plan: TablePlan,
    *,
    prefix: str,
    progress: Progress | None = None,
    replace_indexes: bool = False,
) -> None:
    """Carry out a plan: create the table or add its missing GSIs (one at a time,
    waiting), apply the updates, enable TTL, and wait until ACTIVE.

    Args:
        transport: the session's transport.
        plan: what `plan_table` found.
        prefix: the table prefix.
        progress: called with a line before each step.
        replace_indexes: delete and re-create GSIs whose keys or projection differ.

    Raises:
        DefinitionError: the plan has differences that need a new table, steps to take
            by hand, or GSIs to replace without `replace_indexes`.
        TableBusy: the table stays CREATING, UPDATING or DELETING past the wait.
    """
    say = progress or (lambda _message: None)
    blocked = plan.conflicts + [d.what for d in plan.of_kind(MANUAL)]
    if not replace_indexes:
        blocked += [
            f"{d.what} (replace it with create-tables --replace-indexes)"
            for d in plan.of_kind(REPLACE_INDEX)
        ]
    if blocked:
        raise DefinitionError(f"{plan.name}: " + "; ".join(blocked), code="table_conflict")
    if plan.create:
        say(f"creating table {plan.name}")
        await _create(transport, plan.schema.create_table_request(prefix))
        await wait_until_active(transport, plan.name)
        if plan.schema.settings.point_in_time_recovery:
            await _send_update(
                transport,
                plan.name,
                Drift(
                    "point-in-time recovery",
                    UPDATE,
                    "UpdateContinuousBackups",
                    {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
                ),
            )
    for drift in plan.of_kind(REPLACE_INDEX):
        assert drift.index is not None
        say(f"replacing index {drift.index.name} of {plan.name}")
        await transport.send(
            "UpdateTable",
            {
                "TableName": plan.name,
                "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": drift.index.name}}],
            },
            table=plan.name,
        )
        await wait_until_active(transport, plan.name)
        await _wait_index_gone(transport, plan.name, drift.index.name)
        await _add_index(transport, plan, drift.index)
        await wait_until_active(transport, plan.name)
    for index in plan.add_indexes:
        say(f"adding index {index.name} to {plan.name}")
        await _add_index(transport, plan, index)
        await wait_until_active(transport, plan.name)
    for drift in plan.of_kind(UPDATE):
        say(f"{plan.name}: {drift.what}: updating")
        await _send_update(transport, plan.name, drift)
        await wait_until_active(transport, plan.name)
    if plan.enable_ttl:
        say(f"enabling TTL on {plan.name}.{plan.enable_ttl}")
        await _enable_ttl(transport, plan.name, plan.enable_ttl)


async def _send_update(transport: Transport, name: str, drift: Drift) -> None:
    assert drift.operation is not None
    if drift.operation == "TagResource":
        live = await describe_table(transport, name)
        arn = live["TableArn"] if live else name
        if drift.request["Remove"]:
            await transport.send(
                "UntagResource",
                {"ResourceArn": arn, "TagKeys": drift.request["Remove"]},
                table=name,
            )
        if drift.request["Tags"]:
            await transport.send(
                "TagResource", {"ResourceArn": arn, "Tags": drift.request["Tags"]}, table=name
            )
        return
    try:
        await transport.send(drift.operation, {"TableName": name, **drift.request}, table=name)
    except OperationError as error:
        if not _unsupported(error):
            raise


def _unsupported(error: OperationError) -> bool:
    """Whether the endpoint does not do this at all (DynamoDB Local has no point-in-time
    recovery, and answers "Nothing to update" for a table class or encryption change it
    ignores): the setting is then left as the endpoint has it, and `plan` shows it."""
    return error.code == "UnknownOperationException" or (
        isinstance(error, InvalidRequest) and "Nothing to update" in str(error)
    )


async def _wait_index_gone(transport: Transport, name: str, index: str) -> None:
    async def poll() -> None:
        while True:
            live = await describe_table(transport, name) or {}
            if index not in {g["IndexName"] for g in live.get("GlobalSecondaryIndexes", [])}:
                return
            await asyncio.sleep(0.5)

    await asyncio.wait_for(poll(), WAIT_SECONDS)


async def _create(transport: Transport, request: dict[str, Any]) -> None:
    """CreateTable; a table of that name being deleted is waited for, then created."""
    name = request["TableName"]
    try:
        await transport.send("CreateTable", request, table=name)
    except InvalidRequest as error:
        if error.code != "ResourceInUseException":
            raise
        live = await describe_table(transport, name)
        if live is not None and live.get("TableStatus") != "DELETING":
            return  # created meanwhile (another run): it is waited for until ACTIVE
        if await _settled(transport, name) is not None:
            raise TableBusy(f"table {name} exists again after being deleted; run again") from None
        await transport.send("CreateTable", request, table=name)


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
    transport: Transport, name: str, *, timeout: float | None = None, interval: float = 0.2
) -> None:
    """Wait until the table and all its GSIs are ACTIVE.

    Raises:
        TableBusy: they are not ACTIVE within `timeout` seconds (default `WAIT_SECONDS`).
    """
    limit = WAIT_SECONDS if timeout is None else timeout

    async def poll() -> None:
        delay = interval
        while True:
            live = await describe_table(transport, name)
            if live is not None and _active(live):
                return
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    try:
        await asyncio.wait_for(poll(), limit)
    except TimeoutError:
        live = await describe_table(transport, name)
        status = live.get("TableStatus") if live else "missing"
        raise TableBusy(
            f"table {name} is not ACTIVE after {limit:.0f} s (it is {status}); run again once it is"
        ) from None


def _active(live: dict[str, Any]) -> bool:
    if live.get("TableStatus") != "ACTIVE":
        return False
    return all(
        g.get("IndexStatus", "ACTIVE") == "ACTIVE" for g in live.get("GlobalSecondaryIndexes", [])
    )


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
