"""Bad input gets a typed dynamap error before anything is sent: keys DynamoDB would
refuse, lone surrogates, nesting past DynamoDB's 32 levels, declared serializers that
storing would ignore, naive datetimes, and cursors that are not text."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, PlainSerializer, field_serializer, model_serializer

from dynamap import (
    GSI,
    DefinitionError,
    F,
    InvalidCursor,
    InvalidKey,
    InvalidValue,
    Key,
    Model,
    RetryPolicy,
    Session,
    Table,
)
from dynamap._codec import MAX_NESTING, encode_value
from dynamap._cursor import decode_cursor
from dynamap._operations import UpdateSpec, put_request, update_request

table = Table("BadInput")


class Doc(Model, table=table, entity="doc"):
    pk = Key("id")
    sk = Key("SORT#{part}")
    by_owner = GSI("ByOwner", pk="owner")
    by_tag = GSI("ByTag", pk="TAG#{tag}", sk="name")

    id: str
    part: str = "a"
    owner: str | None = None
    tag: str | None = None
    name: str | None = None
    data: Any = None
    note: str | None = None
    when: datetime | None = None


def put(doc: Doc) -> dict[str, Any]:
    return put_request(Doc.__dynamap__, doc, "t").request


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("doc", [Doc(id=""), Doc(id="d", owner=""),
                                 Doc(id="d", tag="t", name="")])
def test_empty_key_values_are_refused(doc: Doc) -> None:
    with pytest.raises(InvalidKey, match="would be empty"):
        put(doc)


def test_key_values_over_dynamodbs_limits_are_refused() -> None:
    put(Doc(id="x" * 2048, part="y" * 1019))  # at the limits: 2048 and 1024 bytes
    with pytest.raises(InvalidKey, match="2049 bytes, over DynamoDB's limit of 2048"):
        put(Doc(id="x" * 2049))
    with pytest.raises(InvalidKey, match="1025 bytes, over DynamoDB's limit of 1024"):
        put(Doc(id="d", part="y" * 1020))  # "SORT#" + 1020
    with pytest.raises(InvalidKey, match="'ByOwner'|'owner'"):
        put(Doc(id="d", owner="é" * 1025))  # 2050 bytes of UTF-8
    with pytest.raises(InvalidKey, match="1025 bytes"):
        put(Doc(id="d", tag="t", name="n" * 1025))  # an index sort key


def test_a_lone_surrogate_in_a_key_is_refused() -> None:
    with pytest.raises(InvalidValue, match="surrogate"):
        put(Doc(id="a\ud800b"))
    with pytest.raises(InvalidKey, match="surrogate"):
        put(Doc(id="d", part="\ud800"))
    with pytest.raises(InvalidValue, match="surrogate"):
        Doc.__dynamap__.key_from({"id": "\udfff", "part": "a"})


def test_a_lone_surrogate_in_a_stored_value_is_refused() -> None:
    with pytest.raises(InvalidValue, match="Doc.note"):
        put(Doc(id="d", note="\ud800"))


def test_a_lone_surrogate_in_a_condition_is_refused_before_sending() -> None:
    # Nothing listens on port 9: had the request been sent, this would be ConnectionFailed.
    async def conditional_put() -> None:
        async with Session(endpoint_url="http://127.0.0.1:9", region="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x",
                           retry=RetryPolicy(attempts=1)) as db:
            await db.put(Doc(id="d"), condition=F("name") == "\ud800")

    with pytest.raises(InvalidValue, match="cannot send PutItem"):
        asyncio.run(conditional_put())


def test_nesting_past_dynamodbs_limit_is_refused() -> None:
    put(Doc(id="d", data=nested(MAX_NESTING - 1)))  # 31 maps in the attribute: accepted
    with pytest.raises(InvalidValue, match="nested more than 32 levels"):
        put(Doc(id="d", data=nested(MAX_NESTING)))
    with pytest.raises(InvalidValue, match="nested more than 32 levels"):
        put(Doc(id="d", data=nested(1000)))  # not a RecursionError
    with pytest.raises(InvalidValue, match="nested more than 32 levels"):
        encode_value(nested(40))
    with pytest.raises(InvalidValue, match="nested more than 32 levels"):
        update_request(Doc.__dynamap__, {"id": "d"}, "t", UpdateSpec(set={"data": nested(40)}))


def test_a_naive_datetime_is_refused() -> None:
    put(Doc(id="d", when=datetime(2024, 1, 1, tzinfo=UTC)))
    with pytest.raises(InvalidValue, match="naive datetime"):
        put(Doc(id="d", when=datetime(2024, 1, 1)))


@pytest.mark.parametrize("cursor", ["1.\ud800.x", "\ud800", "1.é.é"])
def test_a_cursor_that_is_not_ascii_is_invalid(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(b"s" * 32, "query", cursor)


class Inner(BaseModel):
    value: int

    @field_serializer("value")
    def as_text(self, value: int) -> str:
        return str(value)


def test_serializers_storing_would_ignore_are_refused_at_class_creation() -> None:
    with pytest.raises(DefinitionError, match=r"Plain.x has a serializer") as caught:
        class Plain(Model, table=Table("Ser1")):
            pk = Key("id")
            id: str
            x: Annotated[int, PlainSerializer(str)]
    assert caught.value.code == "serializer"
    with pytest.raises(DefinitionError, match=r"Inner.value has a serializer"):
        class Holder(Model, table=Table("Ser2")):
            pk = Key("id")
            id: str
            inner: list[Inner] = Field(default_factory=list)
    with pytest.raises(DefinitionError, match=r"Whole has a serializer"):
        class Whole(Model, table=Table("Ser3")):
            pk = Key("id")
            id: str

            @model_serializer
            def dump(self) -> dict[str, Any]:
                return {"id": self.id}


def test_serializers_for_json_output_are_fine() -> None:
    class ForApi(Model, table=Table("Ser4")):
        pk = Key("id")
        id: str
        x: Annotated[int, PlainSerializer(str, when_used="json")] = 0

    assert put_request(ForApi.__dynamap__, ForApi(id="a", x=5), "t").request["Item"]["x"] == {
        "N": "5"}
