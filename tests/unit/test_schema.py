"""Tests for dynamap._schema: the tables of seeds 000, 001 and 004 built from models, and
their CreateTable requests, CloudFormation resources and Terraform blocks."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel
from seed_tables import SEED_000_CREATE_TABLE

from dynamap import GSI, LSI, DefinitionError, Key, Model, NumericBool, Table, TableSchema
from dynamap._schema import table_schema
from dynamap._tables import schema_of

_CREATE_TABLE = (
    botocore.session.get_session()
    .get_service_model("dynamodb")
    .operation_model("CreateTable")
    .input_shape
)


def assert_valid_create_table(request: dict[str, Any]) -> None:
    """The request is one that `aws dynamodb create-table --cli-input-json` accepts
    (checked against botocore's own CreateTable input shape)."""
    report = ParamValidator().validate(request, _CREATE_TABLE)
    assert not report.has_errors(), report.generate_report()


class Camel(Model):
    """Fields stored under camelCase attribute names, as the seed apps store them."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True)


# -- seed 000: the page manager's single table -------------------------------------------



def seed_000() -> Table:
    app = Table("PageManager", entity_attribute="type")

    class Page(Camel, table=app, entity="page"):
        pk = Key("PAGE#{id}")
        sk = Key("META#")
        published = GSI("PublishedPagesIndex", pk="is_published", sk="created_at")

        id: str
        title: str
        is_published: NumericBool = False
        created_at: datetime
        updated_at: datetime

    class Node(Camel, table=app, entity="node"):
        pk = Key("PAGE#{page_id}")
        sk = Key("NODE#{id}")
        by_page = GSI("PageNodesIndex", pk="page_id", sk="created_at")

        id: str
        page_id: str
        title: str
        description: str = ""
        prompt: str | None = None
        generated_images: list[str] = Field(default_factory=list)
        prediction_id: str | None = None
        prediction_status: str | None = None
        created_at: datetime
        updated_at: datetime

    return app


def test_seed_000_create_table_is_the_seeds_own_command() -> None:
    request = schema_of(seed_000()).create_table_request()
    assert_valid_create_table(request)
    # The seed's command gives no billing mode, so AWS would ask it for provisioned
    # throughput it does not give either; dynamap's tables are on demand by default.
    assert request.pop("BillingMode") == "PAY_PER_REQUEST"
    assert request == SEED_000_CREATE_TABLE


def test_seed_000_items_have_the_seeds_shape() -> None:
    app = seed_000()
    page_model, node_model = app.models
    stamp = "2024-03-15T12:00:00Z"
    page = page_model.model_validate({"id": "uuid1", "title": "My Page", "isPublished": True,
                                      "createdAt": stamp, "updatedAt": stamp})
    item = page.to_item()
    assert (item["PK"], item["SK"], item["type"]) == (
        {"S": "PAGE#uuid1"}, {"S": "META#"}, {"S": "page"})
    assert item["isPublished"] == {"N": "1"}
    assert item["createdAt"] == {"S": "2024-03-15T12:00:00.000000Z"}
    node = node_model.model_validate({
        "id": "uuid2", "pageId": "uuid1", "title": "My Node", "generatedImages": ["url1"],
        "predictionStatus": "succeeded", "createdAt": stamp, "updatedAt": stamp})
    item = node.to_item()
    assert (item["PK"], item["SK"], item["type"]) == (
        {"S": "PAGE#uuid1"}, {"S": "NODE#uuid2"}, {"S": "node"})
    assert item["pageId"] == {"S": "uuid1"}
    assert item["generatedImages"] == {"L": [{"S": "url1"}]}


# -- seed 001: the chat app's single table with an overloaded GSI1 --------------------------


def seed_001() -> Table:
    chat = Table("prompt-to-issue-local")

    class User(Model, table=chat):
        pk = Key("USER#{id}")
        sk = Key("PROFILE")
        id: str
        email: str
        name: str = ""

    class Settings(Model, table=chat):
        pk = Key("USER#{user_id}")
        sk = Key("SETTINGS")
        user_id: str
        theme: str = "light"

    class Conversation(Model, table=chat):
        pk = Key("USER#{user_id}")
        sk = Key("CONV#{created_at}#{id}")
        shared = GSI("GSI1", pk="SHARE#{share_token}", sk="CONV#{created_at}")
        user_id: str
        created_at: datetime
        id: str
        title: str = ""
        share_token: str | None = None

    class Message(Model, table=chat):
        pk = Key("CONV#{conversation_id}")
        sk = Key("MSG#{timestamp}#{id}")
        conversation_id: str
        timestamp: datetime
        id: str
        role: str
        content: str

    class Ticket(Model, table=chat):
        pk = Key("CONV#{conversation_id}")
        sk = Key("TICKET#{id}")
        by_status = GSI("GSI1", pk="TICKETS#{status}", sk="CONV#{created_at}")
        conversation_id: str
        id: str
        status: str = "draft"
        created_at: datetime

    class ProviderConfig(Model, table=chat):
        pk = Key("USER#{user_id}")
        sk = Key("PROVIDER#{provider}")
        user_id: str
        provider: str
        model: str = ""

    return chat


def test_seed_001_single_table_create_table() -> None:
    chat = seed_001()
    assert [model.__name__ for model in chat.models] == [
        "User", "Settings", "Conversation", "Message", "Ticket", "ProviderConfig"]
    request = schema_of(chat).create_table_request()
    assert_valid_create_table(request)
    assert request == {
        "TableName": "prompt-to-issue-local",
        "AttributeDefinitions": [
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
            {"AttributeName": "GSI1PK", "AttributeType": "S"},
            {"AttributeName": "GSI1SK", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{
            "IndexName": "GSI1",
            "KeySchema": [
                {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }],
    }


def test_seed_001_items_follow_the_data_layout() -> None:
    models = {model.__name__: model for model in seed_001().models}
    at = "2024-03-15T12:00:00Z"
    expected = {
        "User": ({"id": "u1", "email": "a@b.c"}, "USER#u1", "PROFILE"),
        "Settings": ({"user_id": "u1"}, "USER#u1", "SETTINGS"),
        "Conversation": ({"user_id": "u1", "created_at": at, "id": "c1"}, "USER#u1",
                         "CONV#2024-03-15T12:00:00.000000Z#c1"),
        "Message": ({"conversation_id": "c1", "timestamp": at, "id": "m1", "role": "user",
                     "content": "hi"}, "CONV#c1", "MSG#2024-03-15T12:00:00.000000Z#m1"),
        "Ticket": ({"conversation_id": "c1", "id": "t1", "created_at": at}, "CONV#c1",
                   "TICKET#t1"),
        "ProviderConfig": ({"user_id": "u1", "provider": "openai"}, "USER#u1",
                           "PROVIDER#openai"),
    }
    for name, (values, pk, sk) in expected.items():
        item = models[name].model_validate(values).to_item()
        assert (item["PK"], item["SK"], item["entity"]) == (
            {"S": pk}, {"S": sk}, {"S": name}), name
    conversation = models["Conversation"].model_validate(
        {"user_id": "u1", "created_at": at, "id": "c1", "share_token": "tok"}).to_item()
    assert conversation["GSI1PK"] == {"S": "SHARE#tok"}
    ticket = models["Ticket"].model_validate(
        {"conversation_id": "c1", "id": "t1", "created_at": at}).to_item()
    assert ticket["GSI1PK"] == {"S": "TICKETS#draft"}


# -- seed 004: five tables, one per model, keyed by a bare id ---------------------------------

PREFIX = "ai-study-circle-"


def seed_004() -> list[Table]:
    users, content, summaries = Table("users"), Table("content"), Table("summaries")
    exams, templates = Table("exams"), Table("templates")

    class User(Camel, table=users):
        pk = Key("id")
        by_email = GSI("EmailIndex", pk="email")
        by_username = GSI("UsernameIndex", pk="username")
        id: str
        username: str
        email: str
        password: str
        role: str = "user"
        subscription_plan: str = "free"
        created_at: datetime
        updated_at: datetime

    class Owned(Camel):
        pk = Key("id")
        by_owner = GSI("OwnerIndex", pk="owner", sk="created_at")
        id: str
        owner: str
        created_at: datetime

    class Content(Owned, table=content):
        title: str
        content_type: str
        source_text: str = ""

    class Summary(Owned, table=summaries):
        by_content = GSI("ContentIndex", pk="content_id")
        content_id: str
        summary_text: str

    class Exam(Owned, table=exams):
        by_content = GSI("ContentIndex", pk="content_id")
        content_id: str
        questions: list[dict[str, str]] = Field(default_factory=list)

    class Template(Camel, table=templates):
        pk = Key("id")
        by_creator = GSI("CreatedByIndex", pk="created_by", sk="created_at")
        by_type = GSI("TypeCategoryIndex", pk="type", sk="category")
        public = GSI("PublicTemplatesIndex", pk="is_public", sk="created_at")
        id: str
        name: str
        type: str
        category: str
        created_by: str
        is_public: NumericBool = False
        created_at: datetime

    return [users, content, summaries, exams, templates]


def attributes(*pairs: str) -> list[dict[str, str]]:
    return [{"AttributeName": pair.split(":")[0], "AttributeType": pair.split(":")[1]}
            for pair in pairs]


def gsi(name: str, pk: str, sk: str | None = None) -> dict[str, Any]:
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
    return {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}


def by_id(table: str, definitions: list[dict[str, str]], *indexes: dict[str, Any]
          ) -> dict[str, Any]:
    return {
        "TableName": PREFIX + table,
        "AttributeDefinitions": definitions,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": list(indexes),
    }


def test_seed_004_five_tables_with_their_indexes() -> None:
    requests = {t.name: schema_of(t).create_table_request(PREFIX) for t in seed_004()}
    owner = gsi("OwnerIndex", "owner", "createdAt")
    assert requests == {
        "users": by_id("users", attributes("id:S", "email:S", "username:S"),
                       gsi("EmailIndex", "email"), gsi("UsernameIndex", "username")),
        "content": by_id("content", attributes("id:S", "owner:S", "createdAt:S"), owner),
        "summaries": by_id("summaries",
                           attributes("id:S", "owner:S", "createdAt:S", "contentId:S"),
                           owner, gsi("ContentIndex", "contentId")),
        "exams": by_id("exams", attributes("id:S", "owner:S", "createdAt:S", "contentId:S"),
                       owner, gsi("ContentIndex", "contentId")),
        "templates": by_id(
            "templates",
            attributes("id:S", "createdBy:S", "createdAt:S", "type:S", "category:S",
                       "isPublic:N"),
            gsi("CreatedByIndex", "createdBy", "createdAt"),
            gsi("TypeCategoryIndex", "type", "category"),
            gsi("PublicTemplatesIndex", "isPublic", "createdAt"),
        ),
    }
    for request in requests.values():
        assert_valid_create_table(request)


def test_seed_004_items_store_the_id_once_and_the_public_flag_as_a_number() -> None:
    templates = seed_004()[-1]
    (template,) = templates.models
    item = template.model_validate({
        "id": "t1", "name": "n", "type": "summary", "category": "science",
        "createdBy": "u1", "isPublic": True, "createdAt": "2024-03-15T12:00:00Z",
    }).to_item()
    assert item["id"] == {"S": "t1"} and "PK" not in item
    assert item["isPublic"] == {"N": "1"}
    assert item["entity"] == {"S": "Template"}


# -- table options: billing, TTL, LSIs, projections, prefixes ---------------------------------


def provisioned_table() -> TableSchema:
    table = Table("Orders", billing_mode="PROVISIONED", read_capacity=5, write_capacity=3)

    class Order(Model, table=table, ttl="expires_at"):
        pk = Key("CUSTOMER#{customer}")
        sk = Key("ORDER#{id}")
        by_status = GSI("ByStatus", pk="status", sk="placed_at", projection="INCLUDE",
                        include=["total", "status"])
        by_total = LSI("ByTotal", sk="total", projection="KEYS_ONLY")
        customer: str
        id: str
        status: str = "new"
        placed_at: datetime
        total: int = 0
        expires_at: datetime | None = None

    return schema_of(table)


def test_provisioned_billing_gives_throughput_to_the_table_and_its_gsis() -> None:
    request = provisioned_table().create_table_request("prod-")
    assert_valid_create_table(request)
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}
    assert request["TableName"] == "prod-Orders"
    assert request["BillingMode"] == "PROVISIONED"
    assert request["ProvisionedThroughput"] == throughput
    assert request["GlobalSecondaryIndexes"] == [{
        "IndexName": "ByStatus",
        "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                      {"AttributeName": "placed_at", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "status", "entity"]},
        "ProvisionedThroughput": throughput,
    }]
    assert request["LocalSecondaryIndexes"] == [{
        "IndexName": "ByTotal",
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"},
                      {"AttributeName": "total", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }]
    assert [a["AttributeName"] for a in request["AttributeDefinitions"]] == [
        "PK", "SK", "status", "placed_at", "total"]
    assert "TimeToLiveSpecification" not in request  # TTL is a separate call


def test_a_provisioned_table_needs_its_capacities() -> None:
    with pytest.raises(ValueError, match="read_capacity and write_capacity"):
        Table("t", billing_mode="PROVISIONED", read_capacity=5)


def test_cloudformation_resource_carries_ttl_and_prefix() -> None:
    resource = provisioned_table().cloudformation("prod-")
    assert resource["Type"] == "AWS::DynamoDB::Table"
    properties = resource["Properties"]
    assert properties["TableName"] == "prod-Orders"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at",
                                                     "Enabled": True}
    ttl_free = dict(properties)
    del ttl_free["TimeToLiveSpecification"]
    assert ttl_free == provisioned_table().create_table_request("prod-")


def test_cloudformation_without_ttl_has_no_ttl_specification() -> None:
    properties = schema_of(seed_000()).cloudformation()["Properties"]
    assert "TimeToLiveSpecification" not in properties


def parse_hcl(text: str) -> dict[str, Any]:
    """Parse the HCL subset dynamap writes: nested blocks and `name = <json>` lines.

    Returns the body of the one top-level block, with its labels under "labels" and
    each nested block kind as a list of bodies.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    header = re.fullmatch(r'(\w+)((?: "[^"]*")+) \{', lines[0])
    assert header, lines[0]
    root: dict[str, Any] = {"kind": header[1], "labels": re.findall(r'"([^"]*)"', header[2])}
    stack = [root]
    for line in lines[1:]:
        if line == "}":
            stack.pop()
            continue
        block = re.fullmatch(r"(\w+) \{", line)
        if block:
            body: dict[str, Any] = {}
            stack[-1].setdefault(block[1], []).append(body)
            stack.append(body)
            continue
        assignment = re.fullmatch(r"(\w+) +=  *(.+)", line)
        assert assignment, line
        stack[-1][assignment[1]] = json.loads(assignment[2])
    assert stack == [], "unbalanced braces"
    return root


def test_terraform_block_parses_to_the_table() -> None:
    text = provisioned_table().terraform("prod-")
    table = parse_hcl(text)
    assert table["kind"] == "resource"
    assert table["labels"] == ["aws_dynamodb_table", "orders"]
    assert (table["name"], table["billing_mode"]) == ("prod-Orders", "PROVISIONED")
    assert (table["read_capacity"], table["write_capacity"]) == (5, 3)
    assert (table["hash_key"], table["range_key"]) == ("PK", "SK")
    assert table["attribute"] == [
        {"name": "PK", "type": "S"}, {"name": "SK", "type": "S"},
        {"name": "status", "type": "S"}, {"name": "placed_at", "type": "S"},
        {"name": "total", "type": "N"},
    ]
    assert table["global_secondary_index"] == [{
        "name": "ByStatus", "hash_key": "status", "range_key": "placed_at",
        "projection_type": "INCLUDE", "non_key_attributes": ["total", "status", "entity"],
        "read_capacity": 5, "write_capacity": 3,
    }]
    assert table["local_secondary_index"] == [
        {"name": "ByTotal", "range_key": "total", "projection_type": "KEYS_ONLY"}]
    assert table["ttl"] == [{"attribute_name": "expires_at", "enabled": True}]


def test_terraform_for_seed_000_on_demand() -> None:
    table = parse_hcl(schema_of(seed_000()).terraform())
    assert table["labels"] == ["aws_dynamodb_table", "pagemanager"]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert "read_capacity" not in table and "ttl" not in table
    assert [g["name"] for g in table["global_secondary_index"]] == [
        "PublishedPagesIndex", "PageNodesIndex"]
    assert [a["name"] for a in table["attribute"]] == [
        "PK", "SK", "isPublished", "createdAt", "pageId"]


@pytest.mark.parametrize(("name", "resource"), [("ai-study.users", "ai_study_users"),
                                                ("2fa-codes", "_2fa_codes")])
def test_terraform_resource_names_are_valid_identifiers(name: str, resource: str) -> None:
    class Row(Model, table=Table(name)):
        pk = Key("id")
        id: str

    table = parse_hcl(schema_of(Row.__dynamap__.table).terraform())
    assert table["labels"] == ["aws_dynamodb_table", resource]
    assert table["name"] == name


def test_the_prefix_is_applied_at_run_time_not_baked_in() -> None:
    schema = schema_of(seed_000())
    assert schema.name == "PageManager"
    assert schema.physical_name() == "PageManager"
    assert schema.physical_name("staging-") == "staging-PageManager"
    assert schema.create_table_request("staging-")["TableName"] == "staging-PageManager"
    assert parse_hcl(schema.terraform("staging-"))["name"] == "staging-PageManager"


def test_the_schema_holds_only_key_attributes() -> None:
    schema = schema_of(seed_000())
    names = [definition.name for definition in schema.attribute_definitions()]
    assert names == ["PK", "SK", "isPublished", "createdAt", "pageId"]
    assert "title" not in names
    assert [index.name for index in schema.gsis] == ["PublishedPagesIndex", "PageNodesIndex"]
    assert schema.lsis == ()


def test_a_table_without_models_has_no_schema() -> None:
    with pytest.raises(DefinitionError) as caught:
        table_schema(Table("empty"), [])
    assert caught.value.code == "empty_table" and "'empty'" in str(caught.value)
