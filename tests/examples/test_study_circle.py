"""examples/study_circle (seed 004) end to end: five tables under DYNAMODB_TABLE_PREFIX,
unique emails and usernames, the access patterns, and the mongoexport migration, on
DynamoDB Local and moto."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from click.testing import CliRunner

from dynamap import Session, UniqueConstraintViolated
from dynamap._tables import schema_of
from dynamap.cli.app import cli
from dynamap.local import LocalDynamoDB
from dynamap.migrate import MigrationReport, migrate
from examples.study_circle.migration import DumpError, dump_entities, import_dump
from examples.study_circle.models import (
    ALL_MODELS,
    Attempt,
    Content,
    Document,
    Exam,
    Summary,
    Template,
    User,
    study_circle_session,
    table_prefix,
)
from examples.study_circle.repository import (
    change_email,
    content_of,
    content_since,
    exams_of,
    find_by_email,
    find_by_username,
    public_templates,
    record_attempt,
    sign_up,
    summaries_of,
    templates_by,
    templates_of_type,
    users_by_ids,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 1, 1, tzinfo=UTC)

# The seed's "DynamoDB Table Structure": table -> {GSI: (partition, sort)}, all keyed by id.
SEED_INDEXES: dict[str, dict[str, tuple[str, str | None]]] = {
    "users": {"EmailIndex": ("email", None), "UsernameIndex": ("username", None)},
    "content": {"OwnerIndex": ("owner", "createdAt")},
    "summaries": {"OwnerIndex": ("owner", "createdAt"), "ContentIndex": ("contentId", None)},
    "exams": {"OwnerIndex": ("owner", "createdAt"), "ContentIndex": ("contentId", None)},
    "templates": {"CreatedByIndex": ("createdBy", "createdAt"),
                  "TypeCategoryIndex": ("type", "category"),
                  "PublicTemplatesIndex": ("isPublic", "createdAt")},
}


def user(name: str, email: str | None = None) -> User:
    return User(username=name, email=email or f"{name}@example.com", password="$2b$10$hash")


# -- tables ----------------------------------------------------------------------------


def test_tables_have_the_seeds_keys_and_indexes() -> None:
    schemas = {schema.name: schema for schema in
               (schema_of(model.__dynamap__.table) for model in ALL_MODELS)}
    assert set(schemas) == set(SEED_INDEXES)
    for name, indexes in SEED_INDEXES.items():
        schema = schemas[name]
        assert (schema.pk.name, schema.pk.type, schema.sk) == ("id", "S", None)
        got = {i.name: (i.pk.name, i.sk.name if i.sk else None) for i in schema.gsis}
        assert got == indexes
    public = next(i for i in schemas["templates"].gsis if i.name == "PublicTemplatesIndex")
    assert public.pk.type == "N"  # isPublic is a NumericBool: a key cannot be a BOOL


def test_the_seeds_table_prefix_becomes_the_session_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DYNAMODB_TABLE_PREFIX", raising=False)
    assert table_prefix() == "ai-study-circle-"
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", "ai-study-circle-prod")
    session = study_circle_session(region="us-east-1")
    assert session.table_name(User) == "ai-study-circle-prod-users"
    assert session.table_name(Template) == "ai-study-circle-prod-templates"


def test_the_cli_and_the_iac_output_follow_the_seeds_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DYNAMAP_TABLE_PREFIX", raising=False)
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", "ai-study-circle")
    runner = CliRunner()
    terraform = runner.invoke(cli, ["create-tables", "examples.study_circle.models",
                                    "--format", "terraform"])
    assert terraform.exit_code == 0, terraform.output
    names = re.findall(r'(?m)^  name +=  *"([^"]+)"', terraform.stdout)
    assert names == [f"ai-study-circle-{t}" for t in
                     ("users", "content", "summaries", "exams", "templates")]
    cloudformation = runner.invoke(cli, ["create-tables", "examples.study_circle.models",
                                         "--format", "cloudformation"])
    resources = json.loads(cloudformation.stdout)["Resources"]
    assert resources["UsersTable"]["Properties"]["TableName"] == "ai-study-circle-users"
    monkeypatch.setenv("DYNAMODB_TABLE_PREFIX", "ai-study-circle-staging")
    request = runner.invoke(cli, ["create-tables", "examples.study_circle.models",
                                  "--dry-run"])
    assert '"TableName": "ai-study-circle-staging-users"' in request.stdout
    assert Session(region="us-east-1").table_name(User) == "ai-study-circle-staging-users"


# -- access patterns ------------------------------------------------------------------------


async def test_emails_and_usernames_are_unique(db: Session) -> None:
    await db.create_tables(User)
    ada = await sign_up(db, user("ada"))
    with pytest.raises(UniqueConstraintViolated) as taken:
        await sign_up(db, User(username="ada2", email="ada@example.com", password="x"))
    assert (taken.value.field, taken.value.value) == ("email", "ada@example.com")
    with pytest.raises(UniqueConstraintViolated) as taken:
        await sign_up(db, User(username="ada", email="other@example.com", password="x"))
    assert taken.value.field == "username"
    assert await find_by_username(db, "ada2") is None  # nothing of a refused sign-up stays

    grace = await sign_up(db, user("grace"))
    with pytest.raises(UniqueConstraintViolated):
        await change_email(db, grace, "ada@example.com")
    await change_email(db, ada, "ada.l@example.com")
    found = await find_by_email(db, "ada.l@example.com")
    assert found is not None and found.id == ada.id
    assert await find_by_email(db, "ada@example.com") is None
    await change_email(db, grace, "ada@example.com")  # released by ada, free again
    assert sorted(u.username for u in await db.scan(User).all()) == ["ada", "grace"]


async def test_users_by_ids_is_one_batch_get_per_hundred_ids(db: Session) -> None:
    await db.create_tables(User)
    people = [await sign_up(db, user(name)) for name in ("ada", "grace", "alan")]
    asked = [people[2].id, *(f"missing-{n}" for n in range(140)), people[0].id, people[2].id]
    before = db.stats.requests.get("BatchGetItem", 0)
    found = await users_by_ids(db, asked)
    assert db.stats.requests.get("BatchGetItem", 0) - before == 2  # 142 distinct keys
    assert found[0] == people[2] and found[-2] == people[0] and found[-1] == people[2]
    assert found[1:-2] == [None] * 140


async def test_content_summaries_exams_and_attempts(db: Session) -> None:
    await db.create_tables(Content, Summary, Exam)
    owner, other = "user-1", "user-2"
    async with db.batch() as batch:
        for day in range(7):
            batch.put(Content(title=f"C{day}", owner=owner, created_at=T0 + timedelta(days=day)))
        batch.put(Content(title="Not mine", owner=other, created_at=T0 + timedelta(days=9)))
    titles, cursor = [], None
    while True:
        page = await content_of(db, owner, limit=3, cursor=cursor)
        titles.append([c.title for c in page.items])
        if page.cursor is None:
            break
        cursor = page.cursor
    assert titles == [["C6", "C5", "C4"], ["C3", "C2", "C1"], ["C0"]]
    recent = await content_since(db, owner, T0 + timedelta(days=5))
    assert [c.title for c in recent] == ["C5", "C6"]

    content = recent[0]
    for style in ("brief", "detailed"):
        await db.put(Summary(owner=owner, content_id=content.id, summary_text="...",
                             summary_type=style))
    await db.put(Summary(owner=owner, content_id="elsewhere", summary_text="..."))
    assert sorted(s.summary_type for s in await summaries_of(db, content.id)) == [
        "brief", "detailed"]
    exam = await db.put(Exam(owner=owner, content_id=content.id, title="Quiz"))
    assert [e.id for e in await exams_of(db, content.id)] == [exam.id]
    await record_attempt(db, exam, Attempt(user_id=other, score=0.5))
    await record_attempt(db, exam, Attempt(user_id=owner, score=1.0))
    stored = await db.get(Exam, id=exam.id)
    assert stored is not None
    assert [a.score for a in stored.attempts] == [0.5, 1.0]
    assert stored.analytics == {"attempts": 2.0, "averageScore": 0.75, "bestScore": 1.0}


async def test_templates_public_by_type_and_by_creator(db: Session) -> None:
    await db.create_tables(Template)
    specs: list[tuple[Literal["summary", "exam"], str, bool, str]] = [
             ("exam", "math", True, "u1"), ("summary", "math", False, "u1"),
             ("exam", "biology", True, "u2"), ("exam", "math", False, "u2"),
             ("summary", "history", True, "u1")]
    for n, (kind, category, public, creator) in enumerate(specs):
        await db.put(Template(name=f"T{n}", type=kind, category=category, is_public=public,
                              created_by=creator, created_at=T0 + timedelta(hours=n)))
    first = await public_templates(db, limit=2)
    rest = await public_templates(db, limit=2, cursor=first.cursor)
    assert [t.name for t in first.items + rest.items] == ["T4", "T2", "T0"]
    assert rest.cursor is None
    assert sorted(t.name for t in await templates_of_type(db, "exam", "math")) == ["T0", "T3"]
    assert sorted(t.name for t in await templates_of_type(db, "exam")) == ["T0", "T2", "T3"]
    assert [t.name for t in await templates_by(db, "u1")] == ["T0", "T1", "T4"]


# -- the mongoexport migration ------------------------------------------------------------------


def oid(kind: int, number: int) -> str:
    return f"{kind:02x}{number:022x}"


def mongo_date(moment: datetime, canonical: bool) -> dict[str, Any]:
    millis = int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)
    if canonical:
        return {"$date": {"$numberLong": str(millis)}}
    return {"$date": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"}


@dataclass
class Dump:
    """A generated dump: its files' lines, the documents that must arrive, the rejects."""

    lines: dict[str, list[str]] = field(default_factory=dict)
    expected: dict[type[Document], dict[str, dict[str, Any]]] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # "file line N" -> reason part

    def add(self, file: str, document: Any, *, model: type[Document] | None = None,
            expected: dict[str, Any] | None = None, rejected: str | None = None) -> None:
        lines = self.lines.setdefault(file, [])
        lines.append(document if isinstance(document, str) else json.dumps(document))
        if rejected is not None:
            self.rejected[f"{file} line {len(lines)}"] = rejected
        if model is not None and expected is not None:
            self.expected.setdefault(model, {})[expected["id"]] = expected

    def save(self, directory: Path) -> None:
        for file, lines in self.lines.items():
            (directory / file).write_text("\n".join(lines) + "\n", encoding="utf-8")

    def total(self) -> int:
        return sum(len(documents) for documents in self.expected.values())


def generate_dump(users: int) -> Dump:
    """`users` users with a template each and 4 contents each, each content with 2
    summaries and an exam; then malformed documents, each with (part of) its reject
    reason. Few users, many documents: each user is a transaction of its own."""
    dump = Dump()
    for u in range(users):
        add_user(dump, u)
    for n in range(4 * users):
        add_content(dump, n // 4, n)
    for n in range(8 * users):
        add_summary(dump, n)
    for n in range(4 * users):
        add_exam(dump, n)
    for n in range(users):
        add_template(dump, n)
    for file in ("users.json", "contents.json", "summaries.json", "exams.json",
                 "templates.json"):
        dump.lines.setdefault(file, [])
    add_malformed(dump)
    return dump


def add_user(dump: Dump, u: int) -> None:
    created = T0 + timedelta(hours=u, milliseconds=7)
    tokens = 10**12 + u  # beyond 32 bits: $numberLong
    document = {"_id": {"$oid": oid(1, u)}, "username": f"user{u}",
                "email": f"user{u}@example.com", "password": f"$2b$10${u:022d}",
                "role": ("student", "teacher")[u % 2],
                "preferences": {"language": "de", "summaryLength": "short",
                                **({"theme": "dark"} if u % 3 else {})},
                "apiUsage": {"tokensUsed": {"$numberLong": str(tokens)},
                             "summariesGenerated": {"$numberInt": str(u % 7)},
                             "requests": {"$numberInt": str(u * 3)},
                             "credits": {"$numberDecimal": f"{u}.5"}},
                "createdAt": mongo_date(created, u % 2 == 0),
                "updatedAt": mongo_date(created, False), "__v": {"$numberInt": "0"}}
    if u % 2:
        document["avatar"] = f"https://img.example/{u}.png"
    dump.add("users.json", document, model=User, expected={
        "avatar": f"https://img.example/{u}.png" if u % 2 else None,
        "id": oid(1, u), "username": f"user{u}", "email": f"user{u}@example.com",
        "role": ("student", "teacher")[u % 2], "created_at": created,
        "preferences": {"language": "de", "summary_length": "short", "difficulty": "medium",
                        "theme": "dark" if u % 3 else "light"},
        "api_usage": {"tokens_used": tokens, "summaries_generated": u % 7,
                      "exams_generated": 0, "period_start": None, "requests": u * 3,
                      "credits": u + 0.5}})


def add_content(dump: Dump, u: int, n: int) -> None:
    created = T0 + timedelta(days=1, minutes=n)
    document = {"_id": {"$oid": oid(2, n)}, "title": f"Chapter {n}", "owner": {"$oid": oid(1, u)},
                "contentType": "pdf", "sourceText": "Mitochondria — the powerhouse\nof the cell",
                "filePath": f"uploads/{n}.pdf", "sourceMetadata": {"pages": {"$numberInt": "12"}},
                "usage": {"views": n % 5}, "createdAt": mongo_date(created, n % 3 == 0)}
    dump.add("contents.json", document, model=Content, expected={
        "id": oid(2, n), "title": f"Chapter {n}", "owner": oid(1, u), "content_type": "pdf",
        "source_text": "Mitochondria — the powerhouse\nof the cell",
        "file_path": f"uploads/{n}.pdf", "source_metadata": {"pages": 12},
        "usage": {"views": n % 5}, "created_at": created})


def add_summary(dump: Dump, n: int) -> None:
    document = {"_id": {"$oid": oid(3, n)}, "owner": {"$oid": oid(1, n // 8)},
                "content": {"$oid": oid(2, n // 2)}, "summaryText": f"Summary {n}",
                "summaryType": "bullet_points", "rating": {"$numberInt": str(n % 5 + 1)},
                "metadata": {"model": "gpt", "tokens": {"$numberLong": "3000000000"}}}
    dump.add("summaries.json", document, model=Summary, expected={
        "id": oid(3, n), "owner": oid(1, n // 8), "content_id": oid(2, n // 2),
        "summary_text": f"Summary {n}", "summary_type": "bullet_points",
        "rating": n % 5 + 1, "metadata": {"model": "gpt", "tokens": 3000000000}})


def add_exam(dump: Dump, n: int) -> None:
    taken = T0 + timedelta(days=2, seconds=n)
    document = {"_id": {"$oid": oid(4, n)}, "owner": {"$oid": oid(1, n // 4)},
                "content": {"$oid": oid(2, n)}, "title": f"Exam {n}",
                "questions": [{"text": "2 + 2?", "options": ["3", "4"], "answer": "4",
                               "points": {"$numberInt": "2"}}],
                "attempts": [{"userId": oid(1, n), "score": {"$numberDouble": "0.75"},
                              "takenAt": mongo_date(taken, True)}],
                "analytics": {"averageScore": 0.75}}
    dump.add("exams.json", document, model=Exam, expected={
        "id": oid(4, n), "owner": oid(1, n // 4), "content_id": oid(2, n),
        "title": f"Exam {n}",
        "questions": [{"text": "2 + 2?", "kind": "multiple_choice", "options": ["3", "4"],
                       "answer": "4", "points": 2}],
        "attempts": [{"user_id": oid(1, n), "score": 0.75, "taken_at": taken}],
        "analytics": {"averageScore": 0.75}})


def add_template(dump: Dump, n: int) -> None:
    document = {"_id": {"$oid": oid(5, n)}, "name": f"Template {n}",
                "type": ("summary", "exam")[n % 2], "category": "math",
                "examConfig": {"questions": {"$numberInt": "10"}} if n % 2 else None,
                "isPublic": n % 3 == 0, "createdBy": {"$oid": oid(1, n)},
                "ratings": [{"$numberInt": "4"}, 5]}
    dump.add("templates.json", document, model=Template, expected={
        "id": oid(5, n), "name": f"Template {n}", "type": ("summary", "exam")[n % 2],
        "exam_config": {"questions": 10} if n % 2 else None, "is_public": n % 3 == 0,
        "created_by": oid(1, n), "ratings": [4, 5]})


TAKEN_EMAIL = "already.here@example.com"


def add_malformed(dump: Dump) -> None:
    def bad_user(n: int, **changes: Any) -> dict[str, Any]:
        document = {"_id": {"$oid": oid(9, n)}, "username": f"bad{n}",
                    "email": f"bad{n}@example.com", "password": "x"}
        document.update(changes)
        return document

    dump.add("users.json", '{"_id": {"$oid": "broken"}, "username": ',
             rejected="not valid JSON")
    dump.add("users.json", bad_user(1, email="no-at-sign"), rejected="email")
    dump.add("users.json", bad_user(2, email="user0@example.com"),
             rejected="same email as users.json line 1")
    dump.add("users.json", bad_user(3, username="user1"),
             rejected="same username as users.json line 2")
    dump.add("users.json", bad_user(4, createdAt={"$date": "yesterday"}), rejected="$date")
    dump.add("users.json", bad_user(5, role="superuser"), rejected="role")
    dump.add("users.json", bad_user(6, _id={"$oid": oid(1, 0)}),
             rejected="same key as users.json line 1")
    dump.add("users.json", {"username": "no-id", "email": "noid@example.com",
                            "password": "x"}, rejected="key field(s) ['id'] are not in the source")
    dump.add("users.json", [1, 2], rejected="must be an object")
    # valid in itself, but the table already has a user with this email
    dump.add("users.json", bad_user(7, email=TAKEN_EMAIL), rejected="is already taken")

    dump.add("contents.json", {"_id": {"$oid": oid(9, 1)}, "title": "Orphan",
                               "owner": {"$oid": oid(8, 1)}},
             rejected=f"owner '{oid(8, 1)}' is not a migrated record of users")
    dump.add("contents.json", {"_id": {"$oid": oid(9, 2)}, "title": "",
                               "owner": {"$oid": oid(1, 0)}}, rejected="title")
    dump.add("contents.json", {"_id": {"$oid": oid(9, 3)}, "title": "Of a refused user",
                               "owner": {"$oid": oid(9, 7)}},
             rejected=f"owner '{oid(9, 7)}' is not a migrated record of users")
    dump.add("contents.json", {"_id": {"$oid": oid(9, 4)}, "title": "Bad type",
                               "owner": {"$oid": oid(1, 0)}, "contentType": "video"},
             rejected="contentType")

    dump.add("summaries.json", {"_id": {"$oid": oid(9, 1)}, "owner": {"$oid": oid(1, 0)},
                                "content": {"$oid": oid(9, 3)}, "summaryText": "x"},
             rejected=f"contentId '{oid(9, 3)}' is not a migrated record of content")
    dump.add("summaries.json", {"_id": {"$oid": oid(9, 2)}, "owner": {"$oid": oid(1, 0)},
                                "content": {"$oid": oid(2, 0)}, "summaryText": "x",
                                "rating": 9}, rejected="rating")
    dump.add("summaries.json", {"_id": {"$oid": oid(9, 3)}, "owner": {"$oid": oid(1, 0)},
                                "content": {"$oid": oid(2, 0)}}, rejected="summaryText")

    dump.add("exams.json", {"_id": {"$oid": oid(9, 1)}, "owner": {"$oid": oid(1, 0)},
                            "content": {"$oid": oid(2, 0)},
                            "attempts": [{"userId": "u", "score": {"$numberDouble": "NaN"}}]},
             rejected="numbers must be finite")
    dump.add("exams.json", {"_id": {"$oid": oid(9, 2)}, "owner": {"$oid": oid(1, 0)},
                            "content": {"$oid": oid(2, 0)},
                            "attempts": [{"userId": "u", "score": {"$numberLong": "x"}}]},
             rejected="$numberLong")

    dump.add("templates.json", {"_id": {"$oid": oid(9, 1)}, "name": "T", "type": "video",
                                "createdBy": {"$oid": oid(1, 0)}}, rejected="type")
    dump.add("templates.json", {"_id": {"$oid": oid(9, 2)}, "name": "T", "type": "exam",
                                "isPublic": "maybe", "createdBy": {"$oid": oid(1, 0)}},
             rejected="isPublic")
    dump.add("templates.json", {"_id": {"$oid": oid(9, 3)}, "name": "T", "type": "exam",
                                "createdBy": {"$oid": oid(9, 1)}},
             rejected=f"createdBy '{oid(9, 1)}' is not a migrated record of users")


def assert_fields(model: type[Document], item: Document, expected: dict[str, Any]) -> None:
    got = item.model_dump()
    for name, value in expected.items():
        if isinstance(value, dict) and isinstance(got[name], dict):
            assert {k: got[name][k] for k in value} == value, (model.__name__, item.id, name)
        else:
            assert got[name] == value, (model.__name__, item.id, name, got[name])


def users_in_flight(engine: str) -> int:
    """Concurrent user writes for the import: moto's server is not thread-safe for
    concurrent TransactWriteItems (it deep-copies a table another request is writing
    and answers HTTP 500), so on moto users are written one at a time."""
    return 1 if engine == "moto" else 16


def plain_table(server: LocalDynamoDB, table: str) -> dict[str, dict[str, Any]]:
    """Every item of a table by id, read with boto3 and decoded by its deserializer."""
    client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    decode = TypeDeserializer().deserialize
    return {item["id"]["S"]: {name: decode(value) for name, value in item.items()}
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]}


def source_documents(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The dump's documents as the json module reads them, by line."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            document = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict):
            yield f"{path.name} line {number}", document


def mongo_value(value: Any) -> Any:
    """A relaxed/canonical extended-JSON scalar as Python (this test's own reading)."""
    if isinstance(value, dict) and len(value) == 1:
        (kind, inner), = value.items()
        if kind in ("$numberInt", "$numberLong", "$numberDecimal"):
            return Decimal(inner)
        if kind == "$oid":
            return inner
    return value


def check_users_plainly(server: LocalDynamoDB, table: str, path: Path,
                        report: MigrationReport) -> None:
    """Every migrated user, read with boto3, holds the dump's avatar, usage counters,
    theme and creation time (the fields seed 004's app has that defaults would hide)."""
    stored = plain_table(server, table)
    migrated = {problem.where for entity in report.entities
                for problem in (*entity.rejected, *entity.duplicates)}
    checked = 0
    for where, document in source_documents(path):
        if where in migrated or "_id" not in document:
            continue
        item = stored[mongo_value(document["_id"])]
        assert item.get("avatar") == document.get("avatar"), where
        usage = document["apiUsage"]
        for name in ("requests", "credits", "tokensUsed"):
            assert item["apiUsage"][name] == mongo_value(usage[name]), (where, name)
        assert item["preferences"]["theme"] == document["preferences"].get("theme", "light")
        created = document["createdAt"]["$date"]
        if isinstance(created, dict):
            millis = int(created["$numberLong"])
        else:
            millis = int(datetime.fromisoformat(created).timestamp() * 1000)
        assert datetime.fromisoformat(item["createdAt"]).timestamp() * 1000 == millis
        checked += 1
    assert checked == report["users"].stored > 0


async def test_mongoexport_dump_is_imported_verified_and_bad_documents_rejected(
    db: Session, engine: str, server: LocalDynamoDB, tmp_path: Path
) -> None:
    dump = generate_dump(users=60)
    assert dump.total() >= 1000
    dump.save(tmp_path)
    await db.create_tables(*ALL_MODELS)
    await sign_up(db, user("already", email=TAKEN_EMAIL))

    report = await import_dump(db, tmp_path, users_in_flight=users_in_flight(engine))

    reasons = {problem.where: problem.reason for entity in report.entities
               for problem in (*entity.rejected, *entity.duplicates)}
    assert set(reasons) == set(dump.rejected)
    for source, reason in dump.rejected.items():
        assert reason in reasons[source], (source, reasons[source])
    assert report.total("read") == dump.total() + len(dump.rejected)
    assert report.total("written") == dump.total()
    assert report.ok and report.total("verified") == dump.total(), report.summary()
    assert all(entity.balanced and not entity.unmapped for entity in report.entities)
    check_users_plainly(server, db.table_name(User), tmp_path / "users.json", report)

    for model, expected in dump.expected.items():  # every document, read independently
        stored = {item.id: item for item in await db.scan(model).all()}
        if model is User:
            already = await find_by_email(db, TAKEN_EMAIL)
            assert already is not None and already.username == "already"
            del stored[already.id]
        assert set(stored) == set(expected), model.__name__  # rejected ones are not there
        for document_id, fields in expected.items():
            assert_fields(model, stored[document_id], fields)

    # the imported users hold their emails and usernames: the unique guards came along
    with pytest.raises(UniqueConstraintViolated):
        await sign_up(db, User(username="newcomer", email="user5@example.com", password="x"))
    with pytest.raises(UniqueConstraintViolated):
        await sign_up(db, User(username="user6", email="new@example.com", password="x"))
    found = await find_by_email(db, "user7@example.com")
    assert found is not None and found.id == oid(1, 7)


async def test_import_runs_again_and_changes_nothing(
    db: Session, engine: str, server: LocalDynamoDB, tmp_path: Path
) -> None:
    dump = generate_dump(users=6)
    dump.save(tmp_path)
    await db.create_tables(*ALL_MODELS)
    in_flight = users_in_flight(engine)
    first = await import_dump(db, tmp_path, users_in_flight=in_flight)
    tables = [db.table_name(model) for model in ALL_MODELS]
    before = [plain_table(server, table) for table in tables]
    again = await import_dump(db, tmp_path, users_in_flight=in_flight)
    assert first.ok and again.ok, again.summary()
    assert again.total("written") == 0
    assert again.total("unchanged") == first.total("written")
    assert [plain_table(server, table) for table in tables] == before  # nothing re-stamped
    # 6 generated users, and the malformed set's user whose email is free in this table
    assert len(await db.scan(User).all()) == first["users"].written == 7


class KilledError(Exception):
    """Stands for the process being killed in the middle of the import."""


async def test_a_killed_import_resumes_to_the_same_end_state(
    db: Session, engine: str, server: LocalDynamoDB, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dump = generate_dump(users=12)
    dump.save(tmp_path)
    await db.create_tables(*ALL_MODELS)
    await sign_up(db, user("already", email=TAKEN_EMAIL))
    monkeypatch.setattr("dynamap.migrate.run.CHUNK", 20)

    def kill(entity: str, done: int) -> None:
        if entity == "summaries" and done >= 40:
            raise KilledError

    with pytest.raises(KilledError):
        await migrate(db, dump_entities(tmp_path), progress=kill,
                      concurrency=users_in_flight(engine))
    resumed = await import_dump(db, tmp_path, users_in_flight=users_in_flight(engine))
    assert resumed.ok, resumed.summary()
    assert resumed["summaries"].unchanged == 40 and resumed["users"].written == 0
    assert resumed.total("written") + resumed.total("unchanged") == dump.total()
    check_users_plainly(server, db.table_name(User), tmp_path / "users.json", resumed)
    for model in (Content, Summary, Exam, Template):
        assert set(plain_table(server, db.table_name(model))) == set(dump.expected[model])


async def test_duplicate_policy_last_keeps_the_later_document(
    db: Session, engine: str, server: LocalDynamoDB, tmp_path: Path
) -> None:
    dump = generate_dump(users=2)
    dump.save(tmp_path)
    await db.create_tables(*ALL_MODELS)
    report = await import_dump(db, tmp_path, users_in_flight=users_in_flight(engine),
                               duplicates="last")
    users = plain_table(server, db.table_name(User))
    assert users[oid(1, 0)]["username"] == "bad6"  # the later document with user0's id
    assert report["users"].balanced


def test_a_missing_collection_file_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    dump = generate_dump(users=3)
    dump.save(tmp_path)
    (tmp_path / "exams.json").unlink()
    with pytest.raises(DumpError, match=r"exams\.json is missing"):
        dump_entities(tmp_path)


# -- the runnable example ----------------------------------------------------------------------

SEED_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_ENDPOINT", "DYNAMODB_TABLE_PREFIX",
                  "DYNAMAP_TABLE_PREFIX")


def run_program(env: dict[str, str]) -> str:
    base = {name: value for name, value in os.environ.items() if name not in SEED_VARIABLES}
    result = subprocess.run([sys.executable, "-m", "examples.study_circle"], cwd=ROOT,
                            env={**base, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_tour(output: str) -> None:
    assert "sign-up refused: email 'ada@example.com' is taken" in output
    assert "batchGet: ['alan', None, 'ada']" in output
    assert "newest content: ['Chapter 5', 'Chapter 4'] then ['Chapter 3', 'Chapter 2']" in output
    assert "rejected users.json line 3: not valid JSON" in output
    assert "migration: verified" in output
    assert "not mapped" not in output  # every field of the sample dump is carried


async def test_main_runs_with_the_seeds_environment(server: LocalDynamoDB, db: Session) -> None:
    env = server.env()
    env["DYNAMODB_ENDPOINT"] = env.pop("AWS_ENDPOINT_URL_DYNAMODB")  # the seed's variable
    env["DYNAMODB_TABLE_PREFIX"] = f"{db.table_prefix}ai-study-circle"
    output = run_program(env)
    assert "started a local DynamoDB" not in output
    check_tour(output)
    listed = (await db.send("ListTables", {}))["TableNames"]
    assert f"{db.table_prefix}ai-study-circle-users" in listed  # left in place; fixture drops


def test_main_starts_a_local_dynamodb_when_no_endpoint_is_configured() -> None:
    output = run_program({})
    assert "started a local DynamoDB" in output
    check_tour(output)
    assert "dropped: ['ai-study-circle-users'" in output
