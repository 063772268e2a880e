"""How a live table differs from the table its models declare.

`table_drift` compares DescribeTable's answer (and the TTL, tag and backup settings)
with a `TableSchema`, and returns one `Drift` per difference, each saying how it can
be brought in line:

- `UPDATE`: one UpdateTable (or UpdateTimeToLive / UpdateContinuousBackups /
  TagResource) request does it: billing mode, throughput, stream, table class,
  deletion protection, encryption, point-in-time recovery, tags, TTL;
- `REPLACE_INDEX`: a GSI with another key schema or projection; UpdateTable can delete
  it and create it again (one GSI at a time), during which queries on it fail;
- `NEW_TABLE`: the table's keys, an attribute type of a key, or an LSI: these are
  fixed at creation, so a new table is needed (and `dynamap export` / `import`);
- `MANUAL`: a change DynamoDB only takes in steps (moving TTL to another attribute).

Nothing here sends requests; the caller reads the live state and applies the fixes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dynamap._schema import IndexSchema, TableSchema

__all__ = ["MANUAL", "NEW_TABLE", "REPLACE_INDEX", "UPDATE", "Drift", "LiveTable", "table_drift"]

Fix = Literal["update", "replace-index", "new-table", "manual"]
UPDATE: Fix = "update"
REPLACE_INDEX: Fix = "replace-index"
NEW_TABLE: Fix = "new-table"
MANUAL: Fix = "manual"


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between the live table and the models.

    Attributes:
        what: the difference, for people.
        fix: how it can be fixed (see the module docstring).
        operation: the request that fixes it (UPDATE), e.g. "UpdateTable".
        request: that request's parameters, without TableName.
        index: the GSI to replace (REPLACE_INDEX).
    """

    what: str
    fix: Fix
    operation: str | None = None
    request: Mapping[str, Any] = field(default_factory=dict)
    index: IndexSchema | None = None


@dataclass(slots=True)
class LiveTable:
    """What DynamoDB says about a table: DescribeTable's `Table`, its TTL description,
    its tags and whether point-in-time recovery is on (None where the endpoint does
    not say)."""

    description: dict[str, Any]
    ttl: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] | None = None
    point_in_time_recovery: bool | None = None


def table_drift(schema: TableSchema, live: LiveTable) -> list[Drift]:
    """Every difference between `live` and `schema` (missing GSIs excepted: the caller
    adds those), in the order they would be fixed."""
    table = live.description
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    drifts = _key_types(schema, types)
    drifts += _gsi_drift(schema, table, types)
    drifts += _lsi_drift(schema, table, types)
    drifts += _billing_drift(schema, table)
    drifts += _settings_drift(schema, live)
    drifts += _ttl_drift(schema, live.ttl)
    return drifts


def _key_types(schema: TableSchema, types: dict[str, str]) -> list[Drift]:
    drifts = []
    for attribute in (schema.pk, schema.sk):
        if attribute is not None and types.get(attribute.name, attribute.type) != attribute.type:
            drifts.append(
                Drift(
                    f"key attribute {attribute.name} is {types[attribute.name]} in the table, "
                    f"{attribute.type} in the models: a key's type is fixed at creation",
                    NEW_TABLE,
                )
            )
    return drifts


def _index_differences(
    index: IndexSchema, entry: dict[str, Any], types: dict[str, str]
) -> list[str]:
    problems = []
    wanted = [(k["AttributeName"], k["KeyType"]) for k in index.key_schema()]
    actual = [(k["AttributeName"], k["KeyType"]) for k in entry.get("KeySchema", [])]
    if wanted != actual:
        problems.append(f"keys are {_keys(actual)}, the models declare {_keys(wanted)}")
    for attribute in (index.pk, index.sk):
        if attribute is not None and types.get(attribute.name, attribute.type) != attribute.type:
            problems.append(
                f"{attribute.name} is {types[attribute.name]}, the models declare {attribute.type}"
            )
    projection = entry.get("Projection", {})
    kind = projection.get("ProjectionType", "ALL")
    if kind != index.projection:
        problems.append(f"projection is {kind}, the models declare {index.projection}")
    elif kind == "INCLUDE" and set(projection.get("NonKeyAttributes", [])) != set(index.include):
        problems.append(
            f"projected attributes are {sorted(projection.get('NonKeyAttributes', []))}"
            f", the models declare {sorted(index.include)}"
        )
    return problems


def _keys(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in pairs) or "none"


def _gsi_drift(schema: TableSchema, table: dict[str, Any], types: dict[str, str]) -> list[Drift]:
    live = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
    drifts = []
    for index in schema.gsis:
        entry = live.get(index.name)
        problems = [] if entry is None else _index_differences(index, entry, types)
        if problems:
            drifts.append(
                Drift(f"index {index.name}: " + "; ".join(problems), REPLACE_INDEX, index=index)
            )
    return drifts


def _lsi_drift(schema: TableSchema, table: dict[str, Any], types: dict[str, str]) -> list[Drift]:
    live = {i["IndexName"]: i for i in table.get("LocalSecondaryIndexes", [])}
    drifts = []
    for index in schema.lsis:
        entry = live.get(index.name)
        if entry is None:
            drifts.append(
                Drift(
                    f"local index {index.name} is missing; LSIs can only be created with the table",
                    NEW_TABLE,
                )
            )
            continue
        problems = _index_differences(index, entry, types)
        if problems:
            drifts.append(
                Drift(
                    f"local index {index.name}: "
                    + "; ".join(problems)
                    + "; LSIs are fixed at creation",
                    NEW_TABLE,
                )
            )
    for name in live.keys() - {index.name for index in schema.lsis}:
        drifts.append(
            Drift(
                f"local index {name} is not declared by any model; LSIs are fixed at creation",
                NEW_TABLE,
            )
        )
    return drifts


def _billing_drift(schema: TableSchema, table: dict[str, Any]) -> list[Drift]:
    mode = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    if mode != schema.billing_mode:
        request: dict[str, Any] = {"BillingMode": schema.billing_mode}
        if schema.billing_mode == "PROVISIONED":
            request["ProvisionedThroughput"] = schema.throughput()
            request["GlobalSecondaryIndexUpdates"] = _gsi_throughput(schema, table)
        return [
            Drift(
                f"billing mode is {mode}, the models declare {schema.billing_mode}",
                UPDATE,
                "UpdateTable",
                request,
            )
        ]
    if mode != "PROVISIONED":
        return []
    drifts = []
    if _throughput(table) != _wanted(schema):
        drifts.append(
            Drift(
                f"throughput is {_throughput_text(_throughput(table))}, the models declare "
                f"{_throughput_text(_wanted(schema))}",
                UPDATE,
                "UpdateTable",
                {"ProvisionedThroughput": schema.throughput()},
            )
        )
    for entry in table.get("GlobalSecondaryIndexes", []):
        if entry["IndexName"] in {i.name for i in schema.gsis} and _throughput(entry) != _wanted(
            schema
        ):
            drifts.append(
                Drift(
                    f"index {entry['IndexName']} throughput is "
                    f"{_throughput_text(_throughput(entry))}, the models declare "
                    f"{_throughput_text(_wanted(schema))}",
                    UPDATE,
                    "UpdateTable",
                    {
                        "GlobalSecondaryIndexUpdates": [
                            {
                                "Update": {
                                    "IndexName": entry["IndexName"],
                                    "ProvisionedThroughput": schema.throughput(),
                                }
                            }
                        ]
                    },
                )
            )
    return drifts


def _gsi_throughput(schema: TableSchema, table: dict[str, Any]) -> list[dict[str, Any]]:
    names = {entry["IndexName"] for entry in table.get("GlobalSecondaryIndexes", [])}
    return [
        {"Update": {"IndexName": index.name, "ProvisionedThroughput": schema.throughput()}}
        for index in schema.gsis
        if index.name in names
    ]


def _throughput(entry: dict[str, Any]) -> tuple[int, int]:
    given = entry.get("ProvisionedThroughput", {})
    return int(given.get("ReadCapacityUnits", 0)), int(given.get("WriteCapacityUnits", 0))


def _wanted(schema: TableSchema) -> tuple[int, int]:
    wanted = schema.throughput()
    return wanted["ReadCapacityUnits"], wanted["WriteCapacityUnits"]


def _throughput_text(pair: tuple[int, int]) -> str:
    return f"{pair[0]} read / {pair[1]} write"


def _settings_drift(schema: TableSchema, live: LiveTable) -> list[Drift]:
    settings, table = schema.settings, live.description
    drifts = []
    stream = table.get("StreamSpecification") or {}
    view = stream.get("StreamViewType") if stream.get("StreamEnabled") else None
    if view != settings.stream:
        drifts.append(
            Drift(
                f"stream is {view or 'off'}, the models declare {settings.stream or 'off'}",
                UPDATE,
                "UpdateTable",
                {"StreamSpecification": settings.stream_json()},
            )
        )
    table_class = (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD")
    if table_class != settings.table_class:
        drifts.append(
            Drift(
                f"table class is {table_class}, the models declare {settings.table_class}",
                UPDATE,
                "UpdateTable",
                {"TableClass": settings.table_class},
            )
        )
    protected = bool(table.get("DeletionProtectionEnabled", False))
    if protected != settings.deletion_protection:
        drifts.append(
            Drift(
                f"deletion protection is {_on(protected)}, the models declare "
                f"{_on(settings.deletion_protection)}",
                UPDATE,
                "UpdateTable",
                {"DeletionProtectionEnabled": settings.deletion_protection},
            )
        )
    drifts += _encryption_drift(schema, table)
    if (
        live.point_in_time_recovery is not None
        and live.point_in_time_recovery != settings.point_in_time_recovery
    ):
        drifts.append(
            Drift(
                f"point-in-time recovery is {_on(live.point_in_time_recovery)}, the models "
                f"declare {_on(settings.point_in_time_recovery)}",
                UPDATE,
                "UpdateContinuousBackups",
                {
                    "PointInTimeRecoverySpecification": {
                        "PointInTimeRecoveryEnabled": settings.point_in_time_recovery
                    }
                },
            )
        )
    if live.tags is not None and live.tags != dict(settings.tags):
        drifts.append(
            Drift(
                f"tags are {live.tags}, the models declare {dict(settings.tags)}",
                UPDATE,
                "TagResource",
                {
                    "Tags": settings.tags_json(),
                    "Remove": sorted(live.tags.keys() - dict(settings.tags)),
                },
            )
        )
    return drifts


def _encryption_drift(schema: TableSchema, table: dict[str, Any]) -> list[Drift]:
    settings = schema.settings
    sse = table.get("SSEDescription") or {}
    kms = sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING") and sse.get("SSEType") == "KMS"
    encryption = "KMS" if kms else "AWS_OWNED"
    key = sse.get("KMSMasterKeyArn") if kms else None
    differs = encryption != settings.encryption or bool(
        settings.kms_key and key and not key.endswith(settings.kms_key.split("/")[-1])
    )
    if not differs:
        return []
    return [
        Drift(
            f"encryption is {encryption}{f' ({key})' if key else ''}, the models declare "
            f"{settings.encryption}{f' ({settings.kms_key})' if settings.kms_key else ''}",
            UPDATE,
            "UpdateTable",
            {"SSESpecification": settings.sse_json()},
        )
    ]


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _ttl_drift(schema: TableSchema, ttl: dict[str, Any]) -> list[Drift]:
    enabled = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    attribute = ttl.get("AttributeName") if enabled else None
    wanted = schema.ttl_attribute
    if attribute == wanted:
        return []
    if attribute is None:
        return [
            Drift(
                f"TTL is off, the models declare it on {wanted}",
                UPDATE,
                "UpdateTimeToLive",
                {"TimeToLiveSpecification": {"AttributeName": wanted, "Enabled": True}},
            )
        ]
    if wanted is None:
        return [
            Drift(
                f"TTL is on {attribute}, which no model declares: items expire by it; "
                "turn it off with UpdateTimeToLive if that is not meant",
                MANUAL,
            )
        ]
    return [
        Drift(
            f"TTL is on {attribute}, the models declare {wanted}: turn TTL off, then "
            "run create-tables again (DynamoDB allows one TTL change per hour)",
            MANUAL,
        )
    ]
