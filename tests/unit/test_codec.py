"""Tests for dynamap._codec: the storage rules, errors, aliases, item sizes and round trips."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from dynamap._codec import (
    MAX_ITEM_BYTES,
    compile_codec,
    decode_value,
    encode_value,
    item_size,
)
from dynamap._datetimes import format_datetime
from dynamap._storage import AsEpochSeconds, AsNumber, EpochSeconds, NumericBool
from dynamap.errors import InvalidValue, ItemTooLarge


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Status(StrEnum):
    OPEN = "open"
    SHUT = "shut"


class Mixed(Enum):
    TEXT = "t"
    NUMBER = 2


class Address(BaseModel):
    city: str
    postcode: str | None = None


class Node(BaseModel):
    name: str
    children: list[Node] = []
    parent: Node | None = None


def roundtrip(annotation: Any, value: Any) -> tuple[dict[str, Any] | None, Any]:
    """Store `value` in a one-field model annotated `annotation`; return the wire and back."""

    class One(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        v: annotation = None

    codec = compile_codec(One)
    item = codec.encode(One(v=value))
    assert orjson.loads(orjson.dumps(item)) == item
    return item.get("v"), codec.decode(item).v


def model_with(annotation: Any, **field: Any) -> type[BaseModel]:
    class One(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        v: annotation = Field(None, **field)

    return One


# ----------------------------------------------------------------------- scalar rules


@pytest.mark.parametrize(
    ("annotation", "value", "wire"),
    [
        (str, "hello", {"S": "hello"}),
        (str, "", {"S": ""}),
        (str, "zoë ☃", {"S": "zoë ☃"}),
        (int, 0, {"N": "0"}),
        (int, -42, {"N": "-42"}),
        (int, 10**37, {"N": str(10**37)}),
        (int, 10**60, {"N": str(10**60)}),
        (float, 0.1, {"N": "0.1"}),
        (float, 1e16, {"N": "1e+16"}),
        (float, -2.5e-7, {"N": "-2.5e-07"}),
        (float, 1 / 3, {"N": repr(1 / 3)}),
        (Decimal, Decimal("1.500"), {"N": "1.500"}),
        (Decimal, Decimal("1E+2"), {"N": "100"}),
        (Decimal, Decimal("0E-10"), {"N": "0"}),
        (Decimal, Decimal("1.5E-7"), {"N": "0.00000015"}),
        (Decimal, Decimal("1E-100"), {"N": "1E-100"}),
        (Decimal, Decimal("-9.9E+125"), {"N": "-9.9E+125"}),
        (bool, True, {"BOOL": True}),
        (bool, False, {"BOOL": False}),
        (NumericBool, True, {"N": "1"}),
        (NumericBool, False, {"N": "0"}),
        (bytes, b"\x00\xffdata", {"B": base64.b64encode(b"\x00\xffdata").decode()}),
        (bytes, b"", {"B": ""}),
        (date, date(2024, 2, 29), {"S": "2024-02-29"}),
        (time, time(13, 5, 9, 12), {"S": "13:05:09.000012"}),
        (time, time(8, 0, tzinfo=UTC), {"S": "08:00:00+00:00"}),
        (timedelta, timedelta(days=1, seconds=30), {"N": "86430"}),
        (timedelta, timedelta(seconds=1.5), {"N": "1.5"}),
        (timedelta, timedelta(microseconds=-1), {"N": "-0.000001"}),
        (
            UUID,
            UUID("12345678-1234-5678-1234-567812345678"),
            {"S": "12345678-1234-5678-1234-567812345678"},
        ),
        (Colour, Colour.BLUE, {"S": "blue"}),
        (Level, Level.HIGH, {"N": "2"}),
        (Status, Status.SHUT, {"S": "shut"}),
        (Mixed, Mixed.NUMBER, {"N": "2"}),
        (Mixed, Mixed.TEXT, {"S": "t"}),
        (Literal["a", "b"], "b", {"S": "b"}),
        (Literal[1, 2], 2, {"N": "2"}),
        (Literal["x", 3], 3, {"N": "3"}),
        (Literal["x", 3], "x", {"S": "x"}),
        (int | str, 7, {"N": "7"}),
        (int | str, "7", {"S": "7"}),
        (bool | int, True, {"BOOL": True}),
        (bool | int, 5, {"N": "5"}),
        (SecretStr, SecretStr("hunter2"), {"S": "hunter2"}),
    ],
)
def test_scalar_rules(annotation: Any, value: Any, wire: dict[str, Any]) -> None:
    stored, back = roundtrip(annotation, value)
    assert stored == wire
    assert back == value
    assert type(back) is type(value)


def test_numbers_decode_to_the_annotated_type() -> None:
    assert roundtrip(float, 3.0) == ({"N": "3.0"}, 3.0)
    model = model_with(float)
    assert type(compile_codec(model).decode({"v": {"N": "3"}}).v) is float  # type: ignore[attr-defined]
    model = model_with(Decimal)
    assert compile_codec(model).decode({"v": {"N": "3"}}).v == Decimal(3)  # type: ignore[attr-defined]
    model = model_with(int)
    codec = compile_codec(model)
    assert codec.decode({"v": {"N": "1E+3"}}).v == 1000  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        codec.decode({"v": {"N": "1.5"}})


def test_bytearray_values_are_binary() -> None:
    stored, back = roundtrip(bytearray, bytearray(b"abc"))
    assert stored == {"B": "YWJj"}
    assert back == bytearray(b"abc")
    assert type(back) is bytearray
    assert encode_value(bytearray(b"abc")) == {"B": "YWJj"}


def test_datetimes_are_fixed_width_utc_text() -> None:
    moment = datetime(2024, 3, 15, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    stored, back = roundtrip(datetime, moment)
    assert stored == {"S": "2024-03-15T12:00:00.000000Z"}
    assert back == moment
    assert back.tzinfo is not None
    assert back.utcoffset() == timedelta(0)
    stored, back = roundtrip(datetime, datetime(2024, 3, 15, 12, 0, 0, 5, tzinfo=UTC))
    assert stored == {"S": "2024-03-15T12:00:00.000005Z"}
    assert back == datetime(2024, 3, 15, 12, 0, 0, 5, tzinfo=UTC)


def test_a_naive_datetime_is_refused_since_it_would_read_back_aware() -> None:
    class Event(BaseModel):
        at: datetime
        expires: EpochSeconds | None = None

    codec = compile_codec(Event)
    for event in (Event(at=datetime(2024, 3, 15, 12)),
                  Event(at=datetime(2024, 3, 15, 12, tzinfo=UTC), expires=datetime(2024, 4, 1))):
        with pytest.raises(InvalidValue, match="naive datetime"):
            codec.encode(event)
    # text without an offset, written by another program, is read as UTC
    assert codec.decode({"at": {"S": "2024-03-15 12:00:00"}}).at == datetime(
        2024, 3, 15, 12, tzinfo=UTC)


def test_early_years_keep_four_digits() -> None:
    stored, back = roundtrip(datetime, datetime(999, 1, 2, tzinfo=UTC))
    assert stored == {"S": "0999-01-02T00:00:00.000000Z"}
    assert back == datetime(999, 1, 2, tzinfo=UTC)


def test_epoch_seconds_marker() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    assert roundtrip(EpochSeconds, moment) == ({"N": "1704067200"}, moment)
    assert roundtrip(EpochSeconds | None, moment) == ({"N": "1704067200"}, moment)
    before = datetime(1969, 12, 31, 23, 59, 59, 900000, tzinfo=UTC)
    stored, back = roundtrip(Annotated[datetime, AsEpochSeconds()], before)
    assert stored == {"N": "-1"}  # whole seconds, rounded down
    assert back == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_epoch_fields_argument() -> None:
    class Session(BaseModel):
        expires: datetime | None = None
        created: datetime | None = None
        ttl_number: int | None = None

    codec = compile_codec(Session, epoch_fields=["expires", "ttl_number"])
    moment = datetime(2030, 5, 1, 8, 30, tzinfo=UTC)
    item = codec.encode(Session(expires=moment, created=moment, ttl_number=5))
    assert item == {
        "expires": {"N": str(int(moment.timestamp()))},
        "created": {"S": "2030-05-01T08:30:00.000000Z"},
        "ttl_number": {"N": "5"},
    }
    assert codec.decode(item) == Session(expires=moment, created=moment, ttl_number=5)
    # the plain codec of the same model is a separate, cached object
    assert compile_codec(Session) is compile_codec(Session)
    assert compile_codec(Session) is not codec
    assert compile_codec(Session, epoch_fields=("ttl_number", "expires")) is codec


def test_none_fields_are_omitted_and_read_back_as_default() -> None:
    class Profile(BaseModel):
        name: str
        nickname: str | None = None
        age: int | None = 3

    codec = compile_codec(Profile)
    item = codec.encode(Profile(name="a", age=None))
    assert item == {"name": {"S": "a"}}
    assert codec.decode(item) == Profile(name="a", age=3)


def test_null_inside_containers() -> None:
    stored, back = roundtrip(list[int | None], [1, None])
    assert stored == {"L": [{"N": "1"}, {"NULL": True}]}
    assert back == [1, None]
    stored, back = roundtrip(dict[str, str | None], {"a": None})
    assert stored == {"M": {"a": {"NULL": True}}}
    assert back == {"a": None}


def test_optional_field_stored_as_null_by_another_writer() -> None:
    model = model_with(int | None)
    assert compile_codec(model).decode({"v": {"NULL": True}}).v is None  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------- sets


@pytest.mark.parametrize(
    ("annotation", "value", "tag"),
    [
        (set[str], {"a", "b", ""}, "SS"),
        (frozenset[str], frozenset({"a"}), "SS"),
        (set[int], {1, -2, 10**30}, "NS"),
        (set[float], {0.5, 1e-9}, "NS"),
        (set[Decimal], {Decimal("1.25"), Decimal(7)}, "NS"),
        (set[int | float], {1, 2.5}, "NS"),
        (set[bytes], {b"a", b""}, "BS"),
        (set[UUID], {UUID(int=1), UUID(int=2)}, "SS"),
        (set[Colour], {Colour.RED}, "SS"),
        (set[bool], {True}, "L"),
        (frozenset[tuple[int, str]], frozenset({(1, "a")}), "L"),
    ],
)
def test_sets(annotation: Any, value: Any, tag: str) -> None:
    stored, back = roundtrip(annotation, value)
    assert stored is not None
    assert list(stored) == [tag]
    assert back == value
    assert type(back) is type(value)


def test_set_elements_have_their_text_form() -> None:
    stored, _ = roundtrip(set[bytes], {b"\x01"})
    assert stored == {"BS": ["AQ=="]}
    stored, _ = roundtrip(set[Decimal], {Decimal("1.50")})
    assert stored == {"NS": ["1.50"]}


def test_number_sets_have_no_duplicate_texts() -> None:
    stored = encode_value({0.5, Decimal("0.5"), 1, 1.0})  # noqa: B033 - two of them are equal
    assert stored["NS"].count("0.5") == 1


def test_empty_set_is_omitted_and_reads_back_as_default() -> None:
    class Tagged(BaseModel):
        tags: set[str] = Field(default_factory=set)
        numbers: frozenset[int] = frozenset()
        anything: Any = None

    codec = compile_codec(Tagged)
    item = codec.encode(Tagged(anything=set()))
    assert item == {}
    assert codec.decode(item) == Tagged(anything=None)
    assert codec.decode(codec.encode(Tagged())) == Tagged()
    assert codec.encode_field("tags", set()) is None


def test_empty_set_inside_a_container_is_an_empty_list() -> None:
    stored, back = roundtrip(list[set[str]], [set(), {"a"}])
    assert stored == {"L": [{"L": []}, {"SS": ["a"]}]}
    assert back == [set(), {"a"}]
    stored, back = roundtrip(dict[str, frozenset[int]], {"k": frozenset()})
    assert stored == {"M": {"k": {"L": []}}}
    assert back == {"k": frozenset()}


def test_set_read_from_a_list() -> None:
    model = model_with(set[int])
    decoded = compile_codec(model).decode({"v": {"L": [{"N": "1"}, {"N": "2"}]}})
    assert decoded.v == {1, 2}  # type: ignore[attr-defined]


# ---------------------------------------------------------------- lists, maps, models


@pytest.mark.parametrize(
    ("annotation", "value", "wire"),
    [
        (list[str], ["a", "b"], {"L": [{"S": "a"}, {"S": "b"}]}),
        (list[int], [], {"L": []}),
        (tuple[int, ...], (1, 2), {"L": [{"N": "1"}, {"N": "2"}]}),
        (tuple[int, str, bool], (1, "x", True), {"L": [{"N": "1"}, {"S": "x"}, {"BOOL": True}]}),
        (Sequence[float], [1.5], {"L": [{"N": "1.5"}]}),
        (list[list[int]], [[1], []], {"L": [{"L": [{"N": "1"}]}, {"L": []}]}),
        (dict[str, int], {"a": 1}, {"M": {"a": {"N": "1"}}}),
        (dict[str, int], {}, {"M": {}}),
        (Mapping[str, list[str]], {"k": ["v"]}, {"M": {"k": {"L": [{"S": "v"}]}}}),
        (dict[Status, int], {Status.OPEN: 1}, {"M": {"open": {"N": "1"}}}),
        (dict[Literal["a", "b"], int], {"a": 1}, {"M": {"a": {"N": "1"}}}),
        (dict[UUID, bool], {UUID(int=5): True}, {"M": {str(UUID(int=5)): {"BOOL": True}}}),
        (
            dict[str, dict[str, Decimal]],
            {"x": {"y": Decimal("2.5")}},
            {"M": {"x": {"M": {"y": {"N": "2.5"}}}}},
        ),
    ],
)
def test_containers(annotation: Any, value: Any, wire: dict[str, Any]) -> None:
    stored, back = roundtrip(annotation, value)
    assert stored == wire
    assert back == value


def test_nested_models() -> None:
    class Customer(BaseModel):
        name: str
        home: Address
        others: list[Address] = []
        by_label: dict[str, Address] = {}

    codec = compile_codec(Customer)
    customer = Customer(
        name="Ann",
        home=Address(city="Paris"),
        others=[Address(city="Oslo", postcode="0150")],
        by_label={"work": Address(city="Rome")},
    )
    item = codec.encode(customer)
    assert item["home"] == {"M": {"city": {"S": "Paris"}}}
    assert item["others"] == {"L": [{"M": {"city": {"S": "Oslo"}, "postcode": {"S": "0150"}}}]}
    assert codec.decode(item) == customer


def test_self_referencing_model() -> None:
    tree = Node(name="root", children=[Node(name="a", children=[Node(name="b")])])
    tree.parent = Node(name="up")
    codec = compile_codec(Node)
    item = codec.encode(tree)
    assert item["children"]["L"][0]["M"]["children"]["L"][0]["M"]["name"] == {"S": "b"}
    assert codec.decode(item) == tree


def test_model_with_a_forward_reference_compiles_when_first_used() -> None:
    class Early(BaseModel):
        later: LaterDefined | None = None

    codec = compile_codec(Early)  # not resolvable yet: compiled on first use

    class LaterDefined(BaseModel):
        n: int

    globals()["LaterDefined"] = LaterDefined
    try:
        Early.model_rebuild()
        item = codec.encode(Early(later=LaterDefined(n=2)))
        assert item == {"later": {"M": {"n": {"N": "2"}}}}
        assert codec.decode(item) == Early(later=LaterDefined(n=2))
    finally:
        del globals()["LaterDefined"]


def test_union_of_models_decodes_to_the_one_that_fits() -> None:
    class Cat(BaseModel):
        meows: bool

    class Dog(BaseModel):
        barks: int

    class Home(BaseModel):
        pet: Cat | Dog
        pets: list[Cat | Dog] = []

    codec = compile_codec(Home)
    home = Home(pet=Dog(barks=3), pets=[Cat(meows=True), Dog(barks=1)])
    assert codec.decode(codec.encode(home)) == home


def test_set_of_frozen_models() -> None:
    class Point(BaseModel):
        model_config = ConfigDict(frozen=True)
        x: int

    stored, back = roundtrip(frozenset[Point], frozenset({Point(x=1), Point(x=2)}))
    assert stored is not None
    assert sorted(element["M"]["x"]["N"] for element in stored["L"]) == ["1", "2"]
    assert back == frozenset({Point(x=1), Point(x=2)})


def test_union_decodes_by_wire_type_in_order() -> None:
    model = model_with(datetime | str)
    codec = compile_codec(model)
    assert codec.decode({"v": {"S": "not a date"}}).v == "not a date"  # type: ignore[attr-defined]
    decoded = codec.decode({"v": {"S": "2024-01-01T00:00:00Z"}})
    assert decoded.v == datetime(2024, 1, 1, tzinfo=UTC)  # type: ignore[attr-defined]


def test_any_fields_use_the_generic_rules() -> None:
    value = {"n": 1, "f": Decimal("1.5"), "l": [True, None, "s"], "b": b"x", "s": {"a"}}
    stored, back = roundtrip(Any, value)
    assert stored == {
        "M": {
            "n": {"N": "1"},
            "f": {"N": "1.5"},
            "l": {"L": [{"BOOL": True}, {"NULL": True}, {"S": "s"}]},
            "b": {"B": "eA=="},
            "s": {"SS": ["a"]},
        }
    }
    assert back == value


def test_types_without_a_rule_use_pydantic_json_form() -> None:
    from ipaddress import IPv4Address
    from pathlib import PurePosixPath

    assert roundtrip(IPv4Address, IPv4Address("10.0.0.1")) == (
        {"S": "10.0.0.1"},
        IPv4Address("10.0.0.1"),
    )
    assert roundtrip(PurePosixPath, PurePosixPath("/a/b")) == ({"S": "/a/b"}, PurePosixPath("/a/b"))


# --------------------------------------------------------------------------- aliases


def test_aliases_name_the_attributes() -> None:
    class Aliased(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        plain: int = 0
        both: int = Field(0, alias="B")
        written: int = Field(0, serialization_alias="W")
        choices: int = Field(0, validation_alias=AliasChoices("c1", "c2"))

    codec = compile_codec(Aliased)
    assert dict(codec.attribute_names) == {
        "plain": "plain",
        "both": "B",
        "written": "W",
        "choices": "choices",
    }
    instance = Aliased(plain=1, both=2, written=3, choices=4)
    item = codec.encode(instance)
    assert item == {"plain": {"N": "1"}, "B": {"N": "2"}, "W": {"N": "3"}, "choices": {"N": "4"}}
    assert codec.decode(item) == instance
    assert codec.decode_fields(item) == {"plain": 1, "B": 2, "W": 3, "choices": 4}
    assert codec.encode_field("both", 9) == {"N": "9"}


def test_alias_generator() -> None:
    class Camel(BaseModel):
        model_config = ConfigDict(alias_generator=to_camel)
        first_name: str
        home_address: Address | None = None

    codec = compile_codec(Camel)
    instance = Camel(firstName="Jo", homeAddress=Address(city="Lyon"))
    item = codec.encode(instance)
    assert set(item) == {"firstName", "homeAddress"}
    assert codec.decode(item) == instance


def test_attributes_that_are_not_fields_are_ignored() -> None:
    codec = compile_codec(Address)
    item = {"PK": {"S": "ADDR#1"}, "SK": {"S": "A"}, "_type": {"S": "Address"}}
    item["city"] = {"S": "Kyiv"}
    assert codec.decode(item) == Address(city="Kyiv")
    assert codec.decode_fields(item) == {"city": "Kyiv"}


def test_two_fields_stored_under_one_name_are_refused() -> None:
    class Clash(BaseModel):
        a: int = Field(0, serialization_alias="x")
        b: int = Field(0, alias="x")

    with pytest.raises(TypeError, match=r"Clash\.b and \.a are both stored as 'x'"):
        compile_codec(Clash)


# ----------------------------------------------------------- encode_field, decode_fields


def test_encode_field() -> None:
    class Item(BaseModel):
        name: str = ""
        count: int = 0
        tags: set[str] = Field(default_factory=set)
        seen: EpochSeconds | None = None

    codec = compile_codec(Item)
    assert codec.encode_field("name", "") == {"S": ""}
    assert codec.encode_field("count", None) is None
    assert codec.encode_field("tags", {"a"}) == {"SS": ["a"]}
    assert codec.encode_field("seen", datetime(1970, 1, 1, 0, 1, tzinfo=UTC)) == {"N": "60"}
    with pytest.raises(InvalidValue, match=r"Item has no field 'nope'"):
        codec.encode_field("nope", 1)
    with pytest.raises(InvalidValue, match=r"Item\.count: expected an int, got str"):
        codec.encode_field("count", "1")


def test_decode_fields_does_not_validate() -> None:
    class Strict(BaseModel):
        when: datetime
        n: int

    codec = compile_codec(Strict)
    values = codec.decode_fields({"when": {"S": "2024-01-01T00:00:00.000000Z"}})
    assert values == {"when": datetime(2024, 1, 1, tzinfo=UTC)}


def test_decode_reports_data_that_does_not_fit() -> None:
    codec = compile_codec(Address)
    with pytest.raises(ValidationError):
        codec.decode({"city": {"N": "5"}})
    with pytest.raises(ValueError, match="'city' is not a DynamoDB value"):
        codec.decode({"city": {"XX": "5"}})


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("annotation", "value", "problem"),
    [
        (float, float("nan"), "DynamoDB numbers must be finite, got nan"),
        (float, float("inf"), "DynamoDB numbers must be finite, got inf"),
        (float, 1e-200, "outside DynamoDB's number range"),
        (float, 1e200, "outside DynamoDB's number range"),
        (Decimal, Decimal("NaN"), "must be finite"),
        (Decimal, Decimal("-Infinity"), "must be finite"),
        (Decimal, Decimal("1." + "1" * 38), "more than 38 significant digits"),
        (Decimal, Decimal("1E+126"), "outside DynamoDB's number range"),
        (Decimal, Decimal("9E-131"), "outside DynamoDB's number range"),
        (int, 10**38 + 1, "more than 38 significant digits"),
        (int, 10**126, "outside DynamoDB's number range"),
        (Any, object(), "DynamoDB cannot store a value of type object"),
        (Any, {1: "a"}, "map keys must be str, got int 1"),
        (dict[str, Any], {"k": float("nan")}, "must be finite"),
        (list[float], [1.0, float("inf")], "must be finite"),
    ],
)
def test_unstorable_values(annotation: Any, value: Any, problem: str) -> None:
    model = model_with(annotation)
    codec = compile_codec(model)
    with pytest.raises(InvalidValue, match=r"cannot store One\.v: ") as error:
        codec.encode(model.model_construct(v=value))
    assert problem in str(error.value)


def test_values_of_the_wrong_type_are_refused() -> None:
    class Typed(BaseModel):
        name: str = ""
        count: int = 0
        when: datetime | None = None
        colour: Colour = Colour.RED

    codec = compile_codec(Typed)
    for field, value, problem in [
        ("name", 5, "expected a str, got int 5"),
        ("count", 1.5, "expected an int, got float 1.5"),
        ("when", "yesterday", "expected a datetime, got str 'yesterday'"),
        ("colour", "green", "'green' is not a Colour"),
    ]:
        with pytest.raises(InvalidValue, match=rf"cannot store Typed\.{field}: {problem}"):
            values: dict[str, Any] = {field: value}
            codec.encode(Typed.model_construct(**values))


def test_errors_in_nested_models_name_the_path() -> None:
    class Inner(BaseModel):
        ratio: float

    class Outer(BaseModel):
        inner: Inner
        many: list[Inner] = []

    codec = compile_codec(Outer)
    bad = Outer(inner=Inner.model_construct(ratio=float("nan")))
    with pytest.raises(InvalidValue, match=r"cannot store Outer\.inner\.ratio: .* got nan"):
        codec.encode(bad)
    bad = Outer(inner=Inner(ratio=1), many=[Inner.model_construct(ratio=float("inf"))])
    with pytest.raises(InvalidValue, match=r"cannot store Outer\.many\.ratio: .* got inf"):
        codec.encode(bad)


def test_text_that_is_not_unicode_is_refused() -> None:
    model = model_with(str)
    with pytest.raises(InvalidValue, match=r"cannot store One\.v: .*surrogates"):
        compile_codec(model).encode(model(v="bad \ud800"))


def test_encode_requires_an_instance_of_the_model() -> None:
    with pytest.raises(TypeError, match="expected a Address, got Node"):
        compile_codec(Address).encode(Node(name="x"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (dict[int, str], "a DynamoDB map needs str keys"),
        (dict[tuple[int, int], str], "a DynamoDB map needs str keys"),
        (Annotated[str, AsNumber()], "AsNumber (NumericBool) applies to bool fields only"),
        (Annotated[int, AsEpochSeconds()], "AsEpochSeconds (EpochSeconds) applies to datetime"),
    ],
)
def test_unsupported_annotations_fail_at_compile_time(annotation: Any, message: str) -> None:
    model = model_with(annotation)
    with pytest.raises(TypeError, match=r"One\.v: ") as error:
        compile_codec(model)
    assert message in str(error.value)


def test_types_with_no_rule_fail_at_compile_time() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError, match=r"One\.v: no DynamoDB storage rule for"):
        compile_codec(model_with(Opaque))


def test_epoch_fields_are_checked() -> None:
    with pytest.raises(TypeError, match="has no field 'missing'"):
        compile_codec(Address, epoch_fields=["missing"])
    with pytest.raises(TypeError, match="must be a datetime or a number"):
        compile_codec(Address, epoch_fields=["city"])


# ------------------------------------------------------------------------- item size


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({}, 0),
        ({"id": {"S": "abc"}}, 5),
        ({"é": {"S": "ü☃"}}, 2 + 5),
        ({"n": {"N": "123.45"}}, 1 + 4),
        ({"n": {"N": "100"}}, 1 + 2),
        ({"n": {"N": "0.001"}}, 1 + 2),
        ({"n": {"N": "-1.5e-07"}}, 1 + 2),
        ({"n": {"N": "0"}}, 1 + 1),
        ({"n": {"N": "12345678901234567890123456789012345678"}}, 1 + 20),
        ({"b": {"B": base64.b64encode(bytes(10)).decode()}}, 1 + 10),
        ({"b": {"B": base64.b64encode(bytes(11)).decode()}}, 1 + 11),
        ({"b": {"B": ""}}, 1),
        ({"t": {"BOOL": True}, "z": {"NULL": True}}, 2 + 2),
        ({"m": {"M": {}}}, 1 + 3),
        ({"m": {"M": {"a": {"S": "x"}}}}, 1 + 3 + (1 + 1 + 1)),
        ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (1 + 2) + (1 + 2)),
        ({"l": {"L": [{"L": []}]}}, 1 + 3 + 1 + 3),
        ({"ss": {"SS": ["a", "bc"]}}, 2 + 3),
        ({"ns": {"NS": ["1", "22", "333"]}}, 2 + 2 + 2 + 3),
        ({"bs": {"BS": ["AQ==", "AQI="]}}, 2 + 1 + 2),
    ],
)
def test_item_size(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size


def test_item_too_large() -> None:
    class Blob(BaseModel):
        data: str
        raw: bytes | None = None

    codec = compile_codec(Blob)
    name_and_value = MAX_ITEM_BYTES - len("data")
    assert item_size(codec.encode(Blob(data="x" * name_and_value))) == MAX_ITEM_BYTES
    with pytest.raises(ItemTooLarge, match="a Blob item is 409601 bytes") as error:
        codec.encode(Blob(data="x" * (name_and_value + 1)))
    assert error.value.size == MAX_ITEM_BYTES + 1
    assert isinstance(error.value, InvalidValue)
    # binary counts its raw length, though its base64 text is longer
    item = codec.encode(Blob(data="", raw=bytes(MAX_ITEM_BYTES - 10)))
    assert item_size(item) == MAX_ITEM_BYTES - 10 + len("data") + len("raw")


# ----------------------------------------------------------------- generic value codec


@pytest.mark.parametrize(
    ("value", "wire", "back"),
    [
        (None, {"NULL": True}, None),
        (True, {"BOOL": True}, True),
        ("s", {"S": "s"}, "s"),
        (5, {"N": "5"}, 5),
        (2.5, {"N": "2.5"}, Decimal("2.5")),
        (1e20, {"N": "1e+20"}, Decimal("1e20")),
        (Decimal("3.10"), {"N": "3.10"}, Decimal("3.10")),
        (b"\x01", {"B": "AQ=="}, b"\x01"),
        ([1, "a"], {"L": [{"N": "1"}, {"S": "a"}]}, [1, "a"]),
        ((1,), {"L": [{"N": "1"}]}, [1]),
        ({"k": [None]}, {"M": {"k": {"L": [{"NULL": True}]}}}, {"k": [None]}),
        ({"a"}, {"SS": ["a"]}, {"a"}),
        ({3}, {"NS": ["3"]}, {3}),
        (frozenset({b"z"}), {"BS": ["eg=="]}, {b"z"}),
        ({1, "a"}, None, None),  # mixed: a list, order not fixed
        (set(), {"L": []}, []),
        (Colour.RED, {"S": "red"}, "red"),
        (Level.HIGH, {"N": "2"}, 2),
        (Status.OPEN, {"S": "open"}, "open"),
        (UUID(int=0), {"S": "00000000-0000-0000-0000-000000000000"}, None),
        (date(2020, 1, 2), {"S": "2020-01-02"}, "2020-01-02"),
        (
            datetime(2020, 1, 2, tzinfo=UTC),
            {"S": "2020-01-02T00:00:00.000000Z"},
            "2020-01-02T00:00:00.000000Z",
        ),
        (timedelta(minutes=1), {"N": "60"}, 60),
        (Address(city="Nice"), {"M": {"city": {"S": "Nice"}}}, {"city": "Nice"}),
    ],
)
def test_generic_values(value: Any, wire: Any, back: Any) -> None:
    encoded = encode_value(value)
    if wire is None:
        assert list(encoded) == ["L"]
        return
    assert encoded == wire
    if back is not None or value is None:
        assert decode_value(encoded) == back


def test_decode_value_number_rule() -> None:
    assert decode_value({"N": "10"}) == 10
    assert type(decode_value({"N": "10"})) is int
    assert decode_value({"N": "-0"}) == 0
    for text in ["1.0", "1e3", "1E3", "1.5E-5"]:
        assert type(decode_value({"N": text})) is Decimal
    assert decode_value({"NS": ["1", "1.5"]}) == {1, Decimal("1.5")}


def test_decode_value_rejects_what_is_not_dynamodb_json() -> None:
    with pytest.raises(ValueError, match="'Q' is not a DynamoDB attribute type"):
        decode_value({"Q": "x"})
    with pytest.raises(ValueError, match="exactly one type"):
        decode_value({})


def test_encode_value_errors() -> None:
    with pytest.raises(InvalidValue, match=r"cannot store this value: .* finite, got nan"):
        encode_value(float("nan"))
    with pytest.raises(InvalidValue, match="cannot store this value: map keys must be str"):
        encode_value({1: 2})
    with pytest.raises(InvalidValue, match="cannot store a value of type object"):
        encode_value(object())
    with pytest.raises(InvalidValue, match=r"this value at Address\.city: expected a str"):
        encode_value(Address.model_construct(city=5))  # type: ignore[arg-type]


# ------------------------------------------------------------------ property tests

UTC_OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone.min])
AWARE = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=UTC_OFFSETS
)
FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: x == 0 or 1e-130 <= abs(x) < 1e126
)
INTS = st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1)


@st.composite
def decimals(draw: st.DrawFn) -> Decimal:
    """Decimals DynamoDB can hold: up to 38 significant digits, magnitude 1e-130..1e126."""
    mantissa = draw(st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1))
    if mantissa == 0:
        return Decimal(0)
    digits = len(str(abs(mantissa)))
    exponent = draw(st.integers(min_value=-130, max_value=125 - digits + 1))
    return Decimal(f"{mantissa}E{exponent}")


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.text() | INTS | st.binary() | st.sets(st.text(), min_size=1),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


class Everything(BaseModel):
    """A model with a field of every type the codec knows."""

    text: str = ""
    number: int = 0
    ratio: float = 0.0
    money: Decimal = Decimal(0)
    flag: bool = False
    numeric_flag: NumericBool = False
    blob: bytes = b""
    moment: datetime | None = None
    expires: EpochSeconds | None = None
    day: date | None = None
    clock: time | None = None
    span: timedelta | None = None
    ident: UUID | None = None
    colour: Colour = Colour.RED
    level: Level = Level.LOW
    status: Status | None = None
    mixed: Mixed | None = None
    choice: Literal["a", "b", 3] = "a"
    either: int | str = 0
    truth_or_count: bool | int = False
    words: set[str] = Field(default_factory=set)
    counts: frozenset[int] = frozenset()
    ratios: set[float] = Field(default_factory=set)
    amounts: set[Decimal] = Field(default_factory=set)
    blobs: set[bytes] = Field(default_factory=set)
    days: set[date] = Field(default_factory=set)
    maybe_numbers: list[int | None] = []
    pair: tuple[int, str] = (0, "")
    numbers: tuple[float, ...] = ()
    table: dict[str, list[Decimal]] = {}
    nested: dict[str, dict[str, bool]] = {}
    by_status: dict[Status, int] = {}
    address: Address | None = None
    addresses: list[Address] = []
    tree: Node | None = None
    anything: Any = None
    alias_field: str = Field("", alias="Alias")


def nodes(depth: int) -> st.SearchStrategy[Node]:
    children = st.lists(nodes(depth - 1), max_size=2) if depth else st.just([])
    return st.builds(Node, name=st.text(), children=children)


EVERYTHING = st.fixed_dictionaries(
    {
        "text": st.text(),
        "number": INTS,
        "ratio": FINITE_FLOATS,
        "money": decimals(),
        "flag": st.booleans(),
        "numeric_flag": st.booleans(),
        "blob": st.binary(),
        "moment": st.none() | AWARE,
        "expires": st.none() | AWARE.map(lambda d: d.replace(microsecond=0)),
        "day": st.none() | st.dates(),
        "clock": st.none() | st.times() | st.times(timezones=UTC_OFFSETS),
        "span": st.none() | st.timedeltas(),
        "ident": st.none() | st.uuids(),
        "colour": st.sampled_from(Colour),
        "level": st.sampled_from(Level),
        "status": st.none() | st.sampled_from(Status),
        "mixed": st.none() | st.sampled_from(Mixed),
        "choice": st.sampled_from(["a", "b", 3]),
        "either": INTS | st.text(),
        "truth_or_count": st.booleans() | INTS,
        "words": st.sets(st.text()),
        "counts": st.frozensets(INTS),
        "ratios": st.sets(FINITE_FLOATS),
        "amounts": st.sets(decimals()),
        "blobs": st.sets(st.binary()),
        "days": st.sets(st.dates()),
        "maybe_numbers": st.lists(st.none() | INTS),
        "pair": st.tuples(INTS, st.text()),
        "numbers": st.lists(FINITE_FLOATS).map(tuple),
        "table": st.dictionaries(st.text(), st.lists(decimals(), max_size=3), max_size=3),
        "nested": st.dictionaries(
            st.text(), st.dictionaries(st.text(), st.booleans(), max_size=3), max_size=3
        ),
        "by_status": st.dictionaries(st.sampled_from(Status), INTS),
        "address": st.none() | st.builds(Address, city=st.text(), postcode=st.none() | st.text()),
        "addresses": st.lists(st.builds(Address, city=st.text()), max_size=3),
        "tree": st.none() | nodes(2),
        "anything": JSON_LIKE,
        "Alias": st.text(),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EVERYTHING)
def test_everything_round_trips(values: dict[str, Any]) -> None:
    instance = Everything.model_validate(values)
    codec = compile_codec(Everything)
    item = codec.encode(instance)
    assert orjson.loads(orjson.dumps(item)) == item
    assert codec.decode(item) == instance
    assert item_size(item) <= len(orjson.dumps(item))
    for name, value in instance.__dict__.items():
        stored = codec.encode_field(name, value)
        assert stored == item.get(codec.attribute_names[name])


@given(AWARE)
def test_datetime_text_matches_the_shared_format(moment: datetime) -> None:
    stored, back = roundtrip(datetime, moment)
    assert stored == {"S": format_datetime(moment)}
    assert back == moment


@given(decimals())
def test_decimals_within_limits_round_trip_exactly(value: Decimal) -> None:
    stored = encode_value(value)
    assert Decimal(stored["N"]) == value
    assert item_size({"n": stored}) <= 1 + 21


@given(FINITE_FLOATS)
def test_floats_round_trip_exactly(value: float) -> None:
    stored, back = roundtrip(float, value)
    assert stored == {"N": repr(value) if value else "0.0"}  # no negative zero
    assert back == value


@given(JSON_LIKE)
def test_generic_values_round_trip(value: Any) -> None:
    encoded = encode_value(value)
    assert orjson.loads(orjson.dumps(encoded)) == encoded
    assert decode_value(encoded) == value
