"""import and export against both local engines: formats, renames, rejects, resume,
round trips, and the bad-input cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
import sample_models
from cli_helpers import Cli, error_line
from sample_models import Customer, Event, Order
from unique_models import Member
from versioned_models import Note

from dynamap import InvalidRequest, UniqueConstraintViolated
from dynamap._session import Session
from dynamap.cli import transfer
from dynamap.local import free_port


def write_lines(path: Path, rows: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def stored(dynamap: Cli, model: type[Any]) -> list[Any]:
    async def scan(db: Session) -> list[Any]:
        return await db.scan(model).all()

    items = dynamap.run(scan)
    assert isinstance(items, list)
    return sorted(items, key=lambda item: item.id)


def customers(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"c{n:03}", "email": f"c{n}@example.com", "name": f"Customer {n}", "age": 20 + n,
         "vip": n % 2 == 0, "joined": f"2024-03-{n % 28 + 1:02}T08:30:00Z",
         "balance": f"{n}.25", "tags": ["a", f"t{n}"]}
        for n in range(count)
    ]


def test_json_array_import_and_export_round_trip(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    source = tmp_path / "customers.json"
    source.write_text(json.dumps(customers(30)))
    imported = dynamap("import", "sample_models:Customer", str(source))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.startswith(
        f"imported 30 rows into {dynamap.prefix}CliShop as sample_models:Customer (")
    items = stored(dynamap, Customer)
    assert len(items) == 30
    assert items[3] == Customer(id="c003", email="c3@example.com", name="Customer 3", age=23,
                                vip=False, joined=datetime(2024, 3, 4, 8, 30, tzinfo=UTC),
                                balance=Decimal("3.25"), tags=["a", "t3"])
    assert not (tmp_path / "customers.json.rejects.jsonl").exists()
    assert not (tmp_path / "customers.json.dynamap-progress").exists()

    exported = tmp_path / "export.jsonl"
    result = dynamap("export", "sample_models:Customer", "--out", str(exported),
                     "--segments", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"exported 30 Customer items to {exported}",
        f"  import them with: dynamap import sample_models:Customer {exported} --restore",
    ]
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert sorted(line["id"] for line in lines) == [f"c{n:03}" for n in range(30)]

    copy = Cli(dynamap.endpoint, dynamap.prefix + "copy-", dynamap.engine)
    try:
        assert copy("create-tables", "sample_models").exit_code == 0
        again = copy("import", "sample_models:Customer", str(exported))
        assert again.exit_code == 0, again.output
        assert stored(copy, Customer) == items
    finally:
        assert copy("drop-tables", "sample_models", "--yes").exit_code == 0


def test_mongoexport_json_lines_with_renames(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    source = write_lines(tmp_path / "orders.json", [
        {"_id": {"$oid": "65f3c0ffee00000000000001"}, "customer": "c1",
         "total": {"$numberDouble": "19.5"},
         "expiresAt": {"$date": {"$numberLong": "1893456000000"}}},
        {"_id": {"$oid": "65f3c0ffee00000000000002"}, "customer": "c1",
         "total": {"$numberLong": "20"}, "expiresAt": {"$date": "2030-01-01T00:00:00Z"}},
        {"_id": {"$oid": "65f3c0ffee00000000000003"}, "customer": "c2",
         "total": {"$numberInt": "7"}},
    ])
    result = dynamap("import", "sample_models:Order", str(source), "--map", "_id=id",
                     "--map", "customer=customerId")
    assert result.exit_code == 0, result.output
    assert stored(dynamap, Order) == [
        Order(id="65f3c0ffee00000000000001", customer_id="c1", total=19.5,
              expires_at=datetime(2030, 1, 1, tzinfo=UTC)),
        Order(id="65f3c0ffee00000000000002", customer_id="c1", total=20.0,
              expires_at=datetime(2030, 1, 1, tzinfo=UTC)),
        Order(id="65f3c0ffee00000000000003", customer_id="c2", total=7.0),
    ]


def test_csv_import_coerces_strings_and_drops_empty_cells(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    source = tmp_path / "customers.csv"
    source.write_text("id,email,name,age,vip,joined,balance\n"
                      "c1,ann@example.com,Ann,,true,2024-01-02T03:04:05+00:00,12.50\n"
                      'c2,bob@example.com,"Bob, Jr.",41,0,,\n')
    result = dynamap("import", "sample_models:Customer", str(source))
    assert result.exit_code == 0, result.output
    assert stored(dynamap, Customer) == [
        Customer(id="c1", email="ann@example.com", name="Ann", vip=True,
                 joined=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), balance=Decimal("12.50")),
        Customer(id="c2", email="bob@example.com", name="Bob, Jr.", age=41, vip=False),
    ]


def test_rejected_rows_go_to_the_rejects_file(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    good = {"id": "e1", "message": "fine"}
    source = write_lines(tmp_path / "events.jsonl", [
        good,
        {"id": "e2"},
        ["not", "an", "object"],
        {"id": "e4", "message": {"$date": "someday"}},
        {"id": 5, "message": "ok"},
        {"id": "e6", "message": "fine too"},
    ])
    result = dynamap("import", "sample_models:Event", str(source))
    assert result.exit_code == 1, result.output
    rejects = tmp_path / "events.jsonl.rejects.jsonl"
    assert result.stdout.splitlines()[1:] == [f"rejected 4 of 6 rows: see {rejects}"]
    assert [json.loads(line) for line in rejects.read_text().splitlines()] == [
        {"line": 2, "row": {"id": "e2"}, "reason": "message: Field required"},
        {"line": 3, "row": ["not", "an", "object"],
         "reason": "a row must be an object, not a JSON array"},
        {"line": 4, "row": {"id": "e4", "message": {"$date": "someday"}},
         "reason": "bad $date value 'someday': Invalid isoformat string: 'someday'"},
        {"line": 5, "row": {"id": 5, "message": "ok"},
         "reason": "id: Input should be a valid string"},
    ]
    assert [event.id for event in stored(dynamap, Event)] == ["e1", "e6"]

    custom = tmp_path / "refused.jsonl"
    write_lines(source, [good, {"id": "e2"}])
    again = dynamap("import", "sample_models:Event", str(source), "--rejects", str(custom))
    assert again.exit_code == 1
    assert len(custom.read_text().splitlines()) == 1

    write_lines(source, [good])
    clean = dynamap("import", "sample_models:Event", str(source))
    assert clean.exit_code == 0, clean.output
    assert not rejects.exists()


def test_every_bad_line_is_rejected_in_one_run(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    source = tmp_path / "events.jsonl"
    source.write_text('{"id": "e1", "message": "a"}\n{"id": \n{"id": "e2", "message": "b"}\n'
                      '[1\n{"id": "e3", "message": "c"}\n{"id": "e4", "mess')
    result = dynamap("import", "sample_models:Event", str(source))
    assert result.exit_code == 1, result.output
    rejects = tmp_path / "events.jsonl.rejects.jsonl"
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [line["line"] for line in lines] == [2, 4, 6]
    assert all(line["reason"].startswith("not valid JSON") for line in lines)
    assert [event.id for event in stored(dynamap, Event)] == ["e1", "e2", "e3"]


def test_fields_the_model_does_not_have_are_reported(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    source = write_lines(tmp_path / "events.jsonl", [
        {"id": "e1", "message": "a", "avatar": "x.png"},
        {"id": "e2", "message": "b", "avatar": "y.png", "color": "red"}])
    result = dynamap("import", "sample_models:Event", str(source))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1:] == ["not imported, the model has no such field:", "  avatar: 2 rows",
                         "  color: 1 rows"]


def test_csv_nulls_are_not_filled_with_the_import_time(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "versioned_models").exit_code == 0
    source = tmp_path / "notes.csv"
    source.write_text('id,text,seen_at\nn1,"",2024-01-01T00:00:00Z\nn2,two,\n'
                      "n3,,2024-01-01T00:00:00Z\n")
    absent = dynamap("import", "versioned_models:Note", str(source))
    assert absent.exit_code == 1, absent.output
    rejects = [json.loads(line) for line in
               (tmp_path / "notes.csv.rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (3, "seen_at is NULL, and its default would be made at import time; pass --nulls "
            "default to accept that, or give the row a value"),
        (4, "text: Input should be a valid string")]  # NULL (unquoted) is not "" (quoted)
    assert [(note.id, note.text) for note in stored(dynamap, Note)] == [("n1", "")]

    accepted = dynamap("import", "versioned_models:Note", str(source), "--nulls", "default")
    assert "  seen_at: 1 NULLs, the model's default" in accepted.stdout


def test_duplicate_keys_are_reported_with_the_line_they_collide_with(
    dynamap: Cli, tmp_path: Path
) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    rows = [{"id": "e1", "message": "first"}, {"id": "e2", "message": "x"},
            {"id": "e1", "message": "second"}]
    source = write_lines(tmp_path / "events.jsonl", rows)
    rejects = tmp_path / "events.jsonl.rejects.jsonl"
    for policy, message, count in (("first", "first", 2), ("last", "second", 2),
                                   ("reject", None, 1)):
        dynamap.run(lambda db: delete_events(db, ["e1", "e2"]))
        result = dynamap("import", "sample_models:Event", str(source), "--duplicates", policy)
        assert result.exit_code == 1, result.output
        assert result.stdout.startswith(f"imported {count} rows")
        assert "not written (--duplicates " + policy + ")" in result.stdout
        found = {event.id: event.message for event in stored(dynamap, Event)}
        assert found.get("e1") == message and found["e2"] == "x"
        reasons = [json.loads(line)["reason"] for line in rejects.read_text().splitlines()]
        assert all(reason.startswith("duplicate: same key as line") for reason in reasons)
    first = dynamap("import", "sample_models:Event", str(source))
    assert [json.loads(line) for line in rejects.read_text().splitlines()] == [
        {"line": 3, "row": rows[2], "reason": "duplicate: same key as line 1, which is kept"}]
    assert first.exit_code == 1


async def raw_items(db: Session, table: str) -> list[dict[str, Any]]:
    answer = await db.send("Scan", {"TableName": table}, table=table)
    return sorted(answer["Items"], key=lambda item: item["PK"]["S"])


def test_restore_reproduces_an_export_exactly(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "versioned_models").exit_code == 0
    source = write_lines(tmp_path / "notes.jsonl", [
        {"id": f"n{n}", "text": f"note {n}", "seen_at": "2024-01-01T00:00:00Z"}
        for n in range(5)])
    assert dynamap("import", "versioned_models:Note", str(source)).exit_code == 0
    table = f"{dynamap.prefix}CliNotes"
    original = dynamap.run(lambda db: raw_items(db, table))
    assert all(item["version"] == {"N": "1"} for item in original)
    exported = tmp_path / "export.jsonl"
    result = dynamap("export", "versioned_models:Note", "--out", str(exported))
    assert "--restore" in result.stdout

    copy = Cli(dynamap.endpoint, dynamap.prefix + "copy-", dynamap.engine)
    try:
        assert copy("create-tables", "versioned_models").exit_code == 0
        plain = copy("import", "versioned_models:Note", str(exported))
        assert plain.exit_code == 0, plain.output
        bumped = copy.run(lambda db: raw_items(db, f"{copy.prefix}CliNotes"))
        assert all(item["version"] == {"N": "2"} for item in bumped)  # a plain import
        assert [i["updated_at"] for i in bumped] != [i["updated_at"] for i in original]
        restored = copy("import", "versioned_models:Note", str(exported), "--restore")
        assert restored.exit_code == 0, restored.output
        again = copy.run(lambda db: raw_items(db, f"{copy.prefix}CliNotes"))
        assert again == original  # version and both timestamps: as exported
    finally:
        assert copy("drop-tables", "versioned_models", "--yes").exit_code == 0


def test_models_with_unique_fields_import_with_their_guards(
    dynamap: Cli, tmp_path: Path
) -> None:
    assert dynamap("create-tables", "unique_models").exit_code == 0
    source = write_lines(tmp_path / "members.jsonl", [
        {"id": "m1", "email": "a@example.com"}, {"id": "m2", "email": "b@example.com"},
        {"id": "m3", "email": "a@example.com"}])
    result = dynamap("import", "unique_models:Member", str(source))
    assert result.exit_code == 1, result.output  # m3 repeats m1's email in the file
    assert result.stdout.startswith("imported 2 rows")
    rejects = (tmp_path / "members.jsonl.rejects.jsonl").read_text()
    assert "duplicate: same email as line 1, which is kept" in rejects

    async def taken(db: Session) -> bool:
        try:
            await db.put(Member(id="m9", email="b@example.com"))
        except UniqueConstraintViolated:
            return True
        return False

    assert dynamap.run(taken) is True


def test_import_into_a_missing_table(dynamap: Cli, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "events.jsonl", [{"id": "e1", "message": "a"}])
    result = dynamap("import", "sample_models:Event", str(source))
    assert result.exit_code == 2
    assert error_line(result) == (
        f"error: table {dynamap.prefix}CliAudit does not exist; create it first with "
        "`dynamap create-tables TARGET` (with the same --prefix)")


def events(count: int) -> list[dict[str, str]]:
    return [{"id": f"e{n:02}", "message": f"event {n}"} for n in range(1, count + 1)]


async def delete_events(db: Session, ids: list[str]) -> None:
    for event_id in ids:
        await db.delete(Event, id=event_id)


def test_resume_after_a_failed_write(
    dynamap: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "CHUNK_ROWS", 5)
    assert dynamap("create-tables", "sample_models").exit_code == 0
    rows = events(20)
    source = write_lines(tmp_path / "events.jsonl", rows)
    real_put_many = Session.put_many
    calls: list[int] = []

    async def refused_third_chunk(self: Session, items: Any, **options: Any) -> int:
        # DynamoDB refuses the third chunk (rows 11-15) after two were written, as it
        # would a write the model cannot foresee (e.g. a table whose types drifted).
        calls.append(len(items))
        if len(calls) == 3:
            raise InvalidRequest("One or more parameter values were invalid: Type mismatch",
                                 operation="BatchWriteItem", code="ValidationException")
        return await real_put_many(self, items, **options)

    monkeypatch.setattr(Session, "put_many", refused_third_chunk)
    failed = dynamap("import", "sample_models:Event", str(source))
    assert failed.exit_code == 2
    line = error_line(failed)
    assert "Type mismatch" in line
    assert line.endswith("10 rows are written; run the same command with --resume to "
                         "continue after them")
    progress = tmp_path / "events.jsonl.dynamap-progress"
    assert json.loads(progress.read_text()) == {
        "model": "sample_models:Event", "table": f"{dynamap.prefix}CliAudit", "rows": 10,
        "written": 10}
    assert len(stored(dynamap, Event)) == 10
    monkeypatch.setattr(Session, "put_many", real_put_many)

    rows[12]["id"] = "e13"
    write_lines(source, rows)
    first_ten = [f"e{n:02}" for n in range(1, 11)]
    dynamap.run(lambda db: delete_events(db, first_ten))  # resuming must not rewrite them
    resumed = dynamap("import", "sample_models:Event", str(source), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.splitlines()[1] == (
        "skipped 10 rows written by the interrupted import (--resume)")
    assert resumed.stdout.startswith("imported 10 rows into ")
    assert [event.id for event in stored(dynamap, Event)] == [f"e{n}" for n in range(11, 21)]
    assert not progress.exists()


def test_a_key_over_dynamodbs_limit_is_rejected_before_anything_is_written(
    dynamap: Cli, tmp_path: Path
) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    rows = events(6)
    rows[3]["id"] = "x" * 3000  # DynamoDB's partition key limit is 2048 bytes
    source = write_lines(tmp_path / "events.jsonl", rows)
    result = dynamap("import", "sample_models:Event", str(source))
    assert result.exit_code == 1, result.output
    rejects = tmp_path / "events.jsonl.rejects.jsonl"
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["line"] == 4 and "2048" in reject["reason"]
    assert [event.id for event in stored(dynamap, Event)] == ["e01", "e02", "e03", "e05", "e06"]


def test_interrupted_import_resumes(
    dynamap: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "CHUNK_ROWS", 4)
    assert dynamap("create-tables", "sample_models").exit_code == 0
    source = write_lines(tmp_path / "events.jsonl", events(10))
    real_put_many = Session.put_many
    calls = []

    async def put_many_then_ctrl_c(self: Session, items: Any, **options: Any) -> int:
        calls.append(len(items))
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the second chunk is being sent
        return await real_put_many(self, items, **options)

    monkeypatch.setattr(Session, "put_many", put_many_then_ctrl_c)
    interrupted = dynamap("import", "sample_models:Event", str(source))
    assert interrupted.exit_code == 130
    assert error_line(interrupted) == (
        "error: interrupted; 4 rows are written; run the same command with --resume to "
        "continue after them")
    monkeypatch.setattr(Session, "put_many", real_put_many)

    restarted_note = dynamap("import", "sample_models:Event", str(source), "--resume")
    assert restarted_note.exit_code == 0, restarted_note.output
    assert "skipped 4 rows written by the interrupted import (--resume)" in restarted_note.stdout
    assert len(stored(dynamap, Event)) == 10

    fresh = dynamap("import", "sample_models:Event", str(source), "--resume")
    assert fresh.exit_code == 0
    assert fresh.stderr.startswith("note: no progress file")
    assert fresh.stdout.startswith("imported 10 rows")


def test_resume_refuses_another_imports_progress(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0
    source = write_lines(tmp_path / "rows.jsonl", events(2))
    progress = tmp_path / "rows.jsonl.dynamap-progress"
    progress.write_text(json.dumps({"model": "sample_models:Customer", "table": "Other",
                                    "rows": 1, "written": 1}))
    refused = dynamap("import", "sample_models:Event", str(source), "--resume")
    assert refused.exit_code == 2
    assert error_line(refused) == (
        f"error: {progress} records an import of sample_models:Customer into Other, not "
        f"sample_models:Event into {dynamap.prefix}CliAudit; delete it, or run without "
        "--resume to start over")
    progress.write_text("{not json")
    unreadable = dynamap("import", "sample_models:Event", str(source), "--resume")
    assert unreadable.exit_code == 2
    assert "is not a readable progress file" in error_line(unreadable)

    progress.write_text(json.dumps({"model": "sample_models:Customer", "table": "Other",
                                    "rows": 1, "written": 1}))
    over = dynamap("import", "sample_models:Event", str(source))
    assert over.exit_code == 0, over.output
    assert over.stderr.startswith(f"note: {progress} records an interrupted import; starting over")
    assert len(stored(dynamap, Event)) == 2


def test_export_of_a_target_writes_one_file_per_model(dynamap: Cli, tmp_path: Path) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0

    async def fill(db: Session) -> None:
        await db.put_many([Customer(id="c1", email="a@b.c", name="A"),
                           Order(id="o1", customer_id="c1", total=1.5),
                           Order(id="o2", customer_id="c1", total=2.5),
                           Event(id="e1", message="m")])
        await db.send("PutItem", {"TableName": f"{db.table_prefix}CliShop", "Item": {
            "PK": {"S": "OTHER#1"}, "SK": {"S": "X"}, "kind": {"S": "legacy"}}})

    dynamap.run(fill)
    out = tmp_path / "backup"
    result = dynamap("export", "sample_models", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        f"exported 1 Customer items to {out / 'Customer.jsonl'}",
        f"exported 2 Order items to {out / 'Order.jsonl'}",
        f"exported 1 Event items to {out / 'Event.jsonl'}",
    ]
    assert result.stderr == "note: skipped 1 items of entities no model declares\n"
    orders = [json.loads(line) for line in (out / "Order.jsonl").read_text().splitlines()]
    assert sorted(orders, key=lambda o: o["id"]) == [
        {"id": "o1", "customerId": "c1", "total": 1.5, "expiresAt": None},
        {"id": "o2", "customerId": "c1", "total": 2.5, "expiresAt": None},
    ]
    assert sorted(p.name for p in out.iterdir()) == ["Customer.jsonl", "Event.jsonl",
                                                     "Order.jsonl"]

    not_a_dir = tmp_path / "file.jsonl"
    not_a_dir.write_text("")
    refused = dynamap("export", "sample_models", "--out", str(not_a_dir))
    assert refused.exit_code == 2
    assert "--out must be a directory" in error_line(refused)


def test_export_of_a_missing_table(dynamap: Cli, tmp_path: Path) -> None:
    result = dynamap("export", "sample_models:Event", "--out", str(tmp_path / "e.jsonl"))
    assert result.exit_code == 2
    assert error_line(result).startswith(f"error: table {dynamap.prefix}CliAudit does not exist")
    assert list(tmp_path.iterdir()) == []


def test_bad_import_arguments(offline: Cli, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "rows.jsonl", events(1))
    bad_map = offline("import", "sample_models:Event", str(source), "--map", "oops")
    assert bad_map.exit_code == 2
    assert "Invalid value for --map: 'oops' is not OLD=NEW" in bad_map.stderr
    missing = offline("import", "sample_models:Event", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    not_model = offline("import", "sample_models", str(source))
    assert not_model.exit_code == 2
    assert "does not name a model" in error_line(not_model)


@pytest.mark.parametrize("command", ["import", "export"])
def test_transfer_to_an_unreachable_endpoint(offline: Cli, tmp_path: Path, command: str) -> None:
    offline.endpoint = f"http://127.0.0.1:{free_port()}"
    source = write_lines(tmp_path / "rows.jsonl", events(1))
    args = (["import", "sample_models:Event", str(source)] if command == "import"
            else ["export", "sample_models:Event", "--out", str(tmp_path / "out.jsonl")])
    result = offline(*args)
    assert result.exit_code == 2
    assert error_line(result).startswith(f"error: cannot reach DynamoDB at {offline.endpoint}")


def test_sample_models_module_is_the_one_imported() -> None:
    from dynamap.cli.targets import load_model

    assert load_model("sample_models:Event") is sample_models.Event


def test_export_stops_at_an_item_that_no_longer_fits_or_skips_and_lists_it(
    dynamap: Cli, tmp_path: Path
) -> None:
    assert dynamap("create-tables", "sample_models").exit_code == 0

    async def fill(db: Session) -> None:
        await db.put_many([Event(id="e1", message="one"), Event(id="e2", message="two")])
        await db.send("PutItem", {"TableName": f"{db.table_prefix}CliAudit", "Item": {
            "id": {"S": "e3"}, "entity": {"S": "Event"}}})  # written without its message

    dynamap.run(fill)
    out = tmp_path / "events.jsonl"
    failed = dynamap("export", "sample_models:Event", "--out", str(out))
    assert failed.exit_code != 0
    assert "e3" in failed.output and "message" in failed.output
    assert not out.exists()  # nothing half-written
    skipped = dynamap("export", "sample_models:Event", "--out", str(out), "--invalid", "skip")
    assert skipped.exit_code == 0, skipped.output
    assert skipped.stdout.splitlines()[0] == f"exported 2 Event items to {out}"
    listing = tmp_path / "events.jsonl.invalid.jsonl"
    assert "left out 1 stored items that do not fit their model" in skipped.stderr
    [entry] = [json.loads(line) for line in listing.read_text().splitlines()]
    assert (entry["key"], entry["fields"]) == ({"id": {"S": "e3"}}, ["message"])
    assert sorted(json.loads(line)["id"] for line in out.read_text().splitlines()) == [
        "e1", "e2"]
