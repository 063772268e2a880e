"""Table drift as a pure comparison of a schema with DescribeTable answers, for the
settings local engines cannot show (table class, encryption), and the bounded wait
for a table that stays busy."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import pytest
from fake_transport import fake_session

from dynamap import Key, Model, Table
from dynamap import _tables as dynamap_tables
from dynamap._drift import MANUAL, NEW_TABLE, REPLACE_INDEX, UPDATE, LiveTable, table_drift
from dynamap._schema import TableSchema
from dynamap._tables import TableBusy, plan_table, schema_of
from dynamap.errors import InvalidRequest, TableNotFound

vault = Table("Vault", encryption="KMS", kms_key="alias/vault",
              table_class="STANDARD_INFREQUENT_ACCESS", deletion_protection=True,
              point_in_time_recovery=True, tags={"env": "prod"})


class Secret(Model, table=vault, entity="secret"):
    pk: ClassVar[Key] = Key("SECRET#{id}")

    id: str


def schema() -> TableSchema:
    return schema_of(vault)


def described(**changes: Any) -> dict[str, Any]:
    """DescribeTable's answer for a table exactly as declared, then `changes`."""
    request = copy.deepcopy(schema().create_table_request())
    table: dict[str, Any] = {
        "TableName": request["TableName"], "TableStatus": "ACTIVE",
        "AttributeDefinitions": request["AttributeDefinitions"],
        "KeySchema": request["KeySchema"],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "TableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"},
        "DeletionProtectionEnabled": True,
        "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS",
                           "KMSMasterKeyArn": "arn:aws:kms:us-east-1:1:alias/vault"},
    }
    table.update(changes)
    return table


def live(**changes: Any) -> LiveTable:
    return LiveTable(described(**changes), {}, {"env": "prod"}, True)


def test_a_table_as_declared_has_no_drift() -> None:
    assert table_drift(schema(), live()) == []


def test_table_class_encryption_and_deletion_protection() -> None:
    found = table_drift(schema(), live(TableClassSummary={"TableClass": "STANDARD"},
                                       SSEDescription=None, DeletionProtectionEnabled=False))
    assert [(d.fix, d.what) for d in found] == [
        (UPDATE, "table class is STANDARD, the models declare STANDARD_INFREQUENT_ACCESS"),
        (UPDATE, "deletion protection is off, the models declare on"),
        (UPDATE, "encryption is AWS_OWNED, the models declare KMS (alias/vault)"),
    ]
    assert found[2].request == {"SSESpecification": {"Enabled": True, "SSEType": "KMS",
                                                     "KMSMasterKeyId": "alias/vault"}}


def test_backups_and_tags_when_the_endpoint_can_say() -> None:
    bent = LiveTable(described(), {}, {"env": "dev", "old": "x"}, False)
    found = table_drift(schema(), bent)
    assert [d.operation for d in found] == ["UpdateContinuousBackups", "TagResource"]
    assert found[1].request == {"Tags": [{"Key": "env", "Value": "prod"}], "Remove": ["old"]}
    unknown = LiveTable(described(), {}, None, None)  # DynamoDB Local: no tags, no PITR
    assert table_drift(schema(), unknown) == []


def test_an_undeclared_lsi_and_a_declared_ttl_elsewhere() -> None:
    bent = LiveTable(described(LocalSecondaryIndexes=[{
        "IndexName": "Extra", "KeySchema": [], "Projection": {"ProjectionType": "ALL"}}]),
        {"TimeToLiveStatus": "ENABLED", "AttributeName": "gone"}, {"env": "prod"}, True)
    found = table_drift(schema(), bent)
    assert [(d.fix, d.what.split(";")[0]) for d in found] == [
        (NEW_TABLE, "local index Extra is not declared by any model"),
        (MANUAL, "TTL is on gone, which no model declares: items expire by it"),
    ]
    assert REPLACE_INDEX not in {d.fix for d in found}


async def test_a_table_that_stays_creating_is_waited_for_with_a_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dynamap_tables, "WAIT_SECONDS", 0.3)

    def answer(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        return {"Table": {**described(), "TableStatus": "CREATING"}}

    session, _transport = fake_session(answer)
    async with session:
        with pytest.raises(TableBusy, match=r"table Vault is still CREATING after 0 s"):
            await plan_table(session.transport, schema(), "")


async def test_a_table_being_deleted_is_waited_for_then_created() -> None:
    deleting = {"polls": 0}
    created: list[str] = []

    def answer(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "CreateTable":
            if not created:
                created.append("refused")
                raise InvalidRequest("Table already exists", operation=operation,
                                     table="Vault", code="ResourceInUseException")
            created.append("created")
            return {}
        if operation == "DescribeTable":
            if created == ["refused"] and deleting["polls"] < 3:
                deleting["polls"] += 1
                return {"Table": {**described(), "TableStatus": "DELETING"}}
            if created == ["refused"]:
                raise TableNotFound("gone", operation=operation, table="Vault",
                                    code="ResourceNotFoundException")
            return {"Table": described()}
        return {}

    session, transport = fake_session(answer)
    plan = dynamap_tables.TablePlan(schema(), "Vault", create=True)
    async with session:
        await dynamap_tables.apply_plan(session.transport, plan, prefix="")
    assert created == ["refused", "created"] and deleting["polls"] == 3
    assert transport.operations()[:2] == ["CreateTable", "DescribeTable"]
    assert "UpdateContinuousBackups" in transport.operations()  # PITR, after CreateTable
