"""The migration framework on DynamoDB Local and moto: every record accounted for, the
table checked against the source with a plain boto3 client, reruns that change nothing,
and a killed run that resumes to the same end state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from pydantic.alias_generators import to_camel

from dynamap import Key, Model, Session, Table, utcnow
from dynamap.local import LocalDynamoDB
from dynamap.migrate import NOW, Entity, Field, Fill, JsonLines, MongoExport, Skip, migrate

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent

people = Table("people")


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True)


class Usage(Camel):
    requests: int = 0
    credits: Decimal = Decimal(0)


class Person(Model, table=people, entity="person"):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True)
    pk: ClassVar[Key] = Key("PERSON#{id}")
    sk: ClassVar[Key] = Key("PROFILE")

    id: str
    name: str
    age: int | None = None
    joined_at: datetime = PydanticField(default_factory=utcnow)
    usage: Usage = PydanticField(default_factory=Usage)
    tags: list[str] = PydanticField(default_factory=list)


class OnlyRequests(BaseModel):
    requests: int = 0  # pydantic ignores the `credits` it does not declare


class Narrow(Model, table=Table("narrow"), entity="person"):
    """A model that forgets a field the mapping carries: `usage.credits`."""

    pk: ClassVar[Key] = Key("PERSON#{id}")
    sk: ClassVar[Key] = Key("PROFILE")

    id: str
    name: str
    usage: OnlyRequests = PydanticField(default_factory=lambda: OnlyRequests())


def mongo_lines(count: int) -> Iterator[str]:
    for n in range(count):
        document: dict[str, Any] = {"_id": {"$oid": f"{n:024x}"}, "name": f"user {n}",
                                    "__v": 0, "avatar": f"https://img/{n}.png"}
        if n % 3:
            document["joinedAt"] = {"$date": {"$numberLong": str(1700000000000 + n)}}
        if n % 4 == 0:
            document["usage"] = {"requests": {"$numberLong": str(n)},
                                 "credits": {"$numberDecimal": f"{n}.25"}}
        if n % 5 == 0:
            document["age"] = None
        elif n % 5 == 1:
            document["age"] = {"$numberInt": str(20 + n % 50)}
        if n % 7 == 0:
            document["tags"] = ["a", f"t{n}"]
        yield json.dumps(document)


def write_dump(path: Path, count: int) -> list[str]:
    lines = list(mongo_lines(count))
    lines.insert(5, lines[2].replace('"user 2"', '"user 2 again"'))  # a duplicate _id
    lines.insert(9, '{"_id": {"$oid": "ff"}, "name": ')                # truncated
    lines.insert(11, '{"_id": {"$oid": "fe"}}')                        # no name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def people_entity(path: Path, model: type[Model] = Person, **options: Any) -> Entity:
    return Entity("people", MongoExport(path), model, fields={
        "id": "_id", "name": "name", "age": "age", "usage": "usage", "tags": "tags",
        "joinedAt": Field("joinedAt", missing=Fill(NOW, "the migration time")),
    }, ignore=("__v",), **options)


def plain_items(server: LocalDynamoDB, table: str) -> dict[str, dict[str, Any]]:
    client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    items: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            items[item["PK"]["S"]] = item
    return items


def check_against_source(items: dict[str, dict[str, Any]], path: Path) -> None:
    """The table, read with boto3, against the dump read with the json module."""
    seen: set[str] = set()
    for line in path.read_text().splitlines():
        try:
            document = json.loads(line)
            oid, name = document["_id"]["$oid"], document["name"]
        except (json.JSONDecodeError, KeyError):
            continue
        if oid in seen:
            continue  # the first of a duplicate id is kept
        seen.add(oid)
        item = items.pop(f"PERSON#{oid}")
        assert item["name"] == {"S": name}
        assert "avatar" not in item and "__v" not in item
        if "usage" in document:
            usage = document["usage"]
            assert item["usage"]["M"]["requests"] == {"N": usage["requests"]["$numberLong"]}
            assert item["usage"]["M"]["credits"] == {"N": usage["credits"]["$numberDecimal"]}
        if isinstance(document.get("age"), dict):
            assert item["age"] == {"N": document["age"]["$numberInt"]}
        elif "age" in document:
            assert item.get("age", {"NULL": True}) == {"NULL": True}
        if "joinedAt" in document:
            millis = int(document["joinedAt"]["$date"]["$numberLong"])
            stored = datetime.fromisoformat(item["joinedAt"]["S"].replace("Z", "+00:00"))
            assert stored == datetime.fromtimestamp(millis / 1000, UTC)
        assert [v["S"] for v in item.get("tags", {"L": []})["L"]] == document.get("tags", [])
    assert items == {}, "items in the table that are not in the source"


async def test_every_record_is_accounted_for_and_checked_against_the_source(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    path = tmp_path / "users.json"
    write_dump(path, 120)
    await db.create_tables(Person)
    report = await migrate(db, [people_entity(path)])
    people_report = report["people"]
    assert people_report.balanced and report.ok, report.summary()
    assert (people_report.read, people_report.written, len(people_report.rejected),
            len(people_report.duplicates)) == (123, 120, 2, 1)
    assert people_report.duplicates[0].where == "users.json line 6"
    assert "users.json line 3" in people_report.duplicates[0].reason
    assert people_report.unmapped == {"avatar": 121}
    assert people_report.ignored == {"__v": 121}
    assert people_report.policies["joinedAt: not in the source (or NULL), "
                                  "the migration time"] == 40
    assert "avatar: 121 records, not mapped" in report.summary()
    check_against_source(plain_items(server, db.table_name(Person)), path)


async def test_a_model_that_drops_mapped_data_fails_verification(
    db: Session, tmp_path: Path
) -> None:
    path = tmp_path / "users.json"
    write_dump(path, 12)
    await db.create_tables(Narrow)  # its own table: Person's key shape is taken here
    entity = Entity("people", MongoExport(path), Narrow,
                    fields={"id": "_id", "name": "name", "usage": "usage"},
                    ignore=("__v", "avatar", "age", "joinedAt", "tags"))
    report = await migrate(db, [entity])
    assert not report.ok
    mismatches = report["people"].mismatches
    assert len(mismatches) == 3  # the records with a usage (n = 0, 4, 8)
    assert "usage.credits: source Decimal('4.25'), stored nothing" in mismatches[1]


@pytest.mark.parametrize(("policy", "written", "duplicates", "name"), [
    ("first", 2, 1, "one"), ("last", 2, 1, "three"), ("reject", 1, 2, None),
])
async def test_duplicate_policies(
    db: Session, server: LocalDynamoDB, tmp_path: Path, policy: Any, written: int,
    duplicates: int, name: str | None,
) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "a", "name": "one"}\n{"id": "b", "name": "two"}\n'
                    '{"id": "a", "name": "three"}\n', encoding="utf-8")
    await db.create_tables(Person)
    entity = Entity("people", JsonLines(path), Person, fields={"id": "id", "name": "name"},
                    duplicates=policy)
    report = (await migrate(db, [entity]))["people"]
    assert (report.written, len(report.duplicates), report.balanced) == (written, duplicates,
                                                                        True)
    items = plain_items(server, db.table_name(Person))
    assert (items["PERSON#a"]["name"]["S"] if "PERSON#a" in items else None) == name


async def test_a_rerun_changes_nothing_and_keeps_made_up_values(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    path = tmp_path / "users.json"
    write_dump(path, 30)
    await db.create_tables(Person)
    first = await migrate(db, [people_entity(path)],
                          now=datetime(2025, 1, 1, tzinfo=UTC))
    before = plain_items(server, db.table_name(Person))
    again = await migrate(db, [people_entity(path)],
                          now=datetime(2026, 1, 1, tzinfo=UTC))
    assert first.ok and again.ok, again.summary()
    assert (again["people"].written, again["people"].unchanged) == (0, 30)
    assert plain_items(server, db.table_name(Person)) == before  # nothing re-stamped


class KilledError(Exception):
    pass


async def test_a_killed_run_resumes_to_the_same_end_state(
    db: Session, server: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "users.json"
    write_dump(path, 60)
    await db.create_tables(Person)
    monkeypatch.setattr("dynamap.migrate.run.CHUNK", 25)

    def kill(entity: str, done: int) -> None:
        if done >= 25:
            raise KilledError

    with pytest.raises(KilledError):
        await migrate(db, [people_entity(path)], progress=kill)
    assert len(plain_items(server, db.table_name(Person))) == 25
    resumed = await migrate(db, [people_entity(path)])
    assert resumed.ok and (resumed["people"].written, resumed["people"].unchanged) == (35, 25)
    check_against_source(plain_items(server, db.table_name(Person)), path)


async def test_a_transform_skips_on_purpose_and_counts_its_policy(
    db: Session, tmp_path: Path
) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "a", "name": "one"}\n{"id": "b", "name": "two", "gone": 1}\n')

    def only_current(document: dict[str, Any], context: Any) -> dict[str, Any] | Skip:
        return Skip("deleted in the old app") if document["id"] == "b" else document

    await db.create_tables(Person)
    entity = Entity("people", JsonLines(path), Person, fields={"id": "id", "name": "name"},
                    ignore=("gone",), transform=only_current)
    report = (await migrate(db, [entity]))["people"]
    assert report.ok and report.written == 1 and report.skipped[0].where == "d.jsonl line 2"


async def test_a_process_killed_mid_run_resumes_to_the_source(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    path = tmp_path / "users.json"
    write_dump(path, 400)
    env = {**os.environ, **server.env(), "DYNAMAP_TABLE_PREFIX": db.table_prefix}
    killed = subprocess.run([sys.executable, str(HERE / "killed_migration.py"), str(path)],
                            cwd=HERE, env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    partial = len(plain_items(server, db.table_name(Person)))
    assert 150 <= partial <= 200  # the first chunk, and part of the second
    resumed = await migrate(db, [people_entity(path)])
    part = resumed["people"]
    assert resumed.ok and part.written + part.unchanged == 400, resumed.summary()
    assert part.unchanged == partial
    check_against_source(plain_items(server, db.table_name(Person)), path)
