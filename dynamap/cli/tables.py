"""Table commands: create-tables, plan, describe and drop-tables.

All four start from the models: the targets' tables are merged into `TableSchema`s
and compared with the live tables by `dynamap._tables`, the same code
`Session.create_tables` runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import time
from collections.abc import Sequence
from typing import Any, cast

import click

from dynamap._declarations import BillingMode, Table
from dynamap._drift import MANUAL, REPLACE_INDEX, UPDATE
from dynamap._schema import TableSchema
from dynamap._session import Session
from dynamap._tables import TablePlan, apply_plan, describe_table, drop_table, plan_table, schema_of
from dynamap.cli.connection import Connection, connection_from, connection_options, open_session
from dynamap.cli.console import echo, note, status_console
from dynamap.cli.errors import EXIT_ATTENTION, CommandError
from dynamap.cli.targets import Targets, load_targets

__all__ = ["create_tables", "describe", "drop_tables", "plan"]

FORMATS = ("json", "cloudformation", "terraform")
BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
TARGETS = click.argument("targets", nargs=-1, required=True, metavar="TARGET...")


# -- create-tables ------------------------------------------------------------------


@click.command("create-tables")
@TARGETS
@connection_options
@click.option(
    "--billing-mode",
    type=click.Choice(BILLING_MODES),
    help="Override the tables' billing mode for this run.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the CreateTable requests (one JSON document per table) instead.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="What --dry-run prints [default: json]; implies --dry-run.",
)
@click.option(
    "--replace-indexes",
    is_flag=True,
    help="Delete and re-create GSIs whose keys or projection differ from the "
    "models (queries on them fail until they are ACTIVE again).",
)
def create_tables(
    targets: tuple[str, ...],
    billing_mode: str | None,
    dry_run: bool,
    output_format: str | None,
    replace_indexes: bool,
    **options: Any,
) -> None:
    """Create the tables of the models in TARGET, or bring them in line.

    TARGET is a module, a package (with its submodules) or a .py file. Missing
    tables are created, missing GSIs added one at a time, billing, throughput, stream
    and table settings updated, TTL enabled, and every table waited for until ACTIVE.
    What needs a new table (keys, key types, LSIs) is refused and named. Running it
    again changes nothing.
    """
    connection = connection_from(options)
    schemas = _schemas(load_targets(targets), billing_mode)
    if dry_run or output_format:
        prefix = _prefix(connection)
        echo(render(schemas, output_format or "json", prefix))
        _note_ttl(schemas, output_format or "json", prefix)
        return
    asyncio.run(_create(connection, schemas, replace_indexes))


def _prefix(connection: Connection) -> str:
    """The table prefix without a session: the option, else $DYNAMAP_TABLE_PREFIX."""
    if connection.prefix is not None:
        return connection.prefix
    return os.environ.get("DYNAMAP_TABLE_PREFIX", "")


def _schemas(targets: Targets, billing_mode: str | None) -> list[TableSchema]:
    schemas = [schema_of(table) for table in targets.tables]
    if billing_mode is None:
        return schemas
    mode = cast(BillingMode, billing_mode)
    return [dataclasses.replace(schema, billing_mode=mode) for schema in schemas]


def render(schemas: Sequence[TableSchema], output_format: str, prefix: str) -> str:
    """The tables as CreateTable JSON documents, a CloudFormation template or Terraform."""
    if output_format == "cloudformation":
        resources = {_logical_id(s.name): s.cloudformation(prefix) for s in schemas}
        template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
        return json.dumps(template, indent=2)
    if output_format == "terraform":
        return "\n".join(schema.terraform(prefix) for schema in schemas).rstrip("\n")
    return "\n".join(json.dumps(s.create_table_request(prefix), indent=2) for s in schemas)


def _logical_id(name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(word[:1].upper() + word[1:] for word in words) + "Table"


def _note_ttl(schemas: Sequence[TableSchema], output_format: str, prefix: str) -> None:
    if output_format != "json":
        return
    for schema in schemas:
        if schema.settings.point_in_time_recovery:
            note(
                f"note: CreateTable cannot turn on point-in-time recovery; after creating "
                f"the table run `aws dynamodb update-continuous-backups --table-name "
                f"{schema.physical_name(prefix)} --point-in-time-recovery-specification "
                "PointInTimeRecoveryEnabled=true`"
            )
        if schema.ttl_attribute:
            note(
                f"note: CreateTable cannot enable TTL; after creating the table run `aws "
                f"dynamodb update-time-to-live --table-name {schema.physical_name(prefix)} "
                f"--time-to-live-specification Enabled=true,AttributeName="
                f"{schema.ttl_attribute}`"
            )


async def _create(
    connection: Connection, schemas: Sequence[TableSchema], replace_indexes: bool
) -> None:
    started = time.monotonic()
    async with open_session(connection) as db:
        plans = await _plans(db, schemas)
        _refuse_conflicts(plans, replace_indexes)
        for table_plan in plans:
            _note_extra_indexes(table_plan)
        pending = [table_plan for table_plan in plans if not table_plan.in_sync]
        if not pending:
            echo(f"{_count(len(plans), 'table')} up to date: nothing to do")
            return
        console = status_console()
        for table_plan in pending:
            with console.status(f"{table_plan.name}: starting") as status:

                def say(message: str, status: Any = status) -> None:
                    status.update(f"{message}, waiting until ACTIVE")

                await apply_plan(
                    db.transport,
                    table_plan,
                    prefix=db.table_prefix,
                    progress=say,
                    replace_indexes=replace_indexes,
                )
            echo(f"{table_plan.name}:")
            for line in plan_lines(table_plan):
                echo(f"  {line}")
            echo("  ACTIVE")
    elapsed = time.monotonic() - started
    echo(
        f"done: {_count(len(pending), 'table')} changed, "
        f"{len(plans) - len(pending)} already up to date ({elapsed:.1f} s)"
    )


async def _plans(db: Session, schemas: Sequence[TableSchema]) -> list[TablePlan]:
    return [await plan_table(db.transport, schema, db.table_prefix) for schema in schemas]


def _refuse_conflicts(plans: Sequence[TablePlan], replace_indexes: bool) -> None:
    for table_plan in plans:
        if table_plan.conflicts:
            raise CommandError(
                f"table {table_plan.name} exists but cannot be changed to match the models: "
                + "; ".join(table_plan.conflicts)
                + " (it needs a new table: create one and "
                "migrate with `dynamap export` / `dynamap import --restore`)"
            )
        manual = [drift.what for drift in table_plan.of_kind(MANUAL)]
        if manual:
            raise CommandError(
                f"table {table_plan.name} needs a step by hand: " + "; ".join(manual)
            )
        replace = [drift.what for drift in table_plan.of_kind(REPLACE_INDEX)]
        if replace and not replace_indexes:
            raise CommandError(
                f"table {table_plan.name} has indexes that differ from the models: "
                + "; ".join(replace)
                + "; run create-tables with --replace-indexes to delete "
                "and re-create them"
            )


def _note_extra_indexes(table_plan: TablePlan) -> None:
    for name in table_plan.extra_indexes:
        note(f"note: {table_plan.name} has index {name}, which no model declares (kept)")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# -- plan ---------------------------------------------------------------------------


@click.command("plan")
@TARGETS
@connection_options
def plan(targets: tuple[str, ...], **options: Any) -> None:
    """Show what create-tables would change (exit 1 if anything).

    Compares keys and attribute types, every GSI's and LSI's keys and projection,
    billing mode and throughput, TTL, stream, table class, deletion protection,
    encryption, point-in-time recovery and tags, and prints each difference. Exit code
    0 means the tables are in sync.
    """
    connection = connection_from(options)
    schemas = _schemas(load_targets(targets), None)
    plans = asyncio.run(_plan_all(connection, schemas))
    for table_plan in plans:
        _show_plan(table_plan)
    pending = [table_plan for table_plan in plans if not table_plan.in_sync]
    if not pending:
        echo(f"in sync: {_count(len(plans), 'table')}, nothing to change")
        return
    verb = "needs" if len(pending) == 1 else "need"
    echo(f"{len(pending)} of {_count(len(plans), 'table')} {verb} changes")
    if any(not table_plan.conflicts for table_plan in pending):
        echo(f"  apply them with: dynamap create-tables {' '.join(targets)}")
    stuck = [table_plan.name for table_plan in pending if table_plan.conflicts]
    if stuck:
        echo(
            f"  {', '.join(stuck)} cannot be changed in place (!): create new tables and "
            "migrate with `dynamap export` / `dynamap import`"
        )
    raise click.exceptions.Exit(EXIT_ATTENTION)


async def _plan_all(connection: Connection, schemas: Sequence[TableSchema]) -> list[TablePlan]:
    async with open_session(connection) as db:
        return await _plans(db, schemas)


def _show_plan(table_plan: TablePlan) -> None:
    if table_plan.in_sync:
        echo(f"{table_plan.name}: in sync")
    else:
        echo(f"{table_plan.name}:")
        for line in plan_lines(table_plan):
            echo(f"  {line}")
    for name in table_plan.extra_indexes:
        echo(f"  ~ index {name} is not declared by any model (kept)")


def plan_lines(table_plan: TablePlan) -> list[str]:
    """One line per change: `+` to add; `!` what cannot change in place (then only that:
    such a table has to be recreated)."""
    schema = table_plan.schema
    if table_plan.create:
        lines = [f"+ create table {table_plan.name} ({_key_text(schema)})"]
        lines += [f"+ with index {index.name} ({_index_text(index)})" for index in schema.indexes]
    elif table_plan.conflicts:
        return [f"! {conflict}" for conflict in table_plan.conflicts]
    else:
        lines = [
            f"+ add index {index.name} ({_index_text(index)})" for index in table_plan.add_indexes
        ]
        lines += [f"~ {drift.what}" for drift in table_plan.of_kind(UPDATE)]
        lines += [
            f"! {drift.what} (create-tables --replace-indexes re-creates it)"
            for drift in table_plan.of_kind(REPLACE_INDEX)
        ]
        lines += [f"! {drift.what}" for drift in table_plan.of_kind(MANUAL)]
    if table_plan.enable_ttl:
        lines.append(f"+ enable TTL on {table_plan.enable_ttl}")
    return lines


def _key_text(schema: TableSchema) -> str:
    parts = [f"partition key {schema.pk.name} {schema.pk.type}"]
    if schema.sk is not None:
        parts.append(f"sort key {schema.sk.name} {schema.sk.type}")
    return ", ".join([*parts, schema.billing_mode])


def _index_text(index: Any) -> str:
    keys = f"{index.pk.name} {index.pk.type}"
    if index.sk is not None:
        keys += f", {index.sk.name} {index.sk.type}"
    return f"{index.kind}: {keys}, projection {index.projection}"


# -- describe -----------------------------------------------------------------------


@click.command("describe")
@TARGETS
@connection_options
@click.option(
    "--count",
    "exact",
    is_flag=True,
    help="Count items with a scan (exact, but reads the whole table).",
)
def describe(targets: tuple[str, ...], exact: bool, **options: Any) -> None:
    """Show the live tables: keys, indexes, TTL, item counts.

    Item counts come from DescribeTable, which AWS refreshes about every six hours;
    --count scans for the exact number.
    """
    connection = connection_from(options)
    tables = load_targets(targets).tables
    for block in asyncio.run(_describe_all(connection, tables, exact)):
        echo(block)


async def _describe_all(connection: Connection, tables: Sequence[Table], exact: bool) -> list[str]:
    async with open_session(connection) as db:
        return [await _describe_one(db, table, exact) for table in tables]


async def _describe_one(db: Session, table: Table, exact: bool) -> str:
    name = db.table_name(table)
    live = await describe_table(db.transport, name)
    models = ", ".join(
        f"{c.model.__name__} ({table.entity_attribute}={c.entity!r})" for c in table.compiled
    )
    if live is None:
        return (
            f"{name}: does not exist (create it with `dynamap create-tables`)\n  models: {models}"
        )
    count = await _exact_count(db, name) if exact else int(live.get("ItemCount", 0))
    billing = live.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    counted = "items" if exact else "items (approximate)"
    lines = [
        f"{name}: {live.get('TableStatus')}, {billing}, {count:,} {counted}, "
        f"{int(live.get('TableSizeBytes', 0)):,} bytes",
        f"  models: {models}",
        f"  key: {_live_keys(live['KeySchema'], live)}",
    ]
    for kind, entry in _live_indexes(live):
        status = entry.get("IndexStatus", "ACTIVE")
        projection = entry.get("Projection", {}).get("ProjectionType", "ALL")
        lines.append(
            f"  {kind} {entry['IndexName']}: {_live_keys(entry['KeySchema'], live)}, "
            f"projection {projection}, {status}"
        )
    lines.append(f"  TTL: {await _ttl_text(db, name)}")
    return "\n".join(lines)


def _live_indexes(live: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("GSI", entry) for entry in live.get("GlobalSecondaryIndexes", [])] + [
        ("LSI", entry) for entry in live.get("LocalSecondaryIndexes", [])
    ]


def _live_keys(key_schema: list[dict[str, str]], live: dict[str, Any]) -> str:
    types = {a["AttributeName"]: a["AttributeType"] for a in live.get("AttributeDefinitions", [])}
    roles = {"HASH": "partition", "RANGE": "sort"}
    return ", ".join(
        f"{roles[k['KeyType']]} {k['AttributeName']} {types.get(k['AttributeName'], '?')}"
        for k in key_schema
    )


async def _ttl_text(db: Session, name: str) -> str:
    answer = await db.send("DescribeTimeToLive", {"TableName": name}, table=name)
    ttl = answer.get("TimeToLiveDescription", {})
    status = ttl.get("TimeToLiveStatus", "DISABLED")
    return f"{ttl['AttributeName']} ({status})" if ttl.get("AttributeName") else status


async def _exact_count(db: Session, name: str) -> int:
    request: dict[str, Any] = {"TableName": name, "Select": "COUNT"}
    total = 0
    while True:
        answer = await db.send("Scan", request, table=name)
        total += int(answer.get("Count", 0))
        if not answer.get("LastEvaluatedKey"):
            return total
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


# -- drop-tables --------------------------------------------------------------------


@click.command("drop-tables")
@TARGETS
@connection_options
@click.option("--yes", is_flag=True, help="Really drop the tables and every item in them.")
def drop_tables(targets: tuple[str, ...], yes: bool, **options: Any) -> None:
    """Delete the tables of the models (needs --yes).

    Every item in them is deleted too.
    """
    connection = connection_from(options)
    tables = load_targets(targets).tables
    if not yes:
        names = ", ".join(schema_of(table).physical_name(_prefix(connection)) for table in tables)
        raise CommandError(
            f"refusing to drop {names} without --yes: dropping deletes the tables and "
            "every item in them; add --yes if that is what you want"
        )
    for line in asyncio.run(_drop_all(connection, tables)):
        echo(line)


async def _drop_all(connection: Connection, tables: Sequence[Table]) -> list[str]:
    lines = []
    async with open_session(connection) as db:
        for table in tables:
            name = db.table_name(table)
            dropped = await drop_table(db.transport, name)
            lines.append(f"dropped {name}" if dropped else f"{name} does not exist")
    return lines
