"""Decoding stream records as Lambda delivers them: the event JSON written out as AWS
documents it (eventSourceARN, epoch-second ApproximateCreationDateTime), no server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dynamap import GSI, InvalidValue, Key, Model, Table
from dynamap.streams import Change, decode_event, decode_record, handle_batch

shop = Table("Shop")


class Order(Model, table=shop, entity="order"):
    pk = Key("ORDER#{id}")
    by_customer = GSI("ByCustomer", pk="customer")
    id: str
    customer: str
    total: int = 0


class Customer(Model, table=shop, entity="customer"):
    pk = Key("CUSTOMER#{id}")
    id: str
    name: str


ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Shop/stream/2024-01-01T00:00:00.000"


def record(name: str, sequence: str, keys: dict[str, Any], *, new: Any = None,
           old: Any = None, view: str = "NEW_AND_OLD_IMAGES") -> dict[str, Any]:
    body: dict[str, Any] = {"ApproximateCreationDateTime": 1704067200, "Keys": keys,
                            "SequenceNumber": sequence, "SizeBytes": 59,
                            "StreamViewType": view}
    if new is not None:
        body["NewImage"] = new
    if old is not None:
        body["OldImage"] = old
    return {"eventID": f"id-{sequence}", "eventName": name, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": body,
            "eventSourceARN": ARN}


def order_item(total: int) -> dict[str, Any]:
    return {"PK": {"S": "ORDER#o1"}, "entity": {"S": "order"}, "id": {"S": "o1"},
            "customer": {"S": "c1"}, "total": {"N": str(total)}}


CUSTOMER = {"PK": {"S": "CUSTOMER#c1"}, "entity": {"S": "customer"}, "id": {"S": "c1"},
            "name": {"S": "Ada"}}
MARKER = {"PK": {"S": "__unique__#customer#email#S#ada@example.com"},
          "entity": {"S": "__unique__"}, "__owner__": {"S": "{}"}}

EVENT = {"Records": [
    record("INSERT", "100", {"PK": {"S": "ORDER#o1"}}, new=order_item(5)),
    record("INSERT", "200", {"PK": MARKER["PK"]}, new=MARKER),
    record("INSERT", "300", {"PK": {"S": "CUSTOMER#c1"}}, new=CUSTOMER),
    record("MODIFY", "400", {"PK": {"S": "ORDER#o1"}}, old=order_item(5), new=order_item(7)),
    record("REMOVE", "500", {"PK": {"S": "ORDER#o1"}}, old=order_item(7)),
]}


def test_a_collection_decodes_each_item_as_its_model_and_skips_markers() -> None:
    changes = decode_event(EVENT, shop)
    assert [(c.event, c.sequence_number, c.model) for c in changes] == [
        ("INSERT", "100", Order), ("INSERT", "300", Customer), ("MODIFY", "400", Order),
        ("REMOVE", "500", Order)]
    modify = changes[2]
    assert modify.old == Order(id="o1", customer="c1", total=5)
    assert modify.new == Order(id="o1", customer="c1", total=7)
    assert changes[3].item == Order(id="o1", customer="c1", total=7)
    assert changes[3].new is None
    assert changes[0].created_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert changes[0].keys == {"PK": "ORDER#o1"} and changes[0].event_id == "id-100"
    assert changes[0].record is EVENT["Records"][0]


def test_a_model_target_leaves_other_entities_out() -> None:
    orders: list[Change[Order]] = decode_event(EVENT, Order)
    assert [c.sequence_number for c in orders] == ["100", "400", "500"]
    assert decode_record(EVENT["Records"][2], Order) is None


def test_keys_only_records_carry_keys_and_no_models() -> None:
    keys_only = record("REMOVE", "600", {"PK": {"S": "ORDER#o1"}}, view="KEYS_ONLY")
    change = decode_record(keys_only, shop)
    assert change is not None
    assert (change.keys, change.model, change.old, change.new) == (
        {"PK": "ORDER#o1"}, None, None, None)


def test_an_unknown_entity_keeps_its_record_without_a_model() -> None:
    other = {**CUSTOMER, "entity": {"S": "invoice"}}
    change = decode_record(record("INSERT", "700", {"PK": other["PK"]}, new=other), shop)
    assert change is not None and change.model is None and change.entity == "invoice"
    assert change.record["dynamodb"]["NewImage"] == other


@pytest.mark.parametrize("bad", [
    {"eventName": "UPSERT", "dynamodb": {}},
    {"eventName": "INSERT"},
    "not a record",
])
def test_malformed_records_are_refused(bad: Any) -> None:
    with pytest.raises(InvalidValue, match="not a DynamoDB stream record"):
        decode_record(bad, shop)


def test_an_event_without_records_is_refused() -> None:
    with pytest.raises(InvalidValue, match="Records"):
        decode_event({"Items": []}, shop)


def test_an_image_that_does_not_validate_is_a_typed_error() -> None:
    broken = {**order_item(1), "total": {"S": "lots"}}
    with pytest.raises(InvalidValue, match="no valid Order"):
        decode_record(record("INSERT", "800", {"PK": broken["PK"]}, new=broken), shop)


async def test_a_record_that_does_not_decode_is_reported_as_failed() -> None:
    broken = {**order_item(1), "total": {"S": "lots"}}
    event = {"Records": [EVENT["Records"][0],
                         record("INSERT", "900", {"PK": broken["PK"]}, new=broken),
                         EVENT["Records"][2]]}
    seen: list[str] = []

    async def handler(change: Change[Any]) -> None:
        seen.append(change.sequence_number)

    assert await handle_batch(event, shop, handler) == {
        "batchItemFailures": [{"itemIdentifier": "900"}]}
    assert seen == ["100"]
