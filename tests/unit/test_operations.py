"""Tests for request building without any network: dynamap._operations (GetItem,
PutItem, UpdateItem, DeleteItem), Query/Scan `.to_request()`, sort-key conditions on
templates (dynamap._sortkey) and signed cursors (dynamap._cursor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field

from dynamap import (
    GSI,
    F,
    InvalidCursor,
    InvalidKey,
    InvalidUpdate,
    InvalidValue,
    Key,
    Model,
    Session,
    Table,
)
from dynamap._cursor import CURSOR_VERSION, decode_cursor, encode_cursor, fingerprint
from dynamap._operations import (
    UpdateSpec,
    delete_request,
    get_request,
    put_request,
    update_request,
)
from dynamap._query import Query, Scan
from dynamap._sortkey import sort_condition, successor
from dynamap.expressions import SortCondition

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
LATER = datetime(2024, 3, 16, 0, 0, tzinfo=UTC)
NOW_TEXT = "2024-03-15T12:00:00.000000Z"
LATER_TEXT = "2024-03-16T00:00:00.000000Z"

docs = Table("docs")


class Doc(Model, table=docs, version="version", created="created_at", updated="updated_at"):
    pk = Key("DOC#{id}")
    sk = Key("META")
    by_owner = GSI("GSI1", pk="OWNER#{owner}", sk="UPDATED#{updated_at}")
    by_status = GSI("ByStatus", pk="status")

    id: str
    owner: str | None = None
    title: str = Field("", alias="docTitle")
    status: str | None = None
    tags: set[str] = Field(default_factory=set)
    views: int = 0
    history: list[str] = Field(default_factory=list)
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    legacy: str | None = None
    notes: list[str] | None = None
    first_seen: str | None = None


chat = Table("chat")


class User(Model, table=chat):
    pk = Key("USER#{id}")
    sk = Key("PROFILE")
    id: str
    name: str = ""


class Message(Model, table=chat):
    pk = Key("CONV#{conv_id}")
    sk = Key("MSG#{ts}#{id}")
    by_author = GSI("GSI1", pk="AUTHOR#{author}", sk="MSG#{ts}")
    conv_id: str
    ts: int
    id: str
    author: str | None = None
    body: str = Field("", alias="text")


class Counter(Model, table=Table("counters")):
    pk = Key("name")
    sk = Key("day")
    name: str
    day: int
    hits: int = 0


DOC = Doc.__dynamap__


def doc(**values: Any) -> Doc:
    return Doc(id="d1", owner="o1", version=3, created_at=NOW, updated_at=NOW, **values)


# -- GetItem ------------------------------------------------------------------------------


def test_get_request() -> None:
    key = DOC.key_from({"id": "d1"})
    assert get_request(DOC, "docs", key) == {
        "TableName": "docs", "Key": {"PK": {"S": "DOC#d1"}, "SK": {"S": "META"}}}
    assert get_request(DOC, "docs", key, consistent=True)["ConsistentRead"] is True


def test_get_request_projection_names_stored_attributes_and_adds_the_key_fields() -> None:
    compiled = Message.__dynamap__
    key = compiled.key_from({"conv_id": "c", "ts": 1, "id": "m"})
    request = get_request(compiled, "chat", key, fields=["body", "body"])
    assert request["ProjectionExpression"] == "#n0, #n1, #n2, #n3"
    assert request["ExpressionAttributeNames"] == {
        "#n0": "text", "#n1": "conv_id", "#n2": "ts", "#n3": "id"}


# -- PutItem ------------------------------------------------------------------------------


def test_put_a_new_versioned_item_requires_that_it_does_not_exist() -> None:
    new = Doc(id="d1")
    prepared = put_request(DOC, new, "docs", now=NOW)
    assert prepared.changes == {"created_at": NOW, "updated_at": NOW, "version": 1}
    request = prepared.request
    assert request["ConditionExpression"] == "attribute_not_exists(#n0)"
    assert request["ExpressionAttributeNames"] == {"#n0": "PK"}
    assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    item = request["Item"]
    assert item["version"] == {"N": "1"}
    assert item["created_at"] == item["updated_at"] == {"S": NOW_TEXT}
    assert item["GSI1SK"] == {"S": f"UPDATED#{NOW_TEXT}"}
    assert "GSI1PK" not in item  # no owner: the sparse index key is left out
    assert new.version == 0 and new.created_at is None  # applied only once it succeeds


def test_put_an_existing_versioned_item_checks_the_version_and_keeps_created() -> None:
    prepared = put_request(DOC, doc(), "docs", condition=F("status") == "draft",
                           return_old=True, now=LATER)
    assert prepared.changes == {"updated_at": LATER, "version": 4}
    request = prepared.request
    assert request["ConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"
    assert request["ExpressionAttributeNames"] == {"#n0": "status", "#n1": "version"}
    assert request["ExpressionAttributeValues"] == {":v0": {"S": "draft"}, ":v1": {"N": "3"}}
    assert request["ReturnValues"] == "ALL_OLD"
    item = request["Item"]
    assert item["created_at"] == {"S": NOW_TEXT} and item["updated_at"] == {"S": LATER_TEXT}
    assert item["GSI1PK"] == {"S": "OWNER#o1"}
    assert item["GSI1SK"] == {"S": f"UPDATED#{LATER_TEXT}"}


def test_put_without_options_or_condition_is_a_plain_put() -> None:
    request = put_request(User.__dynamap__, User(id="u"), "chat").request
    assert request == {
        "TableName": "chat",
        "Item": {"id": {"S": "u"}, "name": {"S": ""}, "PK": {"S": "USER#u"},
                 "SK": {"S": "PROFILE"}, "entity": {"S": "User"}},
    }


def test_put_with_a_condition_on_a_field_uses_its_stored_name() -> None:
    request = put_request(Message.__dynamap__, Message(conv_id="c", ts=1, id="m"), "chat",
                          condition=F("body").not_exists()).request
    assert request["ConditionExpression"] == "attribute_not_exists(#n0)"
    assert request["ExpressionAttributeNames"] == {"#n0": "text"}


# -- UpdateItem ---------------------------------------------------------------------------


def test_update_with_every_action() -> None:
    spec = UpdateSpec(
        set={"title": "T", "status": None}, remove=["legacy"], add={"views": 1},
        delete={"tags": {"x"}}, append={"history": ["h"]}, prepend={"notes": ["n"]},
        set_if_not_exists={"first_seen": "q"},
    )
    prepared = update_request(DOC, dict(vars(doc())), "docs", spec, expected_version=3,
                              now=LATER)
    assert prepared.changes == {"updated_at": LATER, "version": 4}
    request = prepared.request
    assert request["Key"] == {"PK": {"S": "DOC#d1"}, "SK": {"S": "META"}}
    assert request["ReturnValues"] == "ALL_NEW"
    assert request["UpdateExpression"] == (
        "SET #n0 = :v0, #n1 = list_append(if_not_exists(#n1, :v1), :v2), "
        "#n2 = list_append(:v3, if_not_exists(#n2, :v4)), #n3 = if_not_exists(#n3, :v5), "
        "#n4 = :v6, #n5 = :v7, #n6 = :v8 "
        "REMOVE #n7, #n8 ADD #n9 :v9 DELETE #n10 :v10"
    )
    assert request["ExpressionAttributeNames"] == {
        "#n0": "docTitle", "#n1": "history", "#n2": "notes", "#n3": "first_seen",
        "#n4": "updated_at", "#n5": "version", "#n6": "GSI1SK", "#n7": "status",
        "#n8": "legacy", "#n9": "views", "#n10": "tags", "#n11": "PK",
    }
    assert request["ExpressionAttributeValues"] == {
        ":v0": {"S": "T"}, ":v1": {"L": []}, ":v2": {"L": [{"S": "h"}]},
        ":v3": {"L": [{"S": "n"}]}, ":v4": {"L": []}, ":v5": {"S": "q"},
        ":v6": {"S": LATER_TEXT}, ":v7": {"N": "4"}, ":v8": {"S": f"UPDATED#{LATER_TEXT}"},
        ":v9": {"N": "1"}, ":v10": {"SS": ["x"]}, ":v11": {"N": "3"},
    }
    assert request["ConditionExpression"] == "attribute_exists(#n11) AND #n5 = :v11"


def test_update_may_create_the_item_when_asked() -> None:
    spec = UpdateSpec(add={"hits": 1})
    request = update_request(Counter.__dynamap__, {"name": "home", "day": 3}, "counters", spec,
                             create=True).request
    assert "ConditionExpression" not in request
    assert request["Key"] == {"name": {"S": "home"}, "day": {"N": "3"}}
    assert request["UpdateExpression"] == "ADD #n0 :v0"


@pytest.mark.parametrize("path", ["id", "id.part", "conv_id", "ts"])
def test_update_refuses_to_change_a_primary_key_field(path: str) -> None:
    model = Doc if path.startswith("id") else Message
    known = {"id": "d1"} if model is Doc else {"conv_id": "c", "ts": 1, "id": "m"}
    with pytest.raises(InvalidValue, match="primary key; put the item under its new key"):
        update_request(model.__dynamap__, known, "t", UpdateSpec(set={path: "x"}))


def test_update_refuses_a_key_change_given_by_the_stored_name() -> None:
    class Node(Model, table=Table("nodes")):
        pk = Key("PAGE#{page_id}")
        sk = Key("NODE#{id}")
        page_id: str = Field(alias="pageId")
        id: str

    known = {"page_id": "p", "id": "n"}
    for spec in (UpdateSpec(set={"pageId": "q"}), UpdateSpec(remove=["pageId"])):
        with pytest.raises(InvalidValue, match="page_id would change"):
            update_request(Node.__dynamap__, known, "nodes", spec)


def test_update_keeps_a_templated_index_key_in_step() -> None:
    request = update_request(DOC, dict(vars(doc())), "docs",
                             UpdateSpec(set={"owner": "o2"}), now=LATER).request
    assert request["UpdateExpression"] == "SET #n0 = :v0, #n1 = :v1, #n2 = :v2, #n3 = :v3"
    names = request["ExpressionAttributeNames"]
    values = request["ExpressionAttributeValues"]
    assert [names[f"#n{i}"] for i in range(4)] == ["owner", "updated_at", "GSI1PK", "GSI1SK"]
    assert values[":v2"] == {"S": "OWNER#o2"}
    assert values[":v3"] == {"S": f"UPDATED#{LATER_TEXT}"}


def test_update_removing_an_index_field_removes_its_key() -> None:
    request = update_request(DOC, dict(vars(doc())), "docs",
                             UpdateSpec(remove=["owner"]), now=LATER).request
    assert request["UpdateExpression"] == "SET #n0 = :v0, #n1 = :v1 REMOVE #n2, #n3"
    names = request["ExpressionAttributeNames"]
    assert [names["#n2"], names["#n3"]] == ["owner", "GSI1PK"]


def test_update_of_a_bare_index_key_needs_no_sync() -> None:
    request = update_request(DOC, dict(vars(doc())), "docs",
                             UpdateSpec(set={"status": "open"}), now=LATER).request
    names = set(request["ExpressionAttributeNames"].values())
    assert "GSI1PK" not in names and "status" in names


def test_update_refuses_index_changes_whose_new_value_is_unknown_here() -> None:
    with pytest.raises(InvalidValue, match="owner feeds index key 'GSI1PK'"):
        update_request(DOC, dict(vars(doc())), "docs",
                       UpdateSpec(set_if_not_exists={"owner": "o2"}))


def test_update_by_key_refuses_an_index_key_that_needs_unknown_fields() -> None:
    class Member(Model, table=Table("members")):
        pk = Key("MEMBER#{id}")
        by_role = GSI("ByRole", pk="TEAM#{team}#ROLE#{role}")
        id: str
        team: str
        role: str

    compiled = Member.__dynamap__
    with pytest.raises(InvalidValue, match="'ByRolePK', which also needs role"):
        update_request(compiled, {"id": "a"}, "members", UpdateSpec(set={"team": "t"}))
    request = update_request(compiled, {"id": "a"}, "members",
                             UpdateSpec(set={"team": "t", "role": "r"})).request
    assert request["ExpressionAttributeValues"][":v2"] == {"S": "TEAM#t#ROLE#r"}
    request = update_request(Message.__dynamap__, {"conv_id": "c", "ts": 1, "id": "m"},
                             "chat", UpdateSpec(set={"author": "a"})).request
    assert request["ExpressionAttributeValues"][":v1"] == {"S": "AUTHOR#a"}


def test_update_of_the_updated_field_by_the_caller_wins_over_the_timestamp() -> None:
    prepared = update_request(DOC, dict(vars(doc())), "docs",
                              UpdateSpec(set={"updated_at": NOW + timedelta(days=9)}),
                              now=LATER)
    assert "updated_at" not in prepared.changes
    values = prepared.request["ExpressionAttributeValues"].values()
    assert {"S": LATER_TEXT} not in values


@pytest.mark.parametrize("spec", [UpdateSpec(set={"version": 9}), UpdateSpec(add={"version": 1}),
                                  UpdateSpec(remove=["version"])])
def test_update_refuses_to_change_the_version_field(spec: UpdateSpec) -> None:
    with pytest.raises(InvalidUpdate, match="version is the version field"):
        update_request(DOC, dict(vars(doc())), "docs", spec, expected_version=3, now=LATER)


def test_update_refuses_to_change_the_created_timestamp() -> None:
    with pytest.raises(InvalidUpdate, match="created_at is the created timestamp"):
        update_request(DOC, dict(vars(doc())), "docs", UpdateSpec(set={"created_at": NOW}))


def test_update_encodes_field_values_by_their_annotation() -> None:
    request = update_request(DOC, {"id": "d1"}, "docs",
                             UpdateSpec(set={"tags": {"b", "a"}, "updated_at": NOW}),
                             now=LATER).request
    values = request["ExpressionAttributeValues"]
    assert sorted(values[":v0"]["SS"]) == ["a", "b"]
    assert values[":v1"] == {"S": NOW_TEXT}


# -- DeleteItem ---------------------------------------------------------------------------


def test_delete_request() -> None:
    key = DOC.key_from({"id": "d1"})
    assert delete_request(DOC, key, "docs") == {"TableName": "docs", "Key": key}
    request = delete_request(DOC, key, "docs", condition=F("status") == "draft",
                             expected_version=3, return_old=True)
    assert request["ConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"
    assert request["ExpressionAttributeNames"] == {"#n0": "status", "#n1": "version"}
    assert request["ExpressionAttributeValues"] == {":v0": {"S": "draft"}, ":v1": {"N": "3"}}
    assert request["ReturnValues"] == "ALL_OLD"
    assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


# -- Query and Scan requests --------------------------------------------------------------------

SESSION = Session(table_prefix="dev-", region="us-east-1", cursor_secret=b"s" * 32)


def query(target: Any, index: str | None = None, **key: Any) -> Query[Any]:
    return Query(SESSION, target, index=index, key=key)


def test_query_reads_the_template_prefix_and_filters_other_entities() -> None:
    assert query(Message, conv_id="c").to_request() == {
        "TableName": "dev-chat",
        "KeyConditionExpression": "#n0 = :v0 AND begins_with(#n1, :v1)",
        "FilterExpression": "#n2 = :v2",
        "ExpressionAttributeNames": {"#n0": "PK", "#n1": "SK", "#n2": "entity"},
        "ExpressionAttributeValues": {":v0": {"S": "CONV#c"}, ":v1": {"S": "MSG#"},
                                      ":v2": {"S": "Message"}},
    }


def test_query_on_a_constant_sort_key_is_an_equality() -> None:
    request = query(User, id="u").to_request()
    assert request["KeyConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"
    assert request["ExpressionAttributeValues"][":v1"] == {"S": "PROFILE"}


def test_query_with_sort_fields_given_narrows_to_them() -> None:
    request = query(Message, conv_id="c", ts=4).to_request()
    assert request["KeyConditionExpression"] == "#n0 = :v0 AND begins_with(#n1, :v1)"
    assert request["ExpressionAttributeValues"][":v1"] == {"S": "MSG#00000000000000000004#"}
    request = query(Message, conv_id="c", ts=4, id="m").to_request()
    assert request["KeyConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"
    assert request["ExpressionAttributeValues"][":v1"] == {
        "S": "MSG#00000000000000000004#m"}


def test_query_of_a_model_alone_in_its_table_has_no_entity_filter() -> None:
    request = query(Counter, name="home").sk_gte(day=3).to_request()
    assert request == {
        "TableName": "dev-counters",
        "KeyConditionExpression": "#n0 = :v0 AND #n1 >= :v1",
        "ExpressionAttributeNames": {"#n0": "name", "#n1": "day"},
        "ExpressionAttributeValues": {":v0": {"S": "home"}, ":v1": {"N": "3"}},
    }


def test_query_options_projection_reverse_limit_consistent_filter() -> None:
    request = (query(Message, conv_id="c").fields("body").reverse().limit(5).consistent()
               .filter(F("body") == "x").to_request())
    names = request["ExpressionAttributeNames"]
    projected = [names[name] for name in request["ProjectionExpression"].split(", ")]
    assert projected[0] == "text"
    assert {"PK", "SK", "entity"} <= set(projected)  # kept for cursors and decoding
    assert request["FilterExpression"] == "#n2 = :v2 AND #n3 = :v3"
    assert request["ScanIndexForward"] is False
    assert request["Limit"] == 5
    assert request["ConsistentRead"] is True
    assert query(Message, conv_id="c").limit(50).page_size(10).to_request()["Limit"] == 10


def test_query_on_an_index() -> None:
    request = query(Message, "GSI1", author="a").sk_lte(ts=9).to_request()
    assert request["IndexName"] == "GSI1"
    assert request["KeyConditionExpression"] == "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"
    assert request["ExpressionAttributeNames"] == {"#n0": "GSI1PK", "#n1": "GSI1SK",
                                                   "#n2": "entity"}
    values = request["ExpressionAttributeValues"]
    assert (values[":v0"], values[":v1"], values[":v2"]) == (
        {"S": "AUTHOR#a"}, {"S": "MSG#"}, {"S": "MSG#00000000000000000009"})
    with pytest.raises(InvalidKey, match="no index 'Nope'"):
        query(Message, "Nope", author="a")


def test_query_needs_its_partition_fields() -> None:
    with pytest.raises(InvalidKey, match="needs conv_id"):
        query(Message)


def test_collection_query_on_a_table_takes_raw_keys_and_reads_every_entity() -> None:
    request = query(chat, raw_pk=Message.pk.format(conv_id="c")).sk_begins_with("MSG#").to_request()
    assert request == {
        "TableName": "dev-chat",
        "KeyConditionExpression": "#n0 = :v0 AND begins_with(#n1, :v1)",
        "ExpressionAttributeNames": {"#n0": "PK", "#n1": "SK"},
        "ExpressionAttributeValues": {":v0": {"S": "CONV#c"}, ":v1": {"S": "MSG#"}},
    }
    with pytest.raises(InvalidKey, match="pk="):
        query(chat, conv_id="c")


def test_scan_requests() -> None:
    assert Scan(SESSION, Message, index=None).to_request() == {
        "TableName": "dev-chat",
        "FilterExpression": "#n0 = :v0",
        "ExpressionAttributeNames": {"#n0": "entity"},
        "ExpressionAttributeValues": {":v0": {"S": "Message"}},
    }
    assert Scan(SESSION, chat, index="GSI1").to_request() == {
        "TableName": "dev-chat", "IndexName": "GSI1"}
    with pytest.raises(ValueError, match="segments"):
        Scan(SESSION, chat, index=None).segments(0)


# -- sort-key conditions on templates: exact bounds --------------------------------------------

MSG = Message.__dynamap__
assert MSG.sk is not None
SK = MSG.sk


def sk_text(op: str, values: dict[str, Any], high: dict[str, Any] | None = None
            ) -> tuple[str, tuple[object, ...]]:
    condition = sort_condition(SK, MSG.codec, op, values, high)
    assert condition.attribute == "SK"
    return condition.operator, condition.values


def test_partial_template_ranges_use_exact_between_bounds() -> None:
    ts3 = "MSG#00000000000000000003#"
    assert sk_text("gte", {"ts": 3}) == ("BETWEEN", (ts3, "MSG$"))
    assert sk_text("gt", {"ts": 3}) == ("BETWEEN", ("MSG#00000000000000000003$", "MSG$"))
    assert sk_text("lte", {"ts": 3}) == ("BETWEEN", ("MSG#", "MSG#00000000000000000003$"))
    assert sk_text("lt", {"ts": 3}) == ("BETWEEN", ("MSG#", ts3))
    assert sk_text("eq", {"ts": 3}) == ("begins_with", (ts3,))
    assert sk_text("begins_with", {"ts": 3}) == ("begins_with", (ts3,))
    assert sk_text("between", {"ts": 1}, {"ts": 3}) == (
        "BETWEEN", ("MSG#00000000000000000001#", "MSG#00000000000000000003$"))


def test_complete_template_conditions() -> None:
    key = "MSG#00000000000000000003#m"
    assert sk_text("eq", {"ts": 3, "id": "m"}) == ("=", (key,))
    assert sk_text("gte", {"ts": 3, "id": "m"}) == ("BETWEEN", (key, "MSG$"))
    assert sk_text("gt", {"ts": 3, "id": "m"}) == ("BETWEEN", (key + "\x00", "MSG$"))
    assert sk_text("lte", {"ts": 3, "id": "m"}) == ("BETWEEN", ("MSG#", key))
    assert sk_text("lt", {"ts": 3, "id": "m"}) == ("<", (key,))


def test_sort_conditions_refuse_fields_out_of_order_or_unknown() -> None:
    with pytest.raises(InvalidKey):
        sk_text("gte", {"id": "m"})
    with pytest.raises(InvalidKey, match="no field"):
        sk_text("gte", {"nope": 1})
    with pytest.raises(InvalidKey, match="high end"):
        sk_text("between", {"ts": 1})


def test_successor() -> None:
    assert successor("MSG#") == "MSG$"
    assert successor("a") == "b"


def holds(condition: tuple[str, tuple[object, ...]], key: str) -> bool:
    """Evaluate a sort condition on a key string, as DynamoDB compares strings."""
    operator, values = condition
    first = str(values[0])
    if operator == "BETWEEN":
        return first <= key <= str(values[1])
    checks = {"=": key == first, "<": key < first, "<=": key <= first, ">": key > first,
              ">=": key >= first, "begins_with": key.startswith(first)}
    return checks[operator]


ints = st.integers(min_value=-(10**20) + 1, max_value=10**20 - 1)
ids = st.text(min_size=1, max_size=8)
# Keys of other entities that a range on "MSG#..." must never reach. (The one string a
# range's inclusive ceiling does reach is that ceiling itself, "MSG$", which no template
# starting with "MSG#" can produce.)
OTHER_ENTITY_KEYS = ["MSF#9", "MSG", "MSG!x", "MSG$0", "MSH#0", "NODE#1", "PROFILE", "",
                     "TICKET#x"]
OPERATORS = {"gte": int.__ge__, "gt": int.__gt__, "lte": int.__le__, "lt": int.__lt__,
             "eq": int.__eq__}


@given(bound=ints, value=ints, item_id=ids, op=st.sampled_from(sorted(OPERATORS)))
def test_partial_ranges_select_exactly_the_matching_items(
    bound: int, value: int, item_id: str, op: str
) -> None:
    condition = sk_text(op, {"ts": bound})
    key = SK.format(ts=value, id=item_id)
    assert holds(condition, key) == OPERATORS[op](value, bound)
    for other in OTHER_ENTITY_KEYS:
        assert not holds(condition, other), other


@given(low=ints, high=ints, value=ints, item_id=ids)
def test_partial_between_selects_exactly_the_matching_items(
    low: int, high: int, value: int, item_id: str
) -> None:
    condition = sk_text("between", {"ts": low}, {"ts": high})
    key = SK.format(ts=value, id=item_id)
    assert holds(condition, key) == (low <= value <= high)


@given(bound=ints, bound_id=st.text("abcXYZ019", min_size=1, max_size=4), value=ints,
       value_id=st.text("abcXYZ019", min_size=1, max_size=4),
       op=st.sampled_from(["gte", "gt", "lte", "lt", "eq"]))
def test_complete_ranges_select_exactly_the_matching_items(
    bound: int, bound_id: str, value: int, value_id: str, op: str
) -> None:
    condition = sk_text(op, {"ts": bound, "id": bound_id})
    key = SK.format(ts=value, id=value_id)
    compare = {"gte": tuple.__ge__, "gt": tuple.__gt__, "lte": tuple.__le__,
               "lt": tuple.__lt__, "eq": tuple.__eq__}[op]
    assert holds(condition, key) == compare((value, value_id), (bound, bound_id))
    if op != "lt":  # a plain '<' leaves the other entities to the query's entity filter
        for other in OTHER_ENTITY_KEYS:
            assert not holds(condition, other), other


def test_a_bare_field_sort_key_compares_the_encoded_value() -> None:
    compiled = Counter.__dynamap__
    assert compiled.sk is not None
    condition = sort_condition(compiled.sk, compiled.codec, "between", {"day": 1}, {"day": 5})
    assert isinstance(condition, SortCondition) and condition.operator == "BETWEEN"
    with pytest.raises(InvalidKey, match="give exactly day="):
        sort_condition(compiled.sk, compiled.codec, "gte", {"day": 1, "name": "x"})


# -- signed cursors -----------------------------------------------------------------------------

SECRET = b"k" * 32
LAST_KEY = {"PK": {"S": "CONV#c"}, "SK": {"S": "MSG#00000000000000000004#m"}}


def test_a_cursor_round_trips_its_key() -> None:
    query_id = fingerprint(query(Message, conv_id="c").to_request())
    cursor = encode_cursor(SECRET, query_id, LAST_KEY)
    assert cursor.startswith(f"{CURSOR_VERSION}.") and cursor.count(".") == 2
    assert all(part.isascii() and "=" not in part for part in cursor.split("."))
    assert decode_cursor(SECRET, query_id, cursor) == LAST_KEY


def test_the_fingerprint_ignores_the_page_position_but_not_the_query() -> None:
    base = query(Message, conv_id="c").limit(5).to_request()
    resumed = {**base, "ExclusiveStartKey": LAST_KEY, "Limit": 50}
    assert fingerprint(resumed) == fingerprint(base)
    for other in (query(Message, conv_id="d"), query(Message, conv_id="c").reverse(),
                  query(Message, "GSI1", author="c"), query(Message, conv_id="c").sk_gte(ts=1),
                  query(Message, conv_id="c").fields("body")):
        assert fingerprint(other.to_request()) != fingerprint(base)


def tampered(cursor: str, part: int, text: str) -> str:
    parts = cursor.split(".")
    parts[part] = text
    return ".".join(parts)


@pytest.mark.parametrize("change", ["payload", "signature", "version", "unicode", "shape"])
def test_tampered_cursors_are_refused(change: str) -> None:
    cursor = encode_cursor(SECRET, "q", LAST_KEY)
    payload, signature = cursor.split(".")[1:]
    forged = {
        "payload": tampered(cursor, 1, encode_cursor(SECRET, "q", {"PK": {"S": "X"}})
                            .split(".")[1]),
        "signature": tampered(cursor, 2, signature[::-1]),
        "version": tampered(cursor, 0, "2"),
        "unicode": tampered(cursor, 2, "é" * len(signature)),
        "shape": f"{cursor}.extra",
    }[change]
    with pytest.raises(InvalidCursor):
        decode_cursor(SECRET, "q", forged)
    assert payload  # the untouched cursor still decodes
    assert decode_cursor(SECRET, "q", cursor) == LAST_KEY


def test_a_cursor_of_another_secret_or_query_is_refused() -> None:
    cursor = encode_cursor(SECRET, "q1", LAST_KEY)
    with pytest.raises(InvalidCursor, match="signature"):
        decode_cursor(b"other" * 8, "q1", cursor)
    with pytest.raises(InvalidCursor, match="another query"):
        decode_cursor(SECRET, "q2", cursor)


@pytest.mark.parametrize("junk", ["", "1", "1.a", "abc.def.ghi", None, 42])
def test_malformed_cursors_are_refused(junk: Any) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(SECRET, "q", junk)
