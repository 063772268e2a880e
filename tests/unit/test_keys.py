"""Tests for dynamap._keys: template parsing, segment encoding, parsing back, prefixes."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from uuid import UUID

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dynamap._keys import DELIMITER, KeyTemplate, TemplateError
from dynamap.errors import InvalidKey, InvalidValue

INT_MAX = 10**20 - 1


class Status(StrEnum):
    ACTIVE = "active"
    ON_HOLD = "on#hold"


class Priority(IntEnum):
    LOW = -1
    HIGH = 7


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Level(Enum):
    ONE = 1
    TWO = 2


CONV = KeyTemplate("CONV#{user}#{ts}#{id}", {"ts": datetime, "id": int})
PAGE = KeyTemplate("PAGE#{id}")
USER_ID = KeyTemplate("CONV#{user}#{id}")

texts = st.text(min_size=1)
key_ints = st.integers(min_value=-INT_MAX, max_value=INT_MAX)
offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
aware_datetimes = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)


def template_error(template: str, field_types: dict[str, type] | None = None) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        KeyTemplate(template, field_types)
    return caught.value


def invalid_key(call: object, *args: object, **kwargs: object) -> str:
    assert callable(call)
    with pytest.raises(InvalidKey) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --- the parsed template --------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "fields", "constant", "literal_prefix", "shape"),
    [
        ("PAGE#{id}", ("id",), False, "PAGE#", "PAGE#{}"),
        ("CONV#{created_at}#{id}", ("created_at", "id"), False, "CONV#", "CONV#{}#{}"),
        ("META#", (), True, "META#", "META#"),
        ("PROFILE", (), True, "PROFILE", "PROFILE"),
        ("{id}", ("id",), False, "", "{}"),
        ("{a}#x-y#{b}#END", ("a", "b"), False, "", "{}#x-y#{}#END"),
        ("v1/{tenant}#doc.{n}", ("tenant", "n"), False, "v1/", "v1/{}#doc.{}"),
    ],
)
def test_parsed_attributes(
    template: str, fields: tuple[str, ...], constant: bool, literal_prefix: str, shape: str
) -> None:
    parsed = KeyTemplate(template)
    assert parsed.template == template
    assert parsed.fields == fields
    assert parsed.is_constant is constant
    assert parsed.literal_prefix == literal_prefix
    assert parsed.shape == shape


def test_shape_ignores_field_names_and_types() -> None:
    assert KeyTemplate("A#{x}", {"x": int}).shape == KeyTemplate("A#{y}").shape


def test_field_types_default_to_str_and_ignore_extra_entries() -> None:
    parsed = KeyTemplate("A#{x}#{y}", {"y": int, "other": float})
    assert dict(parsed.field_types) == {"x": str, "y": int}


def test_delimiter_is_hash() -> None:
    assert DELIMITER == "#"


def test_immutable() -> None:
    with pytest.raises(AttributeError):
        PAGE.template = "X#{id}"
    with pytest.raises(AttributeError):
        del PAGE.fields
    with pytest.raises(AttributeError):
        PAGE.extra = 1


def test_equality_hash_repr_and_pickle() -> None:
    same = KeyTemplate("CONV#{user}#{ts}#{id}", {"ts": datetime, "id": int})
    assert same == CONV
    assert hash(same) == hash(CONV)
    assert KeyTemplate("CONV#{user}#{ts}#{id}") != CONV
    assert PAGE != "PAGE#{id}"
    assert repr(PAGE) == "KeyTemplate('PAGE#{id}')"
    restored = pickle.loads(pickle.dumps(CONV))
    assert restored == CONV
    assert restored.format(user="u", ts=datetime(2024, 1, 1, tzinfo=UTC), id=1) == CONV.format(
        user="u", ts=datetime(2024, 1, 1, tzinfo=UTC), id=1
    )
    assert copy.deepcopy(CONV) == CONV


# --- template errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("PAGE#{id", "never closed"),
        ("PAGE#id}", "closes nothing"),
        ("PAGE#}{id}", "closes nothing"),
        ("{a{b}}", "never closed"),
        ("PAGE#{id}}", "closes nothing"),
    ],
)
def test_unbalanced_braces(template: str, needle: str) -> None:
    error = template_error(template)
    assert "unbalanced braces" in error.reason
    assert needle in str(error)
    assert template in str(error)


def test_empty_placeholder() -> None:
    error = template_error("PAGE#{}")
    assert "empty placeholder" in error.reason
    assert error.field is None


@pytest.mark.parametrize("name", ["1a", "a-b", " id ", "a.b", "id!"])
def test_placeholder_must_be_identifier(name: str) -> None:
    error = template_error(f"PAGE#{{{name}}}")
    assert error.field == name
    assert "identifier" in error.reason


def test_field_twice() -> None:
    error = template_error("A#{id}#{id}")
    assert error.field == "id"
    assert "twice" in error.reason


def test_adjacent_placeholders() -> None:
    error = template_error("A#{a}{b}")
    assert error.field == "b"
    assert "{a}" in error.reason and "{b}" in error.reason
    assert "'#'" in error.reason


def test_placeholders_separated_without_hash() -> None:
    # "x-y" for a and "z" for b would give the same key as "x" and "y-z".
    error = template_error("A#{a}-{b}")
    assert error.field == "b"
    assert "'-'" in error.reason
    assert "'#'" in error.reason


def test_empty_template() -> None:
    error = template_error("")
    assert error.field is None
    assert "empty" in error.reason


@pytest.mark.parametrize(
    ("field_type", "needles"),
    [
        (float, ["float", "use int", "str"]),
        (Decimal, ["Decimal", "use int", "str"]),
        (bool, ["bool", "str or int field"]),
        (bytes, ["bytes", "str, int, datetime, date, UUID or an Enum"]),
        (list, ["list"]),
    ],
)
def test_unsupported_field_type(field_type: type, needles: list[str]) -> None:
    error = template_error("ITEM#{price}", {"price": field_type})
    assert isinstance(error, ValueError)
    assert error.field == "price"
    assert "'price'" in error.reason
    for needle in needles:
        assert needle in error.reason


def test_field_type_that_is_not_a_class() -> None:
    error = template_error("ITEM#{n}", {"n": int | None})  # type: ignore[dict-item]
    assert error.field == "n"
    assert "not a class" in error.reason


class Floats(Enum):
    A = 1.5


class Flags(Enum):
    YES = True


class Blank(Enum):
    NOTHING = ""


class Huge(IntEnum):
    BIG = 10**20


class Clash(Enum):
    TEXT = "00000000000000000001"
    NUMBER = 1


@pytest.mark.parametrize(
    ("enum_type", "needles"),
    [
        (Floats, ["Floats.A", "float", "str or int"]),
        (Flags, ["Flags.YES", "bool"]),
        (Blank, ["Blank.NOTHING", "empty string"]),
        (Huge, ["Huge.BIG", "out of range"]),
        (Clash, ["Clash", "encode the same"]),
    ],
)
def test_enum_with_unusable_values(enum_type: type[Enum], needles: list[str]) -> None:
    error = template_error("E#{e}", {"e": enum_type})
    assert error.field == "e"
    assert "'e'" in error.reason
    for needle in needles:
        assert needle in error.reason


def test_template_error_message_and_attributes() -> None:
    error = template_error("ITEM#{price}", {"price": float})
    assert error.template == "ITEM#{price}"
    assert str(error).startswith("invalid key template 'ITEM#{price}': ")
    assert error.reason in str(error)


# --- str segments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("abc", "PAGE#abc"),
        ("a#b", "PAGE#a%23b"),
        ("50%", "PAGE#50%25"),
        ("%23", "PAGE#%2523"),
        ("#", "PAGE#%23"),
        ("MiXeD", "PAGE#MiXeD"),
        ("a/b c:d-é✓", "PAGE#a/b c:d-é✓"),
    ],
)
def test_str_escaping(value: str, key: str) -> None:
    assert PAGE.format(id=value) == key
    assert PAGE.parse(key) == {"id": value}


def test_escaped_value_does_not_collide_with_other_keys() -> None:
    assert USER_ID.format(user="a#b", id="c") != USER_ID.format(user="a", id="b#c")
    assert USER_ID.format(user="a#b", id="c") == "CONV#a%23b#c"


def test_empty_str_is_rejected() -> None:
    message = invalid_key(PAGE.format, id="")
    assert "'id'" in message and "empty" in message


def test_str_field_accepts_str_enum_member_by_its_value() -> None:
    assert PAGE.format(id=Status.ON_HOLD) == "PAGE#on%23hold"


def test_wrong_type_for_str_field() -> None:
    message = invalid_key(PAGE.format, id=5)
    assert "'id'" in message and "expects str, got int" in message
    assert "got None" in invalid_key(PAGE.format, id=None)


def test_single_placeholder_template() -> None:
    bare = KeyTemplate("{id}")
    assert bare.format(id="a#b") == "a%23b"
    assert bare.parse("a%23b") == {"id": "a#b"}
    assert bare.prefix() == ""
    assert not bare.matches("a#b")


# --- int segments ---------------------------------------------------------------------

NUMBER = KeyTemplate("N#{n}", {"n": int})


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        (0, "00000000000000000000"),
        (42, "00000000000000000042"),
        (INT_MAX, "99999999999999999999"),
        (-1, "-99999999999999999999"),
        (-42, "-99999999999999999958"),
        (-INT_MAX, "-00000000000000000001"),
    ],
)
def test_int_encoding(value: int, segment: str) -> None:
    assert NUMBER.format(n=value) == f"N#{segment}"
    parsed = NUMBER.parse(f"N#{segment}")
    assert parsed == {"n": value}
    assert type(parsed["n"]) is int


@pytest.mark.parametrize("value", [10**20, -(10**20), 10**30, -(10**25)])
def test_int_out_of_range(value: int) -> None:
    message = invalid_key(NUMBER.format, n=value)
    assert "'n'" in message and "out of range" in message


@pytest.mark.parametrize("value", [True, False, "5", 5.0, Decimal(5), None])
def test_int_field_rejects_other_types(value: object) -> None:
    message = invalid_key(NUMBER.format, n=value)
    assert "'n'" in message and "expects int" in message


def test_int_field_accepts_int_enum_member_as_plain_int() -> None:
    assert NUMBER.format(n=Priority.HIGH) == NUMBER.format(n=7)


@pytest.mark.parametrize(
    "segment",
    [
        "42",
        "+0000000000000000042",
        "000000000000000000042",
        "-00000000000000000000",
        "--9999999999999999999",
        "0000000000000000004a",
        "0000000000000000000٣",
        "0000000000000000_042",
        " 0000000000000000042",
        "-",
    ],
)
def test_int_parse_is_exact(segment: str) -> None:
    message = invalid_key(NUMBER.parse, f"N#{segment}")
    assert "'n'" in message
    assert not NUMBER.matches(f"N#{segment}")


# --- datetime, date, UUID segments ----------------------------------------------------

WHEN = KeyTemplate("T#{at}", {"at": datetime})
DAY = KeyTemplate("D#{day}", {"day": date})
IDENT = KeyTemplate("U#{uid}", {"uid": UUID})


def test_datetime_is_fixed_width_utc() -> None:
    moment = datetime(2024, 3, 15, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert WHEN.format(at=moment) == "T#2024-03-15T12:00:00.000000Z"
    parsed = WHEN.parse("T#2024-03-15T12:00:00.000000Z")["at"]
    assert parsed == moment
    assert isinstance(parsed, datetime) and parsed.tzinfo == UTC


def test_a_naive_datetime_is_refused_since_it_would_read_back_aware() -> None:
    message = invalid_key(WHEN.format, at=datetime(2024, 3, 15, 12))
    assert "'at'" in message and "naive datetime" in message


def test_datetime_out_of_range() -> None:
    moment = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    message = invalid_key(WHEN.format, at=moment)
    assert "'at'" in message and "out of range" in message


def test_early_years_are_zero_padded_and_sort() -> None:
    early, late = datetime(999, 12, 31, 23, tzinfo=UTC), datetime(1000, 1, 1, tzinfo=UTC)
    assert WHEN.format(at=early) == "T#0999-12-31T23:00:00.000000Z"
    assert WHEN.parse(WHEN.format(at=early)) == {"at": early}
    assert WHEN.format(at=early) < WHEN.format(at=late)


@pytest.mark.parametrize("value", [date(2024, 3, 15), "2024-03-15T12:00:00.000000Z", 0])
def test_datetime_field_rejects_other_types(value: object) -> None:
    assert "expects datetime" in invalid_key(WHEN.format, at=value)


@pytest.mark.parametrize(
    "segment",
    [
        "2024-03-15T12:00:00Z",
        "2024-03-15T12:00:00.000000+00:00",
        "2024-03-15T14:00:00.000000+02:00",
        "2024-03-15 12:00:00.000000Z",
        "2024-03-15",
        "yesterday",
    ],
)
def test_datetime_parse_is_exact(segment: str) -> None:
    assert "'at'" in invalid_key(WHEN.parse, f"T#{segment}")


def test_date_round_trip_and_errors() -> None:
    assert DAY.format(day=date(2024, 3, 5)) == "D#2024-03-05"
    assert DAY.format(day=date(5, 1, 2)) == "D#0005-01-02"
    assert DAY.parse("D#2024-03-05") == {"day": date(2024, 3, 5)}
    assert "expects date" in invalid_key(DAY.format, day=datetime(2024, 3, 5))
    assert "expects date" in invalid_key(DAY.format, day="2024-03-05")
    for segment in ["20240305", "2024-3-5", "2024-W10-2", "2024-13-01"]:
        assert "'day'" in invalid_key(DAY.parse, f"D#{segment}")


def test_uuid_round_trip_and_errors() -> None:
    uid = UUID("12345678-9abc-def0-1234-56789abcdef0")
    assert IDENT.format(uid=uid) == "U#12345678-9abc-def0-1234-56789abcdef0"
    assert IDENT.parse("U#12345678-9abc-def0-1234-56789abcdef0") == {"uid": uid}
    assert "expects UUID" in invalid_key(IDENT.format, uid=str(uid))
    for segment in [str(uid).upper(), uid.hex, f"{{{uid}}}", f"urn:uuid:{uid}", "nope"]:
        assert "'uid'" in invalid_key(IDENT.parse, f"U#{segment}")


# --- Enum segments --------------------------------------------------------------------


def test_str_enum_segments() -> None:
    template = KeyTemplate("S#{status}", {"status": Status})
    assert template.format(status=Status.ON_HOLD) == "S#on%23hold"
    assert template.parse("S#on%23hold") == {"status": Status.ON_HOLD}
    assert template.parse("S#active")["status"] is Status.ACTIVE


def test_int_enum_segments_keep_numeric_order() -> None:
    template = KeyTemplate("P#{p}", {"p": Priority})
    assert template.format(p=Priority.LOW) == "P#-99999999999999999999"
    assert template.parse("P#00000000000000000007")["p"] is Priority.HIGH
    assert template.format(p=Priority.LOW) < template.format(p=Priority.HIGH)


def test_plain_enum_segments() -> None:
    colours = KeyTemplate("C#{c}", {"c": Colour})
    levels = KeyTemplate("L#{l}", {"l": Level})
    assert colours.format(c=Colour.BLUE) == "C#blue"
    assert colours.parse("C#red") == {"c": Colour.RED}
    assert levels.format(l=Level.TWO) == "L#00000000000000000002"
    assert levels.parse("L#00000000000000000001") == {"l": Level.ONE}


def test_enum_accepts_the_exact_raw_value_of_a_member() -> None:
    colours = KeyTemplate("C#{c}", {"c": Colour})
    levels = KeyTemplate("L#{l}", {"l": Level})
    assert colours.format(c="red") == "C#red"
    assert levels.format(l=2) == "L#00000000000000000002"


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("green", "is not a value of Colour"),
        (Status.ACTIVE, "expects Colour, got Status"),
        (Level.ONE, "expects Colour, got Level"),
        (None, "expects Colour, got None"),
        (1.0, "expects Colour, got float"),
    ],
)
def test_enum_rejects_non_members(value: object, needle: str) -> None:
    colours = KeyTemplate("C#{c}", {"c": Colour})
    message = invalid_key(colours.format, c=value)
    assert "'c'" in message and needle in message


def test_int_valued_enum_rejects_bool() -> None:
    levels = KeyTemplate("L#{l}", {"l": Level})
    assert "expects Level, got bool" in invalid_key(levels.format, l=True)


def test_enum_parse_rejects_unknown_segment() -> None:
    colours = KeyTemplate("C#{c}", {"c": Colour})
    assert "is not a value of Colour" in invalid_key(colours.parse, "C#green")
    assert "is not a value of Colour" in invalid_key(colours.parse, "C#RED")


# --- format ---------------------------------------------------------------------------


def test_format_full_template() -> None:
    key = CONV.format(user="alice", ts=datetime(2024, 1, 2, tzinfo=UTC), id=7)
    assert key == "CONV#alice#2024-01-02T00:00:00.000000Z#00000000000000000007"


def test_constant_template() -> None:
    meta = KeyTemplate("META#")
    assert meta.format() == "META#"
    assert meta.format_mapping({"anything": 1}) == "META#"
    assert meta.parse("META#") == {}
    assert meta.prefix() == "META#"
    assert meta.matches("META#")
    assert not meta.matches("META#x")
    assert "'x'" in invalid_key(meta.format, x=1)


def test_format_missing_fields_are_named() -> None:
    message = invalid_key(CONV.format, user="alice")
    assert "'ts'" in message and "'id'" in message
    assert "'user'" not in message.split("needs")[1]


def test_format_unknown_field_is_named() -> None:
    message = invalid_key(PAGE.format, id="x", ide="y")
    assert "'ide'" in message and "['id']" in message


def test_format_mapping_ignores_extra_entries() -> None:
    values = {"id": "x", "title": "Hello", "views": 3}
    assert PAGE.format_mapping(values) == "PAGE#x"


def test_format_mapping_missing_field() -> None:
    assert "'id'" in invalid_key(PAGE.format_mapping, {"title": "x"})


def test_invalid_key_is_an_invalid_value() -> None:
    with pytest.raises(InvalidValue):
        PAGE.format()


# --- parse / matches ------------------------------------------------------------------


def test_parse_exact_matches() -> None:
    assert PAGE.parse("PAGE#a%23b") == {"id": "a#b"}
    assert USER_ID.parse("CONV#a%23b#c%25") == {"user": "a#b", "id": "c%"}


@pytest.mark.parametrize(
    "key",
    [
        "NODE#x",
        "PAGE#",
        "PAGE",
        "page#x",
        "PAGE#a#b",
        "XPAGE#a",
        "",
    ],
)
def test_parse_rejects_foreign_keys(key: str) -> None:
    message = invalid_key(PAGE.parse, key)
    assert "PAGE#{id}" in message
    assert not PAGE.matches(key)


@pytest.mark.parametrize("key", ["CONV#a#b#c", "CONV#a##c", "CONV#a#b#", "CONV##b", "CONV#a"])
def test_parse_rejects_raw_delimiters_in_segments(key: str) -> None:
    invalid_key(USER_ID.parse, key)
    assert not USER_ID.matches(key)


@pytest.mark.parametrize("segment", ["%", "%2", "%41", "a%2x", "%2g", "%%23", "%2523%"])
def test_parse_rejects_invalid_escapes(segment: str) -> None:
    message = invalid_key(PAGE.parse, f"PAGE#{segment}")
    assert "'id'" in message and "escape" in message


def test_parse_of_non_str_key() -> None:
    invalid_key(PAGE.parse, 5)
    assert not PAGE.matches(None)  # type: ignore[arg-type]


def test_parse_with_suffix_literal() -> None:
    template = KeyTemplate("A#{x}#END", {"x": int})
    key = template.format(x=3)
    assert key == "A#00000000000000000003#END"
    assert template.parse(key) == {"x": 3}
    assert not template.matches("A#00000000000000000003#END#")
    assert template.prefix(x=3) == key


def test_parse_literals_are_not_regex() -> None:
    template = KeyTemplate("a.b+(c)#{x}")
    assert template.parse("a.b+(c)#v") == {"x": "v"}
    assert not template.matches("aXb+(c)#v")


def test_matches() -> None:
    key = CONV.format(user="u", ts=datetime(2024, 1, 1, tzinfo=UTC), id=1)
    assert CONV.matches(key)
    assert not CONV.matches(key.replace("00000000000000000001", "1"))
    assert not CONV.matches("CONV#u#yesterday#00000000000000000001")


# --- prefix ---------------------------------------------------------------------------


def test_prefix_leading_runs() -> None:
    moment = datetime(2024, 1, 2, tzinfo=UTC)
    assert CONV.prefix() == "CONV#"
    assert CONV.prefix(user="a") == "CONV#a#"
    assert CONV.prefix(user="a", ts=moment) == "CONV#a#2024-01-02T00:00:00.000000Z#"
    assert CONV.prefix(user="a", ts=moment, id=1) == CONV.format(user="a", ts=moment, id=1)


def test_prefix_keeps_the_whole_literal_between_fields() -> None:
    template = KeyTemplate("{a}#x-y#{b}")
    assert template.prefix(a="1") == "1#x-y#"


def test_prefix_escapes_values() -> None:
    assert CONV.prefix(user="a#b") == "CONV#a%23b#"


def test_prefix_does_not_leak_to_similar_users() -> None:
    moment = datetime(2024, 1, 2, tzinfo=UTC)
    prefix = CONV.prefix(user="a")
    for other in ["a#x", "ab", "a%", "a#", "%23"]:
        assert not CONV.format(user=other, ts=moment, id=1).startswith(prefix)
    assert CONV.format(user="a", ts=moment, id=1).startswith(prefix)


@pytest.mark.parametrize(
    ("values", "given", "skipped"),
    [
        ({"ts": datetime(2024, 1, 1)}, "'ts'", "'user'"),
        ({"id": 1}, "'id'", "'user'"),
        ({"user": "a", "id": 1}, "'id'", "'ts'"),
    ],
)
def test_prefix_requires_leading_fields(
    values: dict[str, object], given: str, skipped: str
) -> None:
    message = invalid_key(CONV.prefix, **values)
    assert f"{given} was given without {skipped}" in message
    assert "['user', 'ts', 'id']" in message


def test_prefix_unknown_field_and_bad_value() -> None:
    assert "'nope'" in invalid_key(CONV.prefix, nope=1)
    assert "'user'" in invalid_key(CONV.prefix, user="")
    assert "expects datetime" in invalid_key(CONV.prefix, user="a", ts="2024")


# --- properties -----------------------------------------------------------------------


@given(texts)
def test_str_round_trip(value: str) -> None:
    key = PAGE.format(id=value)
    assert PAGE.parse(key) == {"id": value}
    assert PAGE.matches(key)
    assert key.count("#") == 1


@given(texts, texts)
def test_str_injective(first: str, second: str) -> None:
    assume(first != second)
    assert PAGE.format(id=first) != PAGE.format(id=second)


@given(texts, texts, texts, texts)
def test_two_field_injective(user1: str, id1: str, user2: str, id2: str) -> None:
    assume((user1, id1) != (user2, id2))
    assert USER_ID.format(user=user1, id=id1) != USER_ID.format(user=user2, id=id2)


@given(texts, texts, aware_datetimes, key_ints)
def test_prefix_safety(user1: str, user2: str, moment: datetime, number: int) -> None:
    assume(user1 != user2)
    key = CONV.format(user=user2, ts=moment, id=number)
    assert not key.startswith(CONV.prefix(user=user1))
    assert key.startswith(CONV.prefix(user=user2))


@given(texts, aware_datetimes, aware_datetimes, key_ints)
def test_prefix_safety_second_level(
    user: str, first: datetime, second: datetime, number: int
) -> None:
    assume(first != second)
    key = CONV.format(user=user, ts=second, id=number)
    assert not key.startswith(CONV.prefix(user=user, ts=first))
    assert key.startswith(CONV.prefix(user=user, ts=second))


@given(texts, aware_datetimes, key_ints)
def test_full_round_trip(user: str, moment: datetime, number: int) -> None:
    parsed = CONV.parse(CONV.format(user=user, ts=moment, id=number))
    assert parsed == {"user": user, "ts": moment, "id": number}
    assert isinstance(parsed["ts"], datetime) and parsed["ts"].tzinfo == UTC


@given(st.lists(key_ints, min_size=2))
def test_int_order_preserved(numbers: list[int]) -> None:
    encoded = {number: NUMBER.format(n=number) for number in numbers}
    assert sorted(numbers, key=encoded.__getitem__) == sorted(numbers)
    for number, key in encoded.items():
        assert NUMBER.parse(key) == {"n": number}


@given(st.lists(aware_datetimes, min_size=2))
def test_datetime_order_preserved(moments: list[datetime]) -> None:
    keys = [WHEN.format(at=moment) for moment in moments]
    assert sorted(moments, key=lambda m: WHEN.format(at=m)) == sorted(moments)
    assert len(set(keys)) == len(set(moments))


@given(st.text())
def test_parse_accepts_only_canonical_keys(suffix: str) -> None:
    # Whatever a key looks like, either it is rejected or it is exactly what format makes.
    for template in (PAGE, USER_ID, NUMBER, CONV, WHEN, DAY, IDENT):
        key = template.literal_prefix + suffix
        try:
            values = template.parse(key)
        except InvalidKey:
            assert not template.matches(key)
            continue
        assert template.format(**values) == key
