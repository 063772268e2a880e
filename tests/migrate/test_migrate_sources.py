"""The migration sources read every record, bad ones included, and tell NULL from ""."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dynamap.migrate import (
    Csv,
    Directory,
    JsonDocument,
    JsonLines,
    MongoExport,
    SourceError,
    Sqlite,
    decode_extended_json,
)
from dynamap.migrate.csvparse import parse_csv
from dynamap.migrate.plain import differences


def test_csv_cells_by_header_with_nulls_quoted_newlines_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text('name,id,note,extra\n'
                    'ada,7f1c,"two\nlines",\n'
                    'bob,2,"",x\n'
                    'cy,3\n'
                    'dee,4,"say ""hi""",y\n', encoding="utf-8")
    records = list(Csv(path))
    assert [r.where for r in records] == ["users.csv line 2", "users.csv line 4",
                                          "users.csv line 5", "users.csv line 6"]
    assert records[0].data == {"name": "ada", "id": "7f1c", "note": "two\nlines",
                               "extra": None}
    assert records[1].data == {"name": "bob", "id": "2", "note": "", "extra": "x"}
    assert records[2].data is None and "2 cells, the header 4" in str(records[2].problem)
    assert records[3].data is not None and records[3].data["note"] == 'say "hi"'


def test_a_truncated_quoted_cell_is_a_problem_not_an_exception() -> None:
    rows = list(parse_csv('a,b\n1,"never closed\n'))
    assert rows[-1].problem is not None and "never closed" in rows[-1].problem


def test_csv_null_texts_are_an_option(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n\\N,NULL\n", encoding="utf-8")
    (record,) = Csv(path, null=("\\N",))
    assert record.data == {"a": None, "b": "NULL"}


def test_json_lines_keep_going_after_every_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": 1}\n{"id": 2\n\n[1]\n{"id": 3}\n{"id":', encoding="utf-8")
    records = list(JsonLines(path))
    assert [r.where for r in records if r.problem] == ["x.jsonl line 2", "x.jsonl line 4",
                                                       "x.jsonl line 6"]
    assert [r.data for r in records if r.data] == [{"id": 1}, {"id": 3}]


def test_mongoexport_wrappers_canonical_and_relaxed() -> None:
    document = {
        "_id": {"$oid": "65a000000000000000000001"},
        "at": {"$date": "2024-03-15T12:00:00Z"},
        "ms": {"$date": {"$numberLong": "1710504000000"}},
        "n": {"$numberLong": "9007199254740993"}, "i": {"$numberInt": "3"},
        "d": {"$numberDecimal": "1.10"}, "f": {"$numberDouble": "0.5"},
        "bin": {"$binary": {"base64": "AAEC", "subType": "00"}},
        "old": {"$binary": "AAEC", "$type": "00"},
        "nested": [{"x": {"$numberInt": "1"}}],
    }
    assert decode_extended_json(document) == {
        "_id": "65a000000000000000000001",
        "at": datetime(2024, 3, 15, 12, tzinfo=UTC),
        "ms": datetime(2024, 3, 15, 12, tzinfo=UTC),
        "n": 9007199254740993, "i": 3, "d": Decimal("1.10"), "f": 0.5,
        "bin": b"\x00\x01\x02", "old": b"\x00\x01\x02", "nested": [{"x": 1}],
    }


def test_a_bad_wrapper_rejects_its_line(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"at": {"$date": "yesterday"}}\n{"b": {"$binary": {"base64": "!"}}}\n',
                    encoding="utf-8")
    problems = [r.problem for r in MongoExport(path)]
    assert problems[0] is not None and "$date" in problems[0]
    assert problems[1] is not None and "$binary" in problems[1]


def test_json_document_at_a_path_and_a_directory(tmp_path: Path) -> None:
    (tmp_path / "store.json").write_text(json.dumps({"data": {"pages": [{"id": "a"}, 3]}}))
    records = list(JsonDocument(tmp_path / "store.json", at="data.pages"))
    assert records[0].data == {"id": "a"} and records[1].problem is not None
    folder = tmp_path / "states"
    folder.mkdir()
    (folder / "b.json").write_text('{"id": "b"}')
    (folder / "a.json").write_text("{nope")
    assert [(r.where, r.data) for r in Directory(folder)] == [("a.json", None),
                                                             ("b.json", {"id": "b"})]
    with pytest.raises(SourceError):
        list(JsonDocument(tmp_path / "missing.json"))


def test_sqlite_rows_in_rowid_order(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (id TEXT, n INTEGER)")
        connection.executemany("INSERT INTO users VALUES (?, ?)", [("b", 2), ("a", None)])
    connection.close()
    assert [r.data for r in Sqlite(path, "users")] == [{"id": "b", "n": 2},
                                                       {"id": "a", "n": None}]
    with pytest.raises(SourceError):
        list(Sqlite(path, "nope"))


@pytest.mark.parametrize(("source", "stored"), [
    ("2024-03-15 12:00:00", "2024-03-15T12:00:00Z"),
    (datetime(2024, 3, 15, 12), "2024-03-15T12:00:00+00:00"),
    (datetime(2024, 3, 15, 12, tzinfo=UTC), Decimal(1710504000)),
    ("42", Decimal(42)), (0.1, Decimal("0.1")), (True, Decimal(1)), ("t", True),
    ({"a": 1}, {"a": Decimal(1), "b": "default"}), (["x", "y"], {"y", "x"}),
])
def test_equal_values_compare_equal(source: object, stored: object) -> None:
    assert list(differences(source, stored, "f")) == []


@pytest.mark.parametrize(("source", "stored"), [
    ("2024-03-15 12:00:00", "2024-03-15T13:00:00Z"), ("42", Decimal(43)),
    (True, False), ({"a": 1}, {"b": 1}), ([1, 2], [Decimal(1)]), ("x", "y"),
])
def test_different_values_are_reported(source: object, stored: object) -> None:
    assert list(differences(source, stored, "f"))


def test_leaf_paths_and_what_a_mapping_covers() -> None:
    from dynamap.migrate.paths import covers, get_path, leaf_paths, set_path

    record = {"a": 1, "b": {"c": 2, "d": {}}, "q": [{"x": 1}, {"y": 2}], "t": ["s"]}
    assert list(leaf_paths(record)) == ["a", "b.c", "b.d", "q[].x", "q[].y", "t"]
    assert covers("q[].x", "q") and covers("b.c", "b") and not covers("bc", "b")
    assert get_path(record, "b.c") == 2 and repr(get_path(record, "b.x")) == "MISSING"
    target: dict[str, object] = {}
    set_path(target, "u.v", 3)
    assert target == {"u": {"v": 3}}


def test_a_mapping_is_checked_when_it_is_declared() -> None:
    from pydantic import BaseModel

    from dynamap.migrate import Entity, MappingError

    class Row(BaseModel):
        id: str

    with pytest.raises(MappingError, match="duplicates must be one of"):
        Entity("rows", JsonLines(Path("x.jsonl")), Row, fields={"id": "id"},
               duplicates="newest")  # type: ignore[arg-type]
    with pytest.raises(MappingError, match="needs a target and a source path"):
        Entity("rows", JsonLines(Path("x.jsonl")), Row, fields={"id": ""})


def test_the_report_adds_up_or_says_so() -> None:
    from dynamap.migrate import EntityReport, Problem

    report = EntityReport("rows", read=5, written=2, unchanged=1)
    report.rejected.append(Problem("line 4", "bad"))
    assert not report.balanced  # one record unaccounted for
    report.duplicates.append(Problem("line 5", "same key as line 1"))
    report.verified = 3
    assert report.balanced and report.ok
    assert report.lines()[0].startswith("rows: read 5 = written 2 + unchanged 1 + rejected 1 "
                                        "+ duplicates 1 + skipped 0")
