"""`dynamap plan` and `create-tables` against tables that drifted from their models, on
DynamoDB Local and moto: each kind of difference is printed, makes `plan` exit 1, and
is either applied by create-tables (what UpdateTable can change) or refused, naming
what needs a new table. Where moto and DynamoDB Local differ, DynamoDB Local is the
truth, and the test says so."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from cli_helpers import Cli, error_line

from dynamap._session import Session
from dynamap._tables import schema_of

pytestmark = pytest.mark.integration

TABLE = "CliCatalog"


def declared(prefix: str) -> dict[str, Any]:
    """The CreateTable request the models make."""
    import drift_models

    return schema_of(drift_models.catalog).create_table_request(prefix)


def create_bent(dynamap: Cli, bend: Callable[[dict[str, Any]], None]) -> str:
    """Create the table from the models' request changed by `bend`; its name."""
    request = copy.deepcopy(declared(dynamap.prefix))
    request.pop("Tags", None)  # DynamoDB Local does not support tagging
    bend(request)

    async def create(db: Session) -> None:
        await db.send("CreateTable", request, table=request["TableName"])

    dynamap.run(create)
    return str(request["TableName"])


def gsi(request: dict[str, Any], name: str) -> dict[str, Any]:
    return next(g for g in request["GlobalSecondaryIndexes"] if g["IndexName"] == name)


def plan_output(dynamap: Cli) -> list[str]:
    result = dynamap("plan", "drift_models")
    assert result.exit_code == 1, result.output
    return result.stdout.splitlines()


def in_sync(dynamap: Cli) -> None:
    result = dynamap("plan", "drift_models")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "in sync: 1 table, nothing to change"


def tag_and_ttl_lines(dynamap: Cli) -> list[str]:
    """What every bent table also lacks: the TTL, and (where tags can be read) the tags."""
    lines = ["  ~ TTL is off, the models declare it on expires_at"]
    if dynamap.engine == "moto":  # DynamoDB Local does not support tagging at all
        lines.append("  ~ tags are {}, the models declare {'team': 'shop'}")
    return lines


def test_a_table_made_by_create_tables_is_in_sync(dynamap: Cli) -> None:
    assert dynamap("create-tables", "drift_models").exit_code == 0
    in_sync(dynamap)


def test_key_attribute_types_need_a_new_table(dynamap: Cli) -> None:
    def numeric_pk(request: dict[str, Any]) -> None:
        for definition in request["AttributeDefinitions"]:
            if definition["AttributeName"] == "PK":
                definition["AttributeType"] = "N"

    name = create_bent(dynamap, numeric_pk)
    lines = plan_output(dynamap)
    assert "  ! key attribute PK is N in the table, S in the models: a key's type is fixed " \
           "at creation" in lines
    assert any("cannot be changed in place (!)" in line for line in lines)
    refused = dynamap("create-tables", "drift_models")
    assert refused.exit_code == 2
    assert error_line(refused).startswith(f"error: table {name} exists but cannot be changed")
    assert "it needs a new table" in error_line(refused)


def test_index_keys_types_and_projections_are_compared(dynamap: Cli) -> None:
    def bend(request: dict[str, Any]) -> None:
        live = gsi(request, "LiveIndex")
        live["KeySchema"] = [{"AttributeName": "is_live", "KeyType": "HASH"}]  # no sort key
        for definition in request["AttributeDefinitions"]:
            if definition["AttributeName"] == "is_live":
                definition["AttributeType"] = "S"
        request["AttributeDefinitions"] = [d for d in request["AttributeDefinitions"]
                                           if d["AttributeName"] != "created_at"]
        gsi(request, "OwnerIndex")["Projection"] = {"ProjectionType": "INCLUDE",
                                                    "NonKeyAttributes": ["owner_name"]}

    create_bent(dynamap, bend)
    lines = plan_output(dynamap)
    assert ("  ! index LiveIndex: keys are is_live HASH, the models declare is_live HASH, "
            "created_at RANGE; is_live is S, the models declare N (create-tables "
            "--replace-indexes re-creates it)") in lines
    assert ("  ! index OwnerIndex: projected attributes are ['owner_name'], the models "
            "declare ['entity', 'title'] (create-tables --replace-indexes re-creates it)") in lines
    refused = dynamap("create-tables", "drift_models")
    assert refused.exit_code == 2
    assert "run create-tables with --replace-indexes" in error_line(refused)
    replaced = dynamap("create-tables", "drift_models", "--replace-indexes")
    assert replaced.exit_code == 0, replaced.output
    in_sync(dynamap)


def test_a_keys_only_projection_is_not_all(dynamap: Cli) -> None:
    def bend(request: dict[str, Any]) -> None:
        gsi(request, "LiveIndex")["Projection"] = {"ProjectionType": "KEYS_ONLY"}

    create_bent(dynamap, bend)
    assert ("  ! index LiveIndex: projection is KEYS_ONLY, the models declare ALL "
            "(create-tables --replace-indexes re-creates it)") in plan_output(dynamap)


def test_a_different_lsi_needs_a_new_table(dynamap: Cli) -> None:
    def bend(request: dict[str, Any]) -> None:
        request["LocalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}

    create_bent(dynamap, bend)
    assert ("  ! local index TitleIndex: projection is KEYS_ONLY, the models declare ALL; "
            "LSIs are fixed at creation") in plan_output(dynamap)
    assert dynamap("create-tables", "drift_models").exit_code == 2


def test_billing_mode_and_stream_are_updated_in_place(dynamap: Cli) -> None:
    def bend(request: dict[str, Any]) -> None:
        request["BillingMode"] = "PAY_PER_REQUEST"
        request.pop("ProvisionedThroughput")
        for index in request["GlobalSecondaryIndexes"]:
            index.pop("ProvisionedThroughput")
        request.pop("StreamSpecification")

    create_bent(dynamap, bend)
    lines = plan_output(dynamap)
    assert "  ~ billing mode is PAY_PER_REQUEST, the models declare PROVISIONED" in lines
    assert "  ~ stream is off, the models declare NEW_AND_OLD_IMAGES" in lines
    for line in tag_and_ttl_lines(dynamap):
        assert line in lines
    applied = dynamap("create-tables", "drift_models")
    assert applied.exit_code == 0, applied.output
    in_sync(dynamap)


def test_throughput_of_the_table_and_its_indexes(dynamap: Cli) -> None:
    def bend(request: dict[str, Any]) -> None:
        request["ProvisionedThroughput"] = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
        gsi(request, "OwnerIndex")["ProvisionedThroughput"] = {
            "ReadCapacityUnits": 7, "WriteCapacityUnits": 7}

    create_bent(dynamap, bend)
    lines = plan_output(dynamap)
    assert ("  ~ throughput is 1 read / 1 write, the models declare 3 read / 2 write"
            in lines)
    assert ("  ~ index OwnerIndex throughput is 7 read / 7 write, the models declare 3 read / "
            "2 write") in lines
    applied = dynamap("create-tables", "drift_models")
    assert applied.exit_code == 0, applied.output
    in_sync(dynamap)


def test_ttl_on_another_attribute_is_a_step_by_hand(dynamap: Cli) -> None:
    name = create_bent(dynamap, lambda request: None)

    async def other_ttl(db: Session) -> None:
        await db.send("UpdateTimeToLive", {"TableName": name, "TimeToLiveSpecification": {
            "AttributeName": "gone_at", "Enabled": True}}, table=name)

    dynamap.run(other_ttl)
    lines = plan_output(dynamap)
    assert ("  ! TTL is on gone_at, the models declare expires_at: turn TTL off, then run "
            "create-tables again (DynamoDB allows one TTL change per hour)") in lines
    refused = dynamap("create-tables", "drift_models")
    assert refused.exit_code == 2
    assert "needs a step by hand" in error_line(refused)


def test_recreating_a_table_just_created_waits_for_it(dynamap: Cli) -> None:
    # CreateTable answers ResourceInUseException: the table is there, so it is waited
    # for and compared, not reported as created
    assert dynamap("create-tables", "drift_models").exit_code == 0
    again = dynamap("create-tables", "drift_models")
    assert again.exit_code == 0
    assert again.stdout.startswith("1 table up to date: nothing to do")


def unprotect(dynamap: Cli) -> None:
    """Turn deletion protection off, so that the fixture can drop the table."""
    name = f"{dynamap.prefix}CliGuarded"

    async def update(db: Session) -> None:
        await db.send("UpdateTable", {"TableName": name, "DeletionProtectionEnabled": False},
                      table=name)

    dynamap.run(update)


def test_backups_deletion_protection_and_stream(dynamap: Cli) -> None:
    created = dynamap("create-tables", "settings_models")
    assert created.exit_code == 0, created.output
    try:
        check_settings(dynamap)
    finally:
        unprotect(dynamap)


def check_settings(dynamap: Cli) -> None:
    result = dynamap("plan", "settings_models")
    assert result.exit_code == 0, result.output  # as declared, on both engines
    name = f"{dynamap.prefix}CliGuarded"

    async def describe(db: Session) -> dict[str, Any]:
        answer = await db.send("DescribeTable", {"TableName": name}, table=name)
        table: dict[str, Any] = answer["Table"]
        return table

    table = dynamap.run(describe)
    assert isinstance(table, dict)
    assert table["DeletionProtectionEnabled"] is True
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    if dynamap.engine != "moto":
        return  # DynamoDB Local has no point-in-time recovery to turn off and compare

    async def backups_off(db: Session) -> None:
        await db.send("UpdateContinuousBackups", {"TableName": name,
                      "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False}},
                      table=name)

    dynamap.run(backups_off)
    drifted = dynamap("plan", "settings_models")
    assert drifted.exit_code == 1
    assert "  ~ point-in-time recovery is off, the models declare on" in drifted.stdout
    assert dynamap("create-tables", "settings_models").exit_code == 0
    assert dynamap("plan", "settings_models").exit_code == 0


def test_a_protected_table_is_not_dropped(dynamap: Cli) -> None:
    assert dynamap("create-tables", "settings_models").exit_code == 0
    try:
        dropped = dynamap("drop-tables", "settings_models", "--yes")
        assert dropped.exit_code == 2  # DynamoDB refuses DeleteTable while protected
    finally:
        unprotect(dynamap)
