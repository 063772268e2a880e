"""Tests for dynamap.expressions: exact expression strings and placeholder maps."""

from __future__ import annotations

import dataclasses
import re
import sys
import types
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynamap.errors import InvalidKey, InvalidValue
from dynamap.expressions import (
    ATTRIBUTE_TYPES,
    And,
    Condition,
    F,
    KeyCondition,
    Not,
    Parameters,
    Path,
    SortCondition,
    Update,
    key_condition,
    projection,
)


def encode(value: object) -> dict[str, Any]:
    """A small stand-in for the real codec, so these tests do not depend on it."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, list | tuple):
        return {"L": [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"M": {key: encode(item) for key, item in value.items()}}
    if isinstance(value, set | frozenset):
        if all(isinstance(item, str) for item in value):
            return {"SS": sorted(value)}
        return {"NS": sorted(str(item) for item in value)}
    raise TypeError(f"cannot encode {value!r}")


def params() -> Parameters:
    return Parameters(encode)


def render(node: Condition | KeyCondition | Update) -> tuple[str, dict[str, str], dict[str, Any]]:
    p = params()
    text = node.encode(p)
    return text, p.names(), p.values()


def text_of(node: Condition | KeyCondition | Update) -> str:
    return render(node)[0]


# -- Parameters -----------------------------------------------------------------------


def test_names_get_numbered_placeholders_and_reuse_them() -> None:
    p = params()
    assert [p.name("a"), p.name("b"), p.name("a"), p.name("c")] == ["#n0", "#n1", "#n0", "#n2"]
    assert p.names() == {"#n0": "a", "#n1": "b", "#n2": "c"}


def test_values_are_encoded_at_once_and_never_shared() -> None:
    p = params()
    assert [p.value("x"), p.value("x"), p.value(3)] == [":v0", ":v1", ":v2"]
    assert p.values() == {":v0": {"S": "x"}, ":v1": {"S": "x"}, ":v2": {"N": "3"}}


def test_encoder_errors_propagate() -> None:
    with pytest.raises(TypeError, match="cannot encode"):
        params().value(object())


@pytest.mark.parametrize("bad", ["", None, 3])
def test_empty_or_non_string_attribute_names_are_rejected(bad: Any) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        params().name(bad)


def test_maps_are_copies() -> None:
    p = params()
    p.name("a")
    p.value(1)
    p.names().clear()
    p.values().clear()
    assert p.names() == {"#n0": "a"}
    assert p.values() == {":v0": {"N": "1"}}


def test_apply_leaves_out_empty_maps() -> None:
    p = params()
    assert p.apply({"TableName": "t"}) == {"TableName": "t"}
    p.name("a")
    assert p.apply({}) == {"ExpressionAttributeNames": {"#n0": "a"}}
    p.value("x")
    request: dict[str, Any] = {"TableName": "t"}
    assert p.apply(request) is request
    assert request == {
        "TableName": "t",
        "ExpressionAttributeNames": {"#n0": "a"},
        "ExpressionAttributeValues": {":v0": {"S": "x"}},
    }


def test_values_only_request_gets_only_values() -> None:
    p = params()
    p.value(1)
    assert p.apply({}) == {"ExpressionAttributeValues": {":v0": {"N": "1"}}}


def test_default_encoder_is_the_codec_looked_up_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = types.ModuleType("dynamap._codec")
    fake.encode_value = lambda value: {"S": f"codec:{value}"}  # type: ignore[attr-defined]
    p = Parameters()  # must not need the codec yet
    monkeypatch.setitem(sys.modules, "dynamap._codec", fake)
    assert p.value("x") == ":v0"
    assert p.values() == {":v0": {"S": "codec:x"}}


# -- paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a", ("a",)),
        ("a.b.c", ("a", "b", "c")),
        ("a.b[0].c", ("a", "b", 0, "c")),
        ("matrix[1][22]", ("matrix", 1, 22)),
        ("a#b.c d", ("a#b", "c d")),
        ("ünï.côdé", ("ünï", "côdé")),
    ],
)
def test_paths_parse(text: str, segments: tuple[str | int, ...]) -> None:
    assert F(text).segments == segments
    assert str(F(text)) == text


@pytest.mark.parametrize("text", ["", ".", "a.", ".a", "a..b", "[0]", "a.[0]", "a[-1]", "a[x]",
                                  "a[0]b", "a]", "a[", "a[]", "a[ 0]", "a[٣]"])
def test_malformed_paths_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="invalid attribute path"):
        F(text)


def test_path_must_be_a_string() -> None:
    with pytest.raises(TypeError):
        F(3)  # type: ignore[arg-type]


def test_path_encodes_names_and_indexes() -> None:
    p = params()
    assert F("a.b[0].c").encode(p) == "#n0.#n1[0].#n2"
    assert p.names() == {"#n0": "a", "#n1": "b", "#n2": "c"}


def test_repeated_names_in_a_path_reuse_the_placeholder() -> None:
    p = params()
    assert F("a.a[1].a").encode(p) == "#n0.#n0[1].#n0"
    assert p.names() == {"#n0": "a"}


def test_indexing_builds_paths() -> None:
    assert F("a")["b"][0]["x.y"].segments == ("a", "b", 0, "x.y")
    assert F("a")[3] == F("a[3]")


def test_names_with_dots_and_hashes_are_single_segments() -> None:
    text, names, _ = render(F.attr("weird.name") == 1)
    assert (text, names) == ("#n0 = :v0", {"#n0": "weird.name"})
    text, names, _ = render(F("a")["#x.y[0]"] == 1)
    assert (text, names) == ("#n0.#n1 = :v0", {"#n0": "a", "#n1": "#x.y[0]"})
    assert Path.attr("a.b").segments == ("a.b",)


def test_bad_segments_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        F("a")[-1]
    with pytest.raises(ValueError, match="empty"):
        F("a")[""]
    with pytest.raises(ValueError, match="empty"):
        F.attr("")
    with pytest.raises(TypeError):
        F("a")[True]
    with pytest.raises(TypeError):
        F("a")[1.5]  # type: ignore[index]
    with pytest.raises(ValueError, match="start with an attribute name"):
        Path((0,))
    with pytest.raises(ValueError, match="start with an attribute name"):
        Path(())


def test_paths_compare_structurally_as_dict_keys() -> None:
    assert F("a.b") == F("a")["b"]
    assert F("a") != F("b")
    assert bool(F("a") == F("b")) is False
    assert F("a").size() == F("a").size()
    assert bool(F("a") == F("a").size()) is False
    lookup = {F("a[0]"): 1, F("b"): 2}
    assert lookup[F("a")[0]] == 1
    assert F("b") in lookup
    assert hash(F("x.y")) == hash(F("x")["y"])


def test_paths_and_nodes_are_frozen_slotted_dataclasses() -> None:
    path = F("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        path.segments = ("b",)  # type: ignore[misc]
    assert not hasattr(path, "__dict__")
    assert not hasattr(F("a") == 1, "__dict__")


# -- conditions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (F("a") == 1, "#n0 = :v0"),
        (F("a") != 1, "#n0 <> :v0"),
        (F("a") < 1, "#n0 < :v0"),
        (F("a") <= 1, "#n0 <= :v0"),
        (F("a") > 1, "#n0 > :v0"),
        (F("a") >= 1, "#n0 >= :v0"),
        (1 < F("a"), "#n0 > :v0"),  # noqa: SIM300 (reflected: F("a").__gt__(1))
        (F("a").between(1, 9), "#n0 BETWEEN :v0 AND :v1"),
        (F("a").begins_with("x"), "begins_with(#n0, :v0)"),
        (F("a").contains("x"), "contains(#n0, :v0)"),
        (F("a").exists(), "attribute_exists(#n0)"),
        (F("a").not_exists(), "attribute_not_exists(#n0)"),
        (F("a").attribute_type("SS"), "attribute_type(#n0, :v0)"),
        (F("a").size() >= 3, "size(#n0) >= :v0"),
        (F("a").size().between(1, 2), "size(#n0) BETWEEN :v0 AND :v1"),
        (F("a").size().is_in(1, 2), "size(#n0) IN (:v0, :v1)"),
    ],
)
def test_every_operator(condition: Condition, expected: str) -> None:
    assert text_of(condition) == expected


def test_comparison_maps() -> None:
    assert render(F("a.b[2]") <= Decimal("1.5")) == (
        "#n0.#n1[2] <= :v0",
        {"#n0": "a", "#n1": "b"},
        {":v0": {"N": "1.5"}},
    )


def test_comparing_paths_compares_attributes() -> None:
    assert render(F("a") < F("b.c")) == ("#n0 < #n1.#n2", {"#n0": "a", "#n1": "b", "#n2": "c"}, {})
    assert text_of(F("a").size() > F("b").size()) == "size(#n0) > size(#n1)"
    assert text_of(F("a").contains(F("b"))) == "contains(#n0, #n1)"
    assert text_of(F("a").between(F("lo"), F("hi"))) == "#n0 BETWEEN #n1 AND #n2"


def test_none_is_an_ordinary_value() -> None:
    assert render(F("a").__eq__(None))[2] == {":v0": {"NULL": True}}


def test_is_in_maps_and_limits() -> None:
    assert render(F("status").is_in("a", "b", "c")) == (
        "#n0 IN (:v0, :v1, :v2)",
        {"#n0": "status"},
        {":v0": {"S": "a"}, ":v1": {"S": "b"}, ":v2": {"S": "c"}},
    )
    hundred = F("a").is_in(*range(100))
    assert text_of(hundred).endswith(":v98, :v99)")
    for count in (0, 101):
        with pytest.raises(InvalidValue, match="1 to 100"):
            F("a").is_in(*range(count))
    with pytest.raises(ValueError):  # InvalidValue is a ValueError
        F("a").is_in()


def test_attribute_type_values() -> None:
    for type_name in sorted(ATTRIBUTE_TYPES):
        assert render(F("a").attribute_type(type_name))[2] == {":v0": {"S": type_name}}
    for bad in ("s", "STRING", "", "MAP"):
        with pytest.raises(ValueError, match="unknown attribute type"):
            F("a").attribute_type(bad)


def test_reserved_words_go_through_placeholders() -> None:
    condition = (
        (F("name") == "x")
        & (F("status") != "gone")
        & (F("size").size() > 0)
        & F("type").attribute_type("S")
        & F("data.count").exists()
    )
    text, names, _ = render(condition)
    assert text == (
        "#n0 = :v0 AND #n1 <> :v1 AND size(#n2) > :v2 AND attribute_type(#n3, :v3)"
        " AND attribute_exists(#n4.#n5)"
    )
    assert names == {
        "#n0": "name", "#n1": "status", "#n2": "size", "#n3": "type", "#n4": "data",
        "#n5": "count",
    }


def test_names_reuse_placeholders_across_a_condition() -> None:
    text, names, values = render((F("a") > 1) & (F("a") < 5) & (F("b.a") == 2))
    assert text == "#n0 > :v0 AND #n0 < :v1 AND #n1.#n0 = :v2"
    assert names == {"#n0": "a", "#n1": "b"}
    assert len(values) == 3


A, B, C, D = (F("a") == 1), (F("b") == 2), (F("c") == 3), (F("d") == 4)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (A & B, "#n0 = :v0 AND #n1 = :v1"),
        (A | B, "#n0 = :v0 OR #n1 = :v1"),
        (~A, "NOT #n0 = :v0"),
        (A & B & C, "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2"),
        (A | B | C, "#n0 = :v0 OR #n1 = :v1 OR #n2 = :v2"),
        (A & (B | C), "#n0 = :v0 AND (#n1 = :v1 OR #n2 = :v2)"),
        ((A | B) & C, "(#n0 = :v0 OR #n1 = :v1) AND #n2 = :v2"),
        ((A & B) | C, "#n0 = :v0 AND #n1 = :v1 OR #n2 = :v2"),
        (A | (B & C), "#n0 = :v0 OR #n1 = :v1 AND #n2 = :v2"),
        ((A | B) & (C | D), "(#n0 = :v0 OR #n1 = :v1) AND (#n2 = :v2 OR #n3 = :v3)"),
        (~(A & B), "NOT (#n0 = :v0 AND #n1 = :v1)"),
        (~(A | B), "NOT (#n0 = :v0 OR #n1 = :v1)"),
        (~(A | B) & C, "NOT (#n0 = :v0 OR #n1 = :v1) AND #n2 = :v2"),
        (A | ~B, "#n0 = :v0 OR NOT #n1 = :v1"),
        (~A & ~B, "NOT #n0 = :v0 AND NOT #n1 = :v1"),
        (~F("a").exists(), "NOT attribute_exists(#n0)"),
        (Not(Not(A)), "NOT (NOT #n0 = :v0)"),
        (~(F("a").between(1, 2)) & B, "NOT #n0 BETWEEN :v0 AND :v1 AND #n1 = :v2"),
        (A & (B & C), "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2"),
    ],
)
def test_boolean_operators_parenthesise_by_precedence(condition: Condition, expected: str) -> None:
    assert text_of(condition) == expected


def test_and_or_flatten() -> None:
    combined = A & B & (C & D)
    assert isinstance(combined, And)
    assert len(combined.operands) == 4


def test_double_negation_cancels() -> None:
    assert ~~A is A


def test_conditions_have_no_truth_value() -> None:
    with pytest.raises(TypeError, match="no truth value"):
        bool(A)
    with pytest.raises(TypeError, match="no truth value"):
        A and B  # noqa: B018
    with pytest.raises(TypeError, match="no truth value"):
        1 < F("a") < 3  # noqa: B015
    with pytest.raises(TypeError, match="no truth value"):
        bool(F("a") == 1)
    with pytest.raises(TypeError, match="no truth value"):
        bool(F("a") < F("b"))


def test_conditions_combine_only_with_conditions() -> None:
    with pytest.raises(TypeError):
        A & True  # type: ignore[operator]
    with pytest.raises(TypeError):
        A | 1  # type: ignore[operator]


def test_a_tree_encodes_again_with_fresh_parameters() -> None:
    condition = (F("a") == 1) & F("b").exists()
    assert render(condition) == render(condition)


def test_parameters_are_shared_across_expressions_of_one_request() -> None:
    p = params()
    update = Update().set("a", 1).encode(p)
    condition = (F("a") == 0).encode(p)
    assert (update, condition) == ("SET #n0 = :v0", "#n0 = :v1")
    assert p.names() == {"#n0": "a"}


# -- key conditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, "#n0 = :v0"),
        (SortCondition.eq("SK", "x"), "#n0 = :v0 AND #n1 = :v1"),
        (SortCondition.lt("SK", "x"), "#n0 = :v0 AND #n1 < :v1"),
        (SortCondition.lte("SK", "x"), "#n0 = :v0 AND #n1 <= :v1"),
        (SortCondition.gt("SK", "x"), "#n0 = :v0 AND #n1 > :v1"),
        (SortCondition.gte("SK", "x"), "#n0 = :v0 AND #n1 >= :v1"),
        (SortCondition.between("SK", "a", "b"), "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"),
        (SortCondition.begins_with("SK", "NODE#"), "#n0 = :v0 AND begins_with(#n1, :v1)"),
    ],
)
def test_key_conditions(sort: SortCondition | None, expected: str) -> None:
    assert text_of(key_condition("PK", "USER#1", sort)) == expected


def test_key_condition_maps() -> None:
    condition = key_condition("PK", "USER#1", SortCondition.between("SK", 1, 9))
    assert render(condition) == (
        "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2",
        {"#n0": "PK", "#n1": "SK"},
        {":v0": {"S": "USER#1"}, ":v1": {"N": "1"}, ":v2": {"N": "9"}},
    )


def test_key_attribute_names_are_literal() -> None:
    _, names, _ = render(key_condition("a.b", 1, SortCondition.eq("c[0]", 2)))
    assert names == {"#n0": "a.b", "#n1": "c[0]"}


@pytest.mark.parametrize("value", [None, True, [1], {"a": 1}, {"x"}])
def test_key_values_must_encode_to_key_types(value: object) -> None:
    with pytest.raises(InvalidKey, match="'PK'"):
        text_of(key_condition("PK", value))
    with pytest.raises(InvalidKey, match="'SK'"):
        text_of(key_condition("PK", "p", SortCondition.gt("SK", value)))


def test_begins_with_needs_a_string_or_binary_prefix() -> None:
    assert text_of(key_condition("PK", 1, SortCondition.begins_with("SK", b"\x01")))
    with pytest.raises(InvalidKey, match="B/S"):
        text_of(key_condition("PK", "p", SortCondition.begins_with("SK", 5)))


def test_key_condition_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="partition key"):
        key_condition("PK", 1, SortCondition.eq("PK", 2))
    with pytest.raises(ValueError, match="non-empty"):
        text_of(key_condition("", 1))
    with pytest.raises(ValueError, match="non-empty"):
        text_of(KeyCondition("PK", 1, SortCondition.eq("", 2)))


# -- updates --------------------------------------------------------------------------


def test_every_update_action() -> None:
    update = (
        Update()
        .set("a", "x")
        .set_if_not_exists("b", 1)
        .remove("c")
        .add("d", 2)
        .delete("e", {"t"})
        .append("f", ["y"])
        .prepend("g", ("z",))
        .increment("h", 5)
    )
    text, names, values = render(update)
    assert text == (
        "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1), "
        "#n2 = list_append(if_not_exists(#n2, :v2), :v3), "
        "#n3 = list_append(:v4, if_not_exists(#n3, :v5)), "
        "#n4 = if_not_exists(#n4, :v6) + :v7 "
        "REMOVE #n5 ADD #n6 :v8 DELETE #n7 :v9"
    )
    assert names == {
        "#n0": "a", "#n1": "b", "#n2": "f", "#n3": "g", "#n4": "h", "#n5": "c", "#n6": "d",
        "#n7": "e",
    }
    assert values == {
        ":v0": {"S": "x"},
        ":v1": {"N": "1"},
        ":v2": {"L": []},
        ":v3": {"L": [{"S": "y"}]},
        ":v4": {"L": [{"S": "z"}]},
        ":v5": {"L": []},
        ":v6": {"N": "0"},
        ":v7": {"N": "5"},
        ":v8": {"N": "2"},
        ":v9": {"SS": ["t"]},
    }


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (Update().set("a.b[1]", 1), "SET #n0.#n1[1] = :v0"),
        (Update().set(F.attr("x.y"), 1), "SET #n0 = :v0"),
        (Update().set("a", F("b")), "SET #n0 = #n1"),
        (Update().remove("a[0]").remove("a[2]"), "REMOVE #n0[0], #n0[2]"),
        (Update().increment("n"), "SET #n0 = if_not_exists(#n0, :v0) + :v1"),
        (Update().add("s", {1, 2}), "ADD #n0 :v0"),
        (Update().add("a", 1).add("b", 2), "ADD #n0 :v0, #n1 :v1"),
        (Update().delete("a", {"x"}).remove("b"), "REMOVE #n0 DELETE #n1 :v0"),
    ],
)
def test_update_shapes(update: Update, expected: str) -> None:
    assert text_of(update) == expected


def test_update_with_reserved_words() -> None:
    update = Update().set("name", "x").remove("status").add("size", 1).set("data.type", "t")
    text, names, _ = render(update)
    assert text == "SET #n0 = :v0, #n1.#n2 = :v1 REMOVE #n3 ADD #n4 :v2"
    assert names == {"#n0": "name", "#n1": "data", "#n2": "type", "#n3": "status", "#n4": "size"}


def test_increment_values() -> None:
    assert render(Update().increment("n", -2))[2] == {":v0": {"N": "0"}, ":v1": {"N": "-2"}}
    assert render(Update().increment("n", Decimal("0.5")))[2][":v1"] == {"N": "0.5"}


def test_update_methods_chain_on_the_same_object() -> None:
    update = Update()
    assert update.set("a", 1) is update
    assert update.paths == (F("a"),)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("a", "a", "two actions on a"),
        ("a", "a.b", "a and a.b overlap"),
        ("a.b", "a", "a.b and a overlap"),
        ("a", "a[0]", "a and a[0] overlap"),
        ("a[0]", "a[0].x", "a[0] and a[0].x overlap"),
    ],
)
def test_overlapping_update_paths_are_rejected(first: str, second: str, message: str) -> None:
    message = re.escape(message)
    update = Update().set(first, 1)
    with pytest.raises(ValueError, match=message):
        update.remove(second)
    with pytest.raises(ValueError, match=message):
        Update().remove(first).add(second, 1)
    assert update.paths == (F(first),)


def test_nearby_paths_that_do_not_overlap_are_fine() -> None:
    update = Update().set("a[0]", 1).set("a[1]", 2).set("ab", 3).set("b.a", 4).remove("a.x")
    assert text_of(update) == (
        "SET #n0[0] = :v0, #n0[1] = :v1, #n1 = :v2, #n2.#n0 = :v3 REMOVE #n0.#n3"
    )


def test_empty_update_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one action"):
        text_of(Update())


@pytest.mark.parametrize("value", ["1", True, set(), frozenset(), [1], None])
def test_add_needs_a_number_or_a_set(value: object) -> None:
    with pytest.raises(InvalidValue, match="ADD on a"):
        Update().add("a", value)


@pytest.mark.parametrize("value", [1, "x", set(), ["x"]])
def test_delete_needs_a_non_empty_set(value: object) -> None:
    with pytest.raises(InvalidValue, match="DELETE on a"):
        Update().delete("a", value)


@pytest.mark.parametrize("value", ["xy", {1}, 1, None])
def test_list_append_needs_a_list(value: object) -> None:
    with pytest.raises(InvalidValue, match="list_append on a"):
        Update().append("a", value)
    with pytest.raises(InvalidValue, match="list_append on a"):
        Update().prepend("a", value)


@pytest.mark.parametrize("amount", [True, "1", None])
def test_increment_needs_a_number(amount: Any) -> None:
    with pytest.raises(InvalidValue, match="increment of a"):
        Update().increment("a", amount)


def test_update_paths_are_validated() -> None:
    with pytest.raises(ValueError, match="invalid attribute path"):
        Update().set("a..b", 1)
    with pytest.raises(TypeError):
        Update().remove(3)  # type: ignore[arg-type]


# -- projections ----------------------------------------------------------------------


def test_projection() -> None:
    p = params()
    assert projection(p, ["a", "b.c[0]", F.attr("x.y"), "name"]) == "#n0, #n1.#n2[0], #n3, #n4"
    assert p.names() == {"#n0": "a", "#n1": "b", "#n2": "c", "#n3": "x.y", "#n4": "name"}
    assert p.values() == {}


def test_projection_drops_duplicates_and_covered_paths() -> None:
    p = params()
    assert projection(p, ["a.b", "c", "a", "c", "c[1]", F("a")["b"], "d"]) == "#n0, #n1, #n2"
    assert p.names() == {"#n0": "c", "#n1": "a", "#n2": "d"}


def test_projection_counts_a_field_and_its_attribute_as_one_path() -> None:
    p = Parameters(encode, rename={"page_id": "pageId"})
    assert projection(p, ["page_id", F.attr("pageId"), "pageId.x", "title"]) == "#n0, #n1"
    assert p.names() == {"#n0": "pageId", "#n1": "title"}


def test_projection_reuses_request_placeholders() -> None:
    p = params()
    (F("a") == 1).encode(p)
    assert projection(p, ["b", "a"]) == "#n1, #n0"


def test_empty_projection_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one path"):
        projection(params(), [])


# -- no user text inside expressions ---------------------------------------------------

_TOKEN = (
    r"#n[0-9]+|:v[0-9]+|\[[0-9]+\]|[ ().,+]|<>|<=|>=|[=<>]|AND|OR|NOT|BETWEEN|IN|SET|REMOVE|ADD"
    r"|DELETE|begins_with|contains|attribute_exists|attribute_not_exists|attribute_type|size"
    r"|if_not_exists|list_append"
)

_names = st.lists(st.text(min_size=1, max_size=12), min_size=4, max_size=4, unique=True)
_values = st.lists(st.text(max_size=12) | st.integers(), min_size=4, max_size=4)


def _everything(names: list[str], values: list[object]) -> tuple[str, Parameters]:
    """Use every kind of expression with the given names and values."""
    a, b, c, d = (F.attr(name) for name in names)
    p = params()
    condition = (
        ((a == values[0]) | ~(b[0][c.segments[0]] < values[1]))
        & a.between(values[2], values[3])
        & b.is_in(*values)
        & a.begins_with(values[0])
        & c.contains(values[1])
        & d.exists()
        & d.size().__ne__(values[2])
        & c.attribute_type("M")
    )
    update = Update().set(a, values[0]).remove(b[1]).add(c, 1).delete(d, {str(values[3])})
    update.append(b[0], values).increment(b[2][names[2]])
    keys = key_condition(names[0], str(values[0]), SortCondition.between(names[1], 1, 2))
    parts = [condition.encode(p), update.encode(p), keys.encode(p)]
    parts.append(projection(p, [a, b[0], c[d.segments[0]]]))
    return " | ".join(parts), p


@given(_names, _values)
def test_user_text_never_reaches_the_expression(names: list[str], values: list[object]) -> None:
    text, p = _everything(names, values)
    # Only placeholders, keywords, operators and list indexes appear...
    assert re.fullmatch(f"(?:{_TOKEN}|\\|)*", text), text
    # ...the text does not depend on the names and values at all...
    plain_text, _ = _everything(["n0", "n1", "n2", "n3"], [0, 1, 2, 3])
    assert text == plain_text
    # ...and the maps carry them instead.
    assert set(p.names().values()) == set(names)
    strings = [v for v in values if isinstance(v, str)]
    assert all({"S": v} in p.values().values() for v in strings)
