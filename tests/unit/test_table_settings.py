"""Table settings declared on `Table(...)`: in the CreateTable request, the
CloudFormation resource and the Terraform block (which `terraform fmt` leaves as it
is), and refused when they contradict each other."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pytest

from dynamap import GSI, Key, Model, Table
from dynamap._tables import schema_of

ledger = Table("Ledger", billing_mode="PROVISIONED", read_capacity=4, write_capacity=2,
               stream="NEW_AND_OLD_IMAGES", point_in_time_recovery=True,
               deletion_protection=True, table_class="STANDARD_INFREQUENT_ACCESS",
               encryption="KMS", kms_key="arn:aws:kms:eu-west-1:111122223333:key/abc",
               tags={"team": "payments", "cost-center": "42"})


class Entry(Model, table=ledger, entity="entry", ttl="expires_at"):
    pk: ClassVar[Key] = Key("ACCOUNT#{account}")
    sk: ClassVar[Key] = Key("ENTRY#{id}")
    by_day: ClassVar[GSI] = GSI("ByDay", pk="day", projection="INCLUDE", include=("amount",))

    account: str
    id: str
    day: str
    amount: int
    expires_at: datetime | None = None


def test_create_table_request_carries_the_settings() -> None:
    request = schema_of(ledger).create_table_request("prod-")
    assert request["StreamSpecification"] == {"StreamEnabled": True,
                                              "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert request["SSESpecification"] == {
        "Enabled": True, "SSEType": "KMS",
        "KMSMasterKeyId": "arn:aws:kms:eu-west-1:111122223333:key/abc"}
    assert request["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert request["DeletionProtectionEnabled"] is True
    assert request["Tags"] == [{"Key": "cost-center", "Value": "42"},
                               {"Key": "team", "Value": "payments"}]
    assert "PointInTimeRecoverySpecification" not in request  # not a CreateTable parameter


def test_defaults_add_nothing_to_create_table() -> None:
    plain = Table("Plain")

    class Thing(Model, table=plain, entity="thing"):
        pk: ClassVar[Key] = Key("id")

        id: str

    request = schema_of(plain).create_table_request()
    for name in ("StreamSpecification", "SSESpecification", "TableClass",
                 "DeletionProtectionEnabled", "Tags"):
        assert name not in request


def test_cloudformation_resource_carries_the_settings() -> None:
    properties = schema_of(ledger).cloudformation("prod-")["Properties"]
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["SSESpecification"] == {
        "SSEEnabled": True, "SSEType": "KMS",
        "KMSMasterKeyId": "arn:aws:kms:eu-west-1:111122223333:key/abc"}
    assert properties["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at",
                                                     "Enabled": True}


def test_terraform_block_carries_the_settings() -> None:
    lines = {" ".join(line.split()) for line in schema_of(ledger).terraform("prod-").splitlines()}
    for line in ('stream_enabled = true', 'stream_view_type = "NEW_AND_OLD_IMAGES"',
                 'table_class = "STANDARD_INFREQUENT_ACCESS"',
                 'deletion_protection_enabled = true',
                 'point_in_time_recovery {', 'server_side_encryption {',
                 'kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/abc"',
                 '"cost-center" = "42"', '"team" = "payments"'):
        assert line in lines, line


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
@pytest.mark.parametrize("table", [ledger, Table("Other")], ids=["settings", "plain"])
def test_terraform_output_is_fmt_clean(tmp_path: Path, table: Table) -> None:
    if not table.compiled:
        class Row(Model, table=table, entity="row"):
            pk: ClassVar[Key] = Key("id")

            id: str
    path = tmp_path / "main.tf"
    path.write_text(schema_of(table).terraform("prod-"))
    result = subprocess.run(["terraform", "fmt", "-check", "-diff", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout


def test_a_kms_key_needs_kms_encryption() -> None:
    with pytest.raises(ValueError, match='kms_key needs encryption="KMS"'):
        Table("Bad", kms_key="alias/x")
