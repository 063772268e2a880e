"""Reading import files: formats, MongoDB extended JSON, CSV cells, malformed input."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dynamap.cli.errors import CommandError
from dynamap.cli.readers import (
    RowError,
    detect_format,
    from_extended_json,
    prepare,
    read_rows,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extended_json_becomes_plain_values() -> None:
    document = {
        "_id": {"$oid": "65f3c0ffee0000000000abcd"},
        "created": {"$date": "2024-03-15T12:00:00Z"},
        "legacy": {"$date": {"$numberLong": "1710504000123"}},
        "local": {"$date": "2024-03-15T12:00:00"},
        "views": {"$numberLong": "9007199254740993"},
        "rank": {"$numberInt": "7"},
        "ratio": {"$numberDouble": "0.25"},
        "price": {"$numberDecimal": "19.99"},
        "nested": [{"at": {"$date": {"$numberLong": "-1000"}}}, {"$oid": "x"}],
        "plain": {"a": 1, "b": {"$oid": "keeps other keys", "extra": 1}},
    }
    assert from_extended_json(document) == {
        "_id": "65f3c0ffee0000000000abcd",
        "created": datetime(2024, 3, 15, 12, 0, tzinfo=UTC),
        "legacy": datetime(2024, 3, 15, 12, 0, 0, 123000, tzinfo=UTC),
        "local": datetime(2024, 3, 15, 12, 0, tzinfo=UTC),
        "views": 9007199254740993,
        "rank": 7,
        "ratio": 0.25,
        "price": Decimal("19.99"),
        "nested": [{"at": datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)}, "x"],
        "plain": {"a": 1, "b": {"$oid": "keeps other keys", "extra": 1}},
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"$date": "yesterday"}, "bad $date value 'yesterday'"),
        ({"$date": {"$numberLong": "soon"}}, "bad $date value"),
        ({"$numberLong": "12.5"}, "bad $numberLong value '12.5'"),
        ({"$numberDecimal": "abc"}, "bad $numberDecimal value 'abc'"),
        ({"$oid": 12}, "bad $oid value 12"),
    ],
)
def test_bad_extended_json_is_a_row_error(value: object, message: str) -> None:
    with pytest.raises(RowError, match=message.replace("$", r"\$")):
        from_extended_json({"field": value})


def test_prepare_renames_and_refuses_non_objects() -> None:
    assert prepare({"_id": {"$oid": "a1"}, "n": 1}, [("_id", "id")]) == {"id": "a1", "n": 1}
    with pytest.raises(RowError, match="a row must be an object, not a JSON array"):
        prepare([1, 2], [])


def test_detect_format(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path, "a.csv", "id\n1\n"), "auto") == "csv"
    assert detect_format(write(tmp_path, "a.jsonl", '{"id": 1}\n'), "auto") == "jsonl"
    assert detect_format(write(tmp_path, "array.json", ' [{"id": 1}]'), "auto") == "json"
    assert detect_format(write(tmp_path, "lines.json", '{"id": 1}\n{"id": 2}\n'),
                         "auto") == "jsonl"
    assert detect_format(write(tmp_path, "dump.txt", "[]"), "auto") == "json"
    assert detect_format(write(tmp_path, "x.csv", ""), "jsonl") == "jsonl"
    with pytest.raises(CommandError, match=r"cannot tell the format of .*dump\.dat"):
        detect_format(write(tmp_path, "dump.dat", "id,name\n"), "auto")


def test_json_lines_numbers_rows_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", '\ufeff{"id": 1}\n\n{"id": 2}\n   \n[3]\n')
    rows = [(row.number, row.line, row.data) for row in read_rows(path, "jsonl")]
    assert rows == [(1, 1, {"id": 1}), (2, 3, {"id": 2}), (3, 5, [3])]


def test_csv_tells_null_from_empty_and_tracks_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv",
                 'id,name,age\n1,Ann,\n2,"Bob\nthe second",41\n3,,7,surplus\n4,"",\n')
    rows = list(read_rows(path, "csv"))
    assert [(row.number, row.line) for row in rows] == [(1, 2), (2, 3), (3, 5), (4, 6)]
    assert rows[0].data == {"id": "1", "name": "Ann", "age": None}  # NULL
    assert rows[1].data == {"id": "2", "name": "Bob\nthe second", "age": "41"}
    with pytest.raises(RowError, match="the row has 4 cells, the header 3"):
        prepare(rows[2].data, [])
    assert rows[3].data == {"id": "4", "name": "", "age": None}  # "" is the empty string


def test_malformed_files_name_the_line(tmp_path: Path) -> None:
    lines = write(tmp_path, "a.jsonl", '{"id": 1}\n{"id": \n{"id": 3}\n')
    rows = list(read_rows(lines, "jsonl"))  # a bad line is that row's reject, not the end
    assert [row.line for row in rows] == [1, 2, 3]
    with pytest.raises(RowError, match="not valid JSON"):
        prepare(rows[1].data, [])
    array = write(tmp_path, "a.json", '[{"id": 1},')
    with pytest.raises(CommandError, match=r"a.json is not valid JSON"):
        list(read_rows(array, "json"))
    single = write(tmp_path, "b.json", '{"id": 1}')
    with pytest.raises(CommandError, match="holds one JSON object, not an array of rows"):
        list(read_rows(single, "json"))
    binary = tmp_path / "c.csv"
    binary.write_bytes(b"id,name\n1,\xff\xfe\n")
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        list(read_rows(binary, "csv"))


def test_fields_no_model_takes_are_found_nested_too() -> None:
    from dynamap.cli.policies import unknown_fields
    from examples.study_circle.models import Exam, User

    row = {"id": "u1", "username": "ada", "email": "a@example.com", "password": "x",
           "avatar": "a.png", "photo": "p.png",
           "apiUsage": {"requests": 1, "quota": 5}, "preferences": {"font": "serif"}}
    assert unknown_fields(User, row) == ["apiUsage.quota", "photo", "preferences.font"]
    exam = {"id": "e", "owner": "u", "contentId": "c",
            "questions": [{"text": "?", "answer": "!", "hint": "h"}, {"text": "?", "answer": "!"}]}
    assert unknown_fields(Exam, exam) == ["questions[].hint"]
