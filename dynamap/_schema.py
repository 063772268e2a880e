"""Table definitions: all models of a table merged into one frozen `TableSchema`.

The models are the schema. From a `TableSchema` come the CreateTable request (the
JSON `aws dynamodb create-table --cli-input-json` accepts), a CloudFormation
`AWS::DynamoDB::Table` resource and a Terraform `aws_dynamodb_table` block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dynamap._compiler import CompiledIndex, CompiledModel, KeyAttribute, key_shape
from dynamap._declarations import BillingMode, Encryption, StreamView, Table, TableClass
from dynamap._prefixes import TablePrefix
from dynamap.errors import DefinitionError

__all__ = ["AttributeDefinition", "IndexSchema", "TableSchema", "TableSettings", "table_schema"]


@dataclass(frozen=True, slots=True)
class TableSettings:
    """A table's settings beyond keys and indexes (see `Table`)."""

    stream: StreamView | None = None
    point_in_time_recovery: bool = False
    deletion_protection: bool = False
    table_class: TableClass = "STANDARD"
    encryption: Encryption = "AWS_OWNED"
    kms_key: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, table: Table) -> TableSettings:
        """The settings a `Table` declares."""
        return cls(
            table.stream,
            table.point_in_time_recovery,
            table.deletion_protection,
            table.table_class,
            table.encryption,
            table.kms_key,
            tuple(sorted(table.tags.items())),
        )

    def stream_json(self) -> dict[str, Any]:
        """The StreamSpecification."""
        if self.stream is None:
            return {"StreamEnabled": False}
        return {"StreamEnabled": True, "StreamViewType": self.stream}

    def sse_json(self) -> dict[str, Any]:
        """The SSESpecification."""
        if self.encryption == "AWS_OWNED":
            return {"Enabled": False}
        spec: dict[str, Any] = {"Enabled": True, "SSEType": "KMS"}
        if self.kms_key:
            spec["KMSMasterKeyId"] = self.kms_key
        return spec

    def tags_json(self) -> list[dict[str, str]]:
        """The Tags list."""
        return [{"Key": key, "Value": value} for key, value in self.tags]

    def add_to_request(self, request: dict[str, Any]) -> None:
        """Add what differs from DynamoDB's defaults to a CreateTable request."""
        if self.stream is not None:
            request["StreamSpecification"] = self.stream_json()
        if self.encryption != "AWS_OWNED":
            request["SSESpecification"] = self.sse_json()
        if self.table_class != "STANDARD":
            request["TableClass"] = self.table_class
        if self.deletion_protection:
            request["DeletionProtectionEnabled"] = True
        if self.tags:
            request["Tags"] = self.tags_json()


@dataclass(frozen=True, slots=True)
class AttributeDefinition:
    """A key attribute and its DynamoDB scalar type ("S", "N" or "B")."""

    name: str
    type: str

    def to_json(self) -> dict[str, str]:
        """The AttributeDefinitions entry."""
        return {"AttributeName": self.name, "AttributeType": self.type}


@dataclass(frozen=True, slots=True)
class IndexSchema:
    """A secondary index of a table."""

    name: str
    kind: str
    pk: AttributeDefinition
    sk: AttributeDefinition | None
    projection: str
    include: tuple[str, ...] = ()

    def key_schema(self) -> list[dict[str, str]]:
        """The index's KeySchema."""
        return _key_schema(self.pk, self.sk)

    def projection_json(self) -> dict[str, Any]:
        """The index's Projection."""
        projection: dict[str, Any] = {"ProjectionType": self.projection}
        if self.include:
            projection["NonKeyAttributes"] = list(self.include)
        return projection


@dataclass(frozen=True, slots=True)
class TableSchema:
    """One DynamoDB table, merged from every model that lives in it.

    Attributes:
        name: the table name without prefix.
        pk: the partition key attribute.
        sk: the sort key attribute, if the table has one.
        indexes: GSIs and LSIs, in declaration order.
        ttl_attribute: the attribute DynamoDB's TTL reads, if a model declares one.
    """

    name: str
    pk: AttributeDefinition
    sk: AttributeDefinition | None
    indexes: tuple[IndexSchema, ...]
    billing_mode: BillingMode
    read_capacity: int | None
    write_capacity: int | None
    ttl_attribute: str | None
    settings: TableSettings = TableSettings()
    prefix: TablePrefix | None = None

    @property
    def gsis(self) -> tuple[IndexSchema, ...]:
        """The global secondary indexes."""
        return tuple(index for index in self.indexes if index.kind == "GSI")

    @property
    def lsis(self) -> tuple[IndexSchema, ...]:
        """The local secondary indexes."""
        return tuple(index for index in self.indexes if index.kind == "LSI")

    def physical_name(self, prefix: str = "") -> str:
        """The table name in DynamoDB: `prefix`, then the application's own prefix
        (`Table(prefix=...)`, read from its environment variable now), then the name."""
        name = self.name if self.prefix is None else self.prefix.apply(self.name)
        return f"{prefix}{name}"

    def attribute_definitions(self) -> list[AttributeDefinition]:
        """Every key attribute of the table and its indexes, once each, in order."""
        seen: dict[str, AttributeDefinition] = {}
        candidates = [self.pk, self.sk]
        for index in self.indexes:
            candidates += [index.pk, index.sk]
        for attribute in candidates:
            if attribute is not None:
                seen.setdefault(attribute.name, attribute)
        return list(seen.values())

    def create_table_request(self, prefix: str = "") -> dict[str, Any]:
        """The CreateTable request, as `aws dynamodb create-table --cli-input-json` takes it."""
        request: dict[str, Any] = {
            "TableName": self.physical_name(prefix),
            "AttributeDefinitions": [a.to_json() for a in self.attribute_definitions()],
            "KeySchema": _key_schema(self.pk, self.sk),
            "BillingMode": self.billing_mode,
        }
        if self.gsis:
            request["GlobalSecondaryIndexes"] = [self.index_json(i) for i in self.gsis]
        if self.lsis:
            request["LocalSecondaryIndexes"] = [self.index_json(i) for i in self.lsis]
        if self.billing_mode == "PROVISIONED":
            request["ProvisionedThroughput"] = self.throughput()
        self.settings.add_to_request(request)
        return request

    def index_json(self, index: IndexSchema) -> dict[str, Any]:
        """One GlobalSecondaryIndexes / LocalSecondaryIndexes entry."""
        entry: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": index.key_schema(),
            "Projection": index.projection_json(),
        }
        if index.kind == "GSI" and self.billing_mode == "PROVISIONED":
            entry["ProvisionedThroughput"] = self.throughput()
        return entry

    def throughput(self) -> dict[str, int]:
        """ProvisionedThroughput for a provisioned table."""
        return {
            "ReadCapacityUnits": self.read_capacity or 1,
            "WriteCapacityUnits": self.write_capacity or 1,
        }

    def cloudformation(self, prefix: str = "") -> dict[str, Any]:
        """The table as a CloudFormation `AWS::DynamoDB::Table` resource."""
        properties = self.create_table_request(prefix)
        if self.ttl_attribute:
            properties["TimeToLiveSpecification"] = {
                "AttributeName": self.ttl_attribute,
                "Enabled": True,
            }
        if self.settings.point_in_time_recovery:
            properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
        sse = properties.pop("SSESpecification", None)
        if sse is not None:  # CloudFormation names it SSEEnabled
            properties["SSESpecification"] = {"SSEEnabled": sse.pop("Enabled"), **sse}
        stream = properties.pop("StreamSpecification", None)
        if stream is not None:  # CloudFormation has the view type only
            properties["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
        return {"Type": "AWS::DynamoDB::Table", "Properties": properties}

    def terraform(self, prefix: str = "") -> str:
        """The table as a Terraform `aws_dynamodb_table` resource block."""
        return _TerraformWriter(self, prefix).render()


def _key_schema(pk: AttributeDefinition, sk: AttributeDefinition | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
    if sk is not None:
        schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
    return schema


class _TerraformWriter:
    """Renders a TableSchema as HCL, one line at a time."""

    def __init__(self, schema: TableSchema, prefix: str) -> None:
        self.schema = schema
        self.prefix = prefix
        self.lines: list[str] = []

    def render(self) -> str:
        schema = self.schema
        resource = re.sub(r"[^A-Za-z0-9_]", "_", schema.name).lower()
        if not (resource[0].isalpha() or resource[0] == "_"):
            resource = f"_{resource}"  # Terraform names start with a letter or '_'
        self.lines.append(f'resource "aws_dynamodb_table" "{resource}" {{')
        self.assign("name", schema.physical_name(self.prefix))
        self.assign("billing_mode", schema.billing_mode)
        if schema.billing_mode == "PROVISIONED":
            self.assign("read_capacity", schema.read_capacity or 1)
            self.assign("write_capacity", schema.write_capacity or 1)
        self.assign("hash_key", schema.pk.name)
        if schema.sk is not None:
            self.assign("range_key", schema.sk.name)
        for attribute in schema.attribute_definitions():
            self.block("attribute", [("name", attribute.name), ("type", attribute.type)])
        for index in schema.indexes:
            self.index(index)
        if schema.ttl_attribute:
            self.block("ttl", [("attribute_name", schema.ttl_attribute), ("enabled", True)])
        self.settings(schema.settings)
        self.lines.append("}")
        return "\n".join(_aligned(self.lines)) + "\n"

    def settings(self, settings: TableSettings) -> None:
        if settings.stream is not None:
            self.lines.append("")
            self.assign("stream_enabled", True)
            self.assign("stream_view_type", settings.stream)
        if settings.table_class != "STANDARD":
            self.assign("table_class", settings.table_class)
        if settings.deletion_protection:
            self.assign("deletion_protection_enabled", True)
        if settings.point_in_time_recovery:
            self.block("point_in_time_recovery", [("enabled", True)])
        if settings.encryption == "KMS":
            pairs: list[tuple[str, object]] = [("enabled", True)]
            if settings.kms_key:
                pairs.append(("kms_key_arn", settings.kms_key))
            self.block("server_side_encryption", pairs)
        if settings.tags:
            self.lines += ["", "  tags = {"]
            self.lines += [
                f"    {json.dumps(key)} = {json.dumps(value)}" for key, value in settings.tags
            ]
            self.lines.append("  }")

    def index(self, index: IndexSchema) -> None:
        pairs: list[tuple[str, object]] = [("name", index.name)]
        if index.kind == "GSI":
            pairs.append(("hash_key", index.pk.name))
        if index.sk is not None:
            pairs.append(("range_key", index.sk.name))
        pairs.append(("projection_type", index.projection))
        if index.include:
            pairs.append(("non_key_attributes", list(index.include)))
        if index.kind == "GSI" and self.schema.billing_mode == "PROVISIONED":
            pairs += [
                ("read_capacity", self.schema.read_capacity or 1),
                ("write_capacity", self.schema.write_capacity or 1),
            ]
        kind = "global_secondary_index" if index.kind == "GSI" else "local_secondary_index"
        self.block(kind, pairs)

    def assign(self, name: str, value: object, indent: str = "  ") -> None:
        self.lines.append(f"{indent}{name} = {_hcl(value)}")

    def block(self, kind: str, pairs: Iterable[tuple[str, object]]) -> None:
        self.lines.append("")
        self.lines.append(f"  {kind} {{")
        for name, value in pairs:
            self.assign(name, value, indent="    ")
        self.lines.append("  }")


_ASSIGNMENT = re.compile(r'^(\s*)("[^"]*"|\w+) = (.*)$')


def _aligned(lines: list[str]) -> list[str]:
    """Lines with the `=` of each run of consecutive assignments at one indent aligned,
    as `terraform fmt` writes them."""
    result: list[str] = []
    run: list[re.Match[str]] = []

    def flush() -> None:
        width = max((len(match[2]) for match in run), default=0)
        result.extend(f"{m[1]}{m[2]:<{width}} = {m[3]}" for m in run)
        run.clear()

    for line in lines:
        match = _ASSIGNMENT.match(line)
        if match and match[3] != "{" and (not run or run[0][1] == match[1]):
            run.append(match)
            continue
        flush()
        if match and match[3] != "{":
            run.append(match)
        else:
            result.append(line)
    flush()
    return result


def _hcl(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def table_schema(table: Table, models: Sequence[CompiledModel[Any]]) -> TableSchema:
    """Merge every model of a table into one TableSchema.

    Raises:
        DefinitionError: the models disagree about the table (key attributes, an
            index's definition, an attribute's type, the TTL attribute) or two models
            have keys of the same shape, so their items could overwrite each other.
    """
    if not models:
        raise DefinitionError(f"table {table.name!r} has no models", code="empty_table")
    merger = _Merger(table)
    for compiled in models:
        merger.add(compiled)
    return merger.result()


class _Merger:
    """Accumulates models of one table, failing on the first disagreement."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.first: CompiledModel[Any] | None = None
        self.types: dict[str, tuple[str, str]] = {}
        self.indexes: dict[str, tuple[IndexSchema, str]] = {}
        self.shapes: dict[tuple[str, ...], str] = {}
        self.entities: dict[str, str] = {}
        self.ttl: tuple[str, str] | None = None

    def fail(self, compiled: CompiledModel[Any], message: str, code: str) -> DefinitionError:
        return DefinitionError(
            f"{compiled.model.__name__} (table {self.table.name!r}): {message}", code=code
        )

    def add(self, compiled: CompiledModel[Any]) -> None:
        if self.first is None:
            self.first = compiled
        self.check_primary_key(compiled)
        self.check_shape(compiled)
        self.check_entity(compiled)
        for index in compiled.indexes.values():
            self.add_index(compiled, index)
        self.add_ttl(compiled)

    def definition(
        self, compiled: CompiledModel[Any], attribute: KeyAttribute
    ) -> AttributeDefinition:
        name = compiled.model.__name__
        known = self.types.setdefault(attribute.attribute, (attribute.type, name))
        if known[0] != attribute.type:
            raise self.fail(
                compiled,
                f"attribute {attribute.attribute!r} is a key of type {attribute.type} here but "
                f"{known[0]} in {known[1]}; a key attribute has one type per table: give "
                "the fields the same type, or store one under another attribute name",
                "attribute_type_conflict",
            )
        return AttributeDefinition(attribute.attribute, attribute.type)

    def check_primary_key(self, compiled: CompiledModel[Any]) -> None:
        assert self.first is not None
        first = self.first
        for role, mine, theirs in (
            ("partition", compiled.pk, first.pk),
            ("sort", compiled.sk, first.sk),
        ):
            if (mine is None) != (theirs is None) or (
                mine and theirs and mine.attribute != theirs.attribute
            ):
                raise self.fail(
                    compiled,
                    f"its {role} key attribute {_name(mine)} differs from "
                    f"{first.model.__name__}'s {_name(theirs)}; models sharing a table "
                    "must share its key attributes",
                    "table_key_mismatch",
                )
            if mine is not None:
                self.definition(compiled, mine)

    def check_shape(self, compiled: CompiledModel[Any]) -> None:
        shape = key_shape(compiled)
        other = self.shapes.setdefault(shape, compiled.model.__name__)
        if other != compiled.model.__name__:
            raise self.fail(
                compiled,
                f"its key has the same shape {shape} as {other}'s, so their items could "
                "overwrite each other; give one of them a different constant prefix",
                "key_collision",
            )

    def check_entity(self, compiled: CompiledModel[Any]) -> None:
        name = compiled.model.__name__
        other = self.entities.setdefault(compiled.entity, name)
        if other != name:
            raise self.fail(
                compiled,
                f"its entity name {compiled.entity!r} is already {other}'s, so their items "
                f"could not be told apart; give one of them another `entity=`",
                "entity_conflict",
            )

    def add_index(self, compiled: CompiledModel[Any], index: CompiledIndex) -> None:
        pk = self.definition(compiled, index.pk)
        sk = self.definition(compiled, index.sk) if index.sk else None
        schema = IndexSchema(index.name, index.kind, pk, sk, index.projection, index.include)
        known = self.indexes.setdefault(index.name, (schema, compiled.model.__name__))
        if known[0] != schema:
            raise self.fail(
                compiled,
                f"index {index.name!r} is defined differently from {known[1]}'s "
                f"({_describe(schema)} vs {_describe(known[0])}); declare it the same way "
                "in both models, or give one of them another index name",
                "index_conflict",
            )

    def add_ttl(self, compiled: CompiledModel[Any]) -> None:
        field = compiled.options.ttl
        if field is None:
            return
        attribute = compiled.codec.attribute_names[field]
        known = self.ttl = self.ttl or (attribute, compiled.model.__name__)
        if known[0] != attribute:
            raise self.fail(
                compiled,
                f"its TTL attribute {attribute!r} differs from {known[1]}'s {known[0]!r}; "
                "a table has one TTL attribute: store both TTL fields under one name",
                "ttl_conflict",
            )

    def result(self) -> TableSchema:
        assert self.first is not None
        first = self.first
        table = self.table
        return TableSchema(
            name=table.name,
            pk=AttributeDefinition(first.pk.attribute, first.pk.type),
            sk=AttributeDefinition(first.sk.attribute, first.sk.type) if first.sk else None,
            indexes=tuple(schema for schema, _ in self.indexes.values()),
            billing_mode=table.billing_mode,
            read_capacity=table.read_capacity,
            write_capacity=table.write_capacity,
            ttl_attribute=self.ttl[0] if self.ttl else None,
            settings=TableSettings.of(table),
            prefix=table.prefix,
        )


def _name(attribute: KeyAttribute | None) -> str:
    return "(none)" if attribute is None else repr(attribute.attribute)


def _describe(index: IndexSchema) -> str:
    sk = f", sk {index.sk.name}:{index.sk.type}" if index.sk else ""
    return f"{index.kind} pk {index.pk.name}:{index.pk.type}{sk}, {index.projection}"
