"""create-tables, plan, describe and drop-tables against both local engines."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cli_helpers import Cli, error_line

from dynamap.local import free_port


def test_create_tables_is_idempotent_and_plan_follows(dynamap: Cli) -> None:
    before = dynamap("plan", "sample_models")
    assert before.exit_code == 1, before.output
    shop, audit = f"{dynamap.prefix}CliShop", f"{dynamap.prefix}CliAudit"
    assert before.stdout.splitlines() == [
        f"{shop}:",
        f"  + create table {shop} (partition key PK S, sort key SK S, PAY_PER_REQUEST)",
        "  + with index CustomersByEmail (GSI: email S, projection ALL)",
        "  + enable TTL on expiresAt",
        f"{audit}:",
        f"  + create table {audit} (partition key id S, PAY_PER_REQUEST)",
        "2 of 2 tables need changes",
        "  apply them with: dynamap create-tables sample_models",
    ]

    created = dynamap("create-tables", "sample_models")
    assert created.exit_code == 0, created.output
    assert f"  + create table {shop} " in created.stdout
    assert "  + enable TTL on expiresAt" in created.stdout
    assert created.stdout.count("  ACTIVE") == 2
    assert "done: 2 tables changed, 0 already up to date" in created.stdout

    again = dynamap("create-tables", "sample_models")
    assert again.exit_code == 0, again.output
    assert again.stdout == "2 tables up to date: nothing to do\n"

    after = dynamap("plan", "sample_models")
    assert after.exit_code == 0, after.output
    assert after.stdout.splitlines() == [
        f"{shop}: in sync", f"{audit}: in sync", "in sync: 2 tables, nothing to change"]


def test_missing_indexes_are_added_and_undeclared_ones_kept(dynamap: Cli) -> None:
    assert dynamap("create-tables", "ledger_v1").exit_code == 0
    name = f"{dynamap.prefix}CliLedger"
    planned = dynamap("plan", "ledger_v2")
    assert planned.exit_code == 1
    assert planned.stdout.splitlines()[:2] == [
        f"{name}:", "  + add index EntriesByDay (GSI: day S, id S, projection ALL)"]

    added = dynamap("create-tables", "ledger_v2")
    assert added.exit_code == 0, added.output
    assert "  + add index EntriesByDay" in added.stdout
    assert dynamap("plan", "ledger_v2").exit_code == 0

    older = dynamap("plan", "ledger_v1")
    assert older.exit_code == 0, older.output
    assert "  ~ index EntriesByDay is not declared by any model (kept)" in older.stdout
    kept = dynamap("create-tables", "ledger_v1")
    assert kept.exit_code == 0
    assert f"note: {name} has index EntriesByDay, which no model declares (kept)" in kept.stderr


async def create_conflicting_ledger(db: Any) -> None:
    name = f"{db.table_prefix}CliLedger"
    await db.send("CreateTable", {
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }, table=name)


def test_a_table_with_another_key_schema_is_refused(dynamap: Cli) -> None:
    dynamap.run(create_conflicting_ledger)
    created = dynamap("create-tables", "ledger_v2")
    assert created.exit_code == 2
    line = error_line(created)
    assert line.startswith(f"error: table {dynamap.prefix}CliLedger exists but cannot be changed "
                           "to match the models: key schema is {'id': 'HASH'} but the models "
                           "declare {'PK': 'HASH', 'SK': 'RANGE'}")
    assert "dynamap export/import" in line
    assert created.stdout == ""

    planned = dynamap("plan", "ledger_v2")
    assert planned.exit_code == 1
    assert planned.stdout.splitlines()[:2] == [
        f"{dynamap.prefix}CliLedger:",
        "  ! key schema is {'id': 'HASH'} but the models declare {'PK': 'HASH', 'SK': 'RANGE'}; "
        "a table's keys cannot change in place: create a new table and migrate (dynamap "
        "export/import)",
    ]
    assert planned.stdout.splitlines()[2:] == [
        "1 of 1 table needs changes",
        f"  {dynamap.prefix}CliLedger cannot be changed in place (!): create new tables and "
        "migrate with `dynamap export` / `dynamap import`",
    ]


def test_billing_mode_override(dynamap: Cli) -> None:
    created = dynamap("create-tables", "ledger_v2", "--billing-mode", "PROVISIONED")
    assert created.exit_code == 0, created.output
    described = dynamap("describe", "ledger_v2")
    assert described.exit_code == 0, described.output
    assert f"{dynamap.prefix}CliLedger: ACTIVE, PROVISIONED," in described.stdout


def test_describe_shows_keys_indexes_ttl_and_counts(dynamap: Cli) -> None:
    missing = dynamap("describe", "sample_models")
    assert missing.exit_code == 0
    assert (f"{dynamap.prefix}CliShop: does not exist (create it with `dynamap create-tables`)"
            in missing.stdout)
    assert dynamap("create-tables", "sample_models").exit_code == 0

    async def put_events(db: Any) -> None:
        import sample_models

        for number in range(3):
            await db.put(sample_models.Event(id=f"e{number}", message="hello"))

    dynamap.run(put_events)
    described = dynamap("describe", "sample_models", "--count")
    assert described.exit_code == 0, described.output
    shop, audit = f"{dynamap.prefix}CliShop", f"{dynamap.prefix}CliAudit"
    lines = described.stdout.splitlines()
    assert lines[0].startswith(f"{shop}: ACTIVE, PAY_PER_REQUEST, 0 items, ")
    assert lines[1:5] == [
        "  models: Customer (kind='customer'), Order (kind='order')",
        "  key: partition PK S, sort SK S",
        "  GSI CustomersByEmail: partition email S, projection ALL, ACTIVE",
        "  TTL: expiresAt (ENABLED)",
    ]
    assert lines[5].startswith(f"{audit}: ACTIVE, PAY_PER_REQUEST, 3 items, ")
    assert lines[6:] == ["  models: Event (entity='Event')", "  key: partition id S",
                         "  TTL: DISABLED"]


def test_drop_tables_needs_yes(dynamap: Cli) -> None:
    assert dynamap("create-tables", "ledger_v1").exit_code == 0
    name = f"{dynamap.prefix}CliLedger"
    refused = dynamap("drop-tables", "ledger_v1")
    assert refused.exit_code == 2
    assert error_line(refused) == (
        f"error: refusing to drop {name} without --yes: dropping deletes the tables and every "
        "item in them; add --yes if that is what you want")
    assert dynamap("plan", "ledger_v1").exit_code == 0

    dropped = dynamap("drop-tables", "ledger_v1", "--yes")
    assert dropped.exit_code == 0, dropped.output
    assert dropped.stdout == f"dropped {name}\n"
    again = dynamap("drop-tables", "ledger_v1", "--yes")
    assert again.stdout == f"{name} does not exist\n"


def dry_run(offline: Cli, *args: str) -> Any:
    result = offline("create-tables", "sample_models", "--dry-run", *args, connect=False)
    assert result.exit_code == 0, result.output
    return result


def test_dry_run_json_one_document_per_table_with_prefix(offline: Cli) -> None:
    result = dry_run(offline, "--prefix", "prod-", "--billing-mode", "PROVISIONED")
    decoder = json.JSONDecoder()
    shop, end = decoder.raw_decode(result.stdout)
    audit = json.loads(result.stdout[end:])
    assert shop["TableName"] == "prod-CliShop"
    assert audit["TableName"] == "prod-CliAudit"
    assert audit["BillingMode"] == "PROVISIONED"
    assert audit["ProvisionedThroughput"] == {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    assert "TimeToLiveSpecification" not in shop
    assert result.stderr.strip() == (
        "note: CreateTable cannot enable TTL; after creating the table run `aws dynamodb "
        "update-time-to-live --table-name prod-CliShop --time-to-live-specification "
        "Enabled=true,AttributeName=expiresAt`")


def test_dry_run_prefix_comes_from_the_environment(offline: Cli) -> None:
    result = offline("create-tables", "ledger_v1", "--dry-run", connect=False,
                     env={"DYNAMAP_TABLE_PREFIX": "staging-"})
    assert json.loads(result.stdout)["TableName"] == "staging-CliLedger"


def test_dry_run_cloudformation(offline: Cli) -> None:
    result = dry_run(offline, "--format", "cloudformation")
    template = json.loads(result.stdout)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert list(template["Resources"]) == ["CliShopTable", "CliAuditTable"]
    shop = template["Resources"]["CliShopTable"]
    assert shop["Type"] == "AWS::DynamoDB::Table"
    assert shop["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expiresAt", "Enabled": True}


def test_format_implies_dry_run_terraform(offline: Cli) -> None:
    result = offline("create-tables", "sample_models", "--format", "terraform", connect=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.count('resource "aws_dynamodb_table"') == 2
    assert 'name         = "CliShop"' in result.stdout  # aligned as terraform fmt does
    assert 'attribute_name = "expiresAt"' in result.stdout


@pytest.mark.parametrize("command", ["create-tables", "plan", "describe", "drop-tables"])
def test_unreachable_endpoint(offline: Cli, command: str) -> None:
    offline.endpoint = f"http://127.0.0.1:{free_port()}"
    result = offline(command, "ledger_v1", *(["--yes"] if command == "drop-tables" else []))
    assert result.exit_code == 2
    assert error_line(result) == (
        f"error: cannot reach DynamoDB at {offline.endpoint} (connection refused); is the "
        "server running? Start a local one with `dynamap local`, or check --endpoint-url / "
        "AWS_ENDPOINT_URL_DYNAMODB")


NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None, "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    "AWS_WEB_IDENTITY_TOKEN_FILE": None,
}


@pytest.mark.parametrize("command", ["create-tables", "plan", "describe"])
def test_missing_credentials(offline: Cli, command: str) -> None:
    result = offline(command, "ledger_v1", connect=False, env=NO_CREDENTIALS)
    assert result.exit_code == 2
    assert error_line(result).startswith("error: no AWS credentials found: set "
                                         "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")


def test_missing_region(offline: Cli) -> None:
    env = {**NO_CREDENTIALS, "AWS_REGION": None, "AWS_DEFAULT_REGION": None}
    result = offline("plan", "ledger_v1", connect=False, env=env)
    assert result.exit_code == 2
    assert error_line(result) == ("error: no AWS region configured: pass Session(region=...) "
                                  "or set AWS_REGION; on the command line, pass --region")
