"""examples/vishmaker (seed 002) end to end: six tables, the requirement tree, the
Terraform output and the PostgreSQL CSV migration, on DynamoDB Local and moto."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from click.testing import CliRunner

from dynamap import Model, Session
from dynamap._tables import schema_of
from dynamap.cli.app import cli
from dynamap.local import LocalDynamoDB
from dynamap.migrate import migrate
from examples.vishmaker.migration import (
    ExportError,
    export_entities,
    import_export,
    legacy_uuid,
)
from examples.vishmaker.models import (
    ALL_MODELS,
    ALL_TABLES,
    DEFAULT_TABLE_NAMES,
    HighLevelRequirement,
    LowLevelRequirement,
    Project,
    TestCase,
    UserFlow,
    WaitlistEntry,
)
from examples.vishmaker.tree import delete_tree, load_tree

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

# The seed's "Tables Structure", transcribed: name -> (hash key, range key, {GSI: hash key}).
SEED_TABLES: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "prod-vishmaker-projects": ("id", "user_id", {"user_id-index": "user_id",
                                                  "name-index": "name"}),
    "prod-vishmaker-user-flows": ("uiid", "project_id", {"project_id-index": "project_id"}),
    "prod-vishmaker-high-level-requirements": ("uiid", "parent_uiid",
                                               {"parent_uiid-index": "parent_uiid"}),
    "prod-vishmaker-low-level-requirements": ("uiid", "parent_uiid",
                                              {"parent_uiid-index": "parent_uiid"}),
    "prod-vishmaker-test-cases": ("uiid", "parent_uiid", {"parent_uiid-index": "parent_uiid"}),
    "prod-vishmaker-waitlist": ("email", None, {"status-index": "status"}),
}


# -- tables and Terraform (no server) ----------------------------------------------------


def terraform_tables(text: str) -> dict[str, tuple[str, str | None, dict[str, str]]]:
    """The tables of Terraform `aws_dynamodb_table` blocks: name, keys and GSI keys."""
    tables = {}
    for block in re.split(r'(?m)^resource "aws_dynamodb_table" ', text)[1:]:
        top = re.sub(r"(?s)\n  \w+ \{.*?\n  \}", "", block)
        name = re.search(r'(?m)^  name +=  *"([^"]+)"', top)
        hash_key = re.search(r'(?m)^  hash_key +=  *"([^"]+)"', top)
        range_key = re.search(r'(?m)^  range_key +=  *"([^"]+)"', top)
        assert name and hash_key, block
        gsis = dict(re.findall(
            r'(?s)global_secondary_index \{\s*name +=  *"([^"]+)"\s*hash_key +=  *"([^"]+)"',
            block))
        tables[name.group(1)] = (hash_key.group(1), range_key and range_key.group(1), gsis)
    return tables


def test_tables_have_the_seeds_keys_and_indexes() -> None:
    assert set(DEFAULT_TABLE_NAMES.values()) == set(SEED_TABLES)
    for table in ALL_TABLES:
        schema = schema_of(table)
        hash_key, range_key, gsis = SEED_TABLES[schema.name]
        assert schema.pk.name == hash_key and schema.pk.type == "S"
        assert (schema.sk.name if schema.sk else None) == range_key
        assert {index.name: index.pk.name for index in schema.gsis} == gsis
        assert all(index.sk is None for index in schema.gsis)


def test_terraform_matches_the_seeds_table_list() -> None:
    text = "\n".join(schema_of(table).terraform() for table in ALL_TABLES)
    assert terraform_tables(text) == SEED_TABLES


def test_cli_create_tables_terraform_matches_the_seeds_table_list() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["create-tables", "examples.vishmaker.models", "--format",
                                 "terraform"], env={"DYNAMAP_TABLE_PREFIX": ""})
    assert result.exit_code == 0, result.output
    assert terraform_tables(result.output) == SEED_TABLES


def test_table_names_come_from_the_environment_at_import() -> None:
    names = {variable: f"staging-{variable.lower()}" for variable in DEFAULT_TABLE_NAMES}
    script = ("import json; from examples.vishmaker.models import ALL_TABLES; "
              "print(json.dumps([t.name for t in ALL_TABLES]))")
    env = {**os.environ, **names}
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout
    assert json.loads(output) == list(names.values())


# -- the requirement tree ------------------------------------------------------------------


async def build_tree(db: Session, user_id: str, shape: list[list[list[int]]]) -> Project:
    """A project whose flow f has len(shape[f]) high-level requirements, the h-th of which
    has len(shape[f][h]) low-level ones, the l-th of which has shape[f][h][l] test cases.
    Names encode the path, e.g. "TC 1.0.2.1"."""
    project = Project(user_id=user_id, name=f"Tree of {user_id}")
    base = datetime(2024, 5, 1, tzinfo=UTC)
    async with db.batch() as batch:
        batch.put(project)
        for f, highs in enumerate(shape):
            flow = UserFlow(project_id=project.id, name=f"Flow {f}",
                            created_at=base + timedelta(minutes=f))
            batch.put(flow)
            for h, lows in enumerate(highs):
                high = HighLevelRequirement(parent_uiid=flow.uiid, name=f"HLR {f}.{h}",
                                            order=len(highs) - h)
                batch.put(high)
                for n, cases in enumerate(lows):
                    low = LowLevelRequirement(parent_uiid=high.uiid, name=f"LLR {f}.{h}.{n}",
                                              created_at=base + timedelta(seconds=n))
                    batch.put(low)
                    for c in range(cases):
                        batch.put(TestCase(parent_uiid=low.uiid, name=f"TC {f}.{h}.{n}.{c}",
                                           created_at=base + timedelta(seconds=c)))
    return project


async def test_load_tree_reads_the_whole_hierarchy_level_by_level(db: Session) -> None:
    await db.create_tables(*ALL_MODELS)
    shape = [[[2, 0], [1]], [], [[3, 1, 2]]]
    project = await build_tree(db, "user-a", shape)
    await build_tree(db, "user-b", [[[1]]])  # another user's tree stays out

    in_flight = peak = 0

    def sent(_event: object) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)

    def answered(_event: object) -> None:
        nonlocal in_flight
        in_flight -= 1

    db.on_request(sent)
    db.on_response(answered)
    before = db.stats.requests.get("Query", 0)
    tree = await load_tree(db, project.id, user_id="user-a")
    assert tree is not None and tree.project == project
    # one query per parent: the project's, 3 flows', 3 high-level and 6 low-level ones
    assert db.stats.requests.get("Query", 0) - before == 1 + 3 + 3 + 6
    assert peak >= 3  # the three flows' queries (at least) were in flight together

    assert [node.flow.name for node in tree.flows] == ["Flow 0", "Flow 1", "Flow 2"]
    # high-level requirements in `order`; low-level and test cases by creation time
    assert [h.requirement.name for h in tree.flows[0].requirements] == ["HLR 0.1", "HLR 0.0"]
    got = [[[len(low.test_cases) for low in high.children]
            for high in reversed(flow.requirements)] for flow in tree.flows]
    assert got == shape
    cases = tree.flows[2].requirements[0].children[0].test_cases
    assert [case.name for case in cases] == ["TC 2.0.0.0", "TC 2.0.0.1", "TC 2.0.0.2"]
    assert tree.counts() == {"user_flows": 3, "high_level_requirements": 3,
                             "low_level_requirements": 6, "test_cases": 9}

    assert await load_tree(db, project.id, user_id="user-b") is None  # not the owner
    assert await delete_tree(db, tree) == 1 + 3 + 3 + 6 + 9
    assert await load_tree(db, project.id, user_id="user-a") is None
    flows_left = await db.query(UserFlow, index="project_id-index",
                                project_id=project.id).all()
    assert flows_left == []
    assert len(await db.scan(TestCase).all()) == 1  # user-b's


async def test_projects_by_user_and_name_and_the_waitlist_by_status(db: Session) -> None:
    await db.create_tables(Project, WaitlistEntry)
    mine = [await db.put(Project(user_id="u1", name=f"P{n}")) for n in range(3)]
    await db.put(Project(user_id="u2", name="P0"))
    found = await db.query(Project, index="user_id-index", user_id="u1").all()
    assert sorted(p.id for p in found) == sorted(p.id for p in mine)
    named = await db.query(Project, index="name-index", name="P0").all()
    assert sorted(p.user_id for p in named) == ["u1", "u2"]

    for email in ("a@example.com", "b@example.com", "c@example.com"):
        await db.put(WaitlistEntry(email=email))
    await db.update_key(WaitlistEntry, key={"email": "b@example.com"},
                        set={"status": "approved"})
    pending = await db.query(WaitlistEntry, index="status-index", status="pending").all()
    approved = await db.query(WaitlistEntry, index="status-index", status="approved").all()
    assert sorted(e.email for e in pending) == ["a@example.com", "c@example.com"]
    assert [e.email for e in approved] == ["b@example.com"]


# -- the PostgreSQL CSV migration ------------------------------------------------------------


@dataclass
class Export:
    """A generated export: its files, what must be imported, and what must be refused."""

    directory: Path
    expected: dict[type[Model], dict[tuple[str, ...], dict[str, Any]]] = field(
        default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # "file line N" -> reason part

    def total(self) -> int:
        return sum(len(rows) for rows in self.expected.values())


class CsvFile:
    """Writes one PostgreSQL-style CSV file and knows the line each row starts on."""

    def __init__(self, export: Export, name: str, header: list[str]) -> None:
        self.export, self.name = export, name
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.writer.writerow(header)

    def row(self, values: list[object], rejected: str | None = None) -> None:
        line = self.buffer.getvalue().count("\n") + 1
        self.writer.writerow(["" if value is None else value for value in values])
        if rejected is not None:
            self.export.rejected[f"{self.name} line {line}"] = rejected

    def save(self) -> None:
        (self.export.directory / self.name).write_text(self.buffer.getvalue(), encoding="utf-8")


def pg_time(moment: datetime, offset_hours: int = 0) -> str:
    """A timestamptz as PostgreSQL prints it, in a session time zone `offset_hours` away."""
    local = moment.astimezone(timezone(timedelta(hours=offset_hours)))
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}".rstrip("0")
    return f"{text}{offset_hours:+03d}"


def expect(export: Export, model: type[Model], key: tuple[str, ...], **fields: Any) -> None:
    export.expected.setdefault(model, {})[key] = fields


def generate_export(directory: Path, projects: int) -> Export:
    """`projects` projects, each with 3 flows, each with 3 high-level requirements, each
    with 2 low-level ones, each with 2 test cases; a waitlist of 20 per project; and
    malformed rows that must be rejected."""
    export = Export(directory)
    files = {name: CsvFile(export, f"{name}.csv", header) for name, header in {
        "projects": ["id", "name", "initial_prompt", "user_id", "created_at", "updated_at"],
        "user_flows": ["id", "project_id", "name", "description", "steps", "created_at"],
        "high_level_requirements": ["id", "user_flow_id", "name", "description", "order",
                                    "created_at"],
        "low_level_requirements": ["id", "high_level_requirement_id", "name", "description",
                                   "tech_stack_details", "created_at"],
        "test_cases": ["id", "low_level_requirement_id", "name", "description",
                       "expected_result", "created_at"],
        "waitlist": ["id", "email", "status", "created_at"],
    }.items()}
    start = datetime(2023, 3, 1, 8, 0, 0, 123400, tzinfo=UTC)
    ids = {name: 0 for name in files}

    def next_id(name: str) -> int:
        ids[name] += 1
        return ids[name]

    for p in range(projects):
        pid, when = next_id("projects"), start + timedelta(days=p)
        prompt = f'Build "app {p}", with commas,\nand a second line'
        files["projects"].row([pid, f"Project {p}", prompt, f"user-{p % 4}",
                               pg_time(when, p % 3), pg_time(when + timedelta(hours=1))])
        expect(export, Project, (legacy_uuid("projects", pid), f"user-{p % 4}"),
               name=f"Project {p}", initial_prompt=prompt, created_at=when,
               updated_at=when + timedelta(hours=1))
        for f in range(3):
            fid = next_id("user_flows")
            steps = [f"step {s}" for s in range(f + 1)]
            files["user_flows"].row([fid, pid, f"Flow {p}.{f}", None, json.dumps(steps),
                                     pg_time(when)])
            expect(export, UserFlow, (legacy_uuid("user_flows", fid),
                                      legacy_uuid("projects", pid)),
                   name=f"Flow {p}.{f}", description="", steps=steps, created_at=when)
            for h in range(3):
                hid = next_id("high_level_requirements")
                files["high_level_requirements"].row(
                    [hid, fid, f"HLR {hid}", "Users can ü, ß and 日本", h, pg_time(when, -5)])
                expect(export, HighLevelRequirement,
                       (legacy_uuid("high_level_requirements", hid),
                        legacy_uuid("user_flows", fid)),
                       name=f"HLR {hid}", description="Users can ü, ß and 日本", order=h,
                       created_at=when)
                for _ in range(2):
                    lid = next_id("low_level_requirements")
                    files["low_level_requirements"].row(
                        [lid, hid, f"LLR {lid}", "", "Python; FastAPI", pg_time(when)])
                    expect(export, LowLevelRequirement,
                           (legacy_uuid("low_level_requirements", lid),
                            legacy_uuid("high_level_requirements", hid)),
                           name=f"LLR {lid}", description="", tech_stack_details="Python; FastAPI",
                           created_at=when)
                    for _ in range(2):
                        tid = next_id("test_cases")
                        files["test_cases"].row([tid, lid, f"TC {tid}", "Given, when, then",
                                                 "It works", pg_time(when)])
                        expect(export, TestCase, (legacy_uuid("test_cases", tid),
                                                  legacy_uuid("low_level_requirements", lid)),
                               name=f"TC {tid}", description="Given, when, then",
                               expected_result="It works", created_at=when)
        for w in range(20):
            wid = next_id("waitlist")
            email, status = f"person{wid}@example.com", ("pending", "approved")[w % 2]
            files["waitlist"].row([wid, email, status, pg_time(when)])
            expect(export, WaitlistEntry, (email,), status=status, created_at=when)
    add_malformed_rows(files, start)
    for file in files.values():
        file.save()
    return export


def add_malformed_rows(files: dict[str, CsvFile], when: datetime) -> None:
    """Rows that must end in the rejects report, each with (part of) its reason."""
    t = pg_time(when)
    files["projects"].row([9001, "Bad time", "", "user-x", "yesterday", t],
                          rejected="created_at 'yesterday' is not a timestamp")
    files["projects"].row([9002, "", "", "user-x", t, t], rejected="name is missing or NULL")
    files["user_flows"].row([9001, 9001, "Child of a rejected project", "", "[]", t],
                            rejected="is not a migrated record of projects")
    files["user_flows"].row([9002, 424242, "Orphan", "", "[]", t],
                            rejected="is not a migrated record of projects")
    files["user_flows"].row([9003, 1, "Bad steps", "", "[oops", t],
                            rejected="steps is not valid JSON")
    files["high_level_requirements"].row([9001, 1, "Bad order", "", "first", t],
                                         rejected="order 'first' is not an integer")
    files["high_level_requirements"].row([1, 1, "Same id again", "", 0, t],
                                         rejected="same key as high_level_requirements.csv line 2")
    files["low_level_requirements"].row([9001, 1, "Too few fields"],
                                        rejected="the row has 3 cells, the header 6")
    files["test_cases"].row([9001, 1, "", "no name", "", t], rejected="name is missing or NULL")
    files["test_cases"].row(["x9", 1, "Bad id", "", "", t],
                            rejected="id 'x9' is neither an integer nor a UUID")
    files["waitlist"].row([9001, "not-an-email", "pending", t],
                          rejected="email 'not-an-email' is not an email address")
    files["waitlist"].row([9002, "vip@example.com", "vip", t], rejected="status")
    files["waitlist"].row([9003, "person1@example.com", "pending", t],
                          rejected="same key as waitlist.csv line 2")


def plain_table(server: LocalDynamoDB, db: Session, model: type[Model]
                ) -> dict[tuple[str, ...], Any]:
    """A table read with boto3 and its deserializer, by its key attributes' values."""
    client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    decode = TypeDeserializer().deserialize
    compiled = model.__dynamap__
    names = [attribute.attribute for attribute in compiled.key_attributes]
    table = db.table_name(model)
    return {tuple(item[name]["S"] for name in names):
            {name: decode(value) for name, value in item.items()}
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]}


def same(expected: Any, stored: Any) -> bool:
    if isinstance(expected, datetime):
        return datetime.fromisoformat(stored.replace("Z", "+00:00")) == expected
    return bool(expected == stored)


def check_plainly(server: LocalDynamoDB, db: Session, export: Export) -> None:
    for model, expected in export.expected.items():
        stored = plain_table(server, db, model)
        assert set(stored) == set(expected), model.__name__  # rejected rows are not there
        for key, fields in expected.items():
            for name, value in fields.items():
                assert same(value, stored[key][name]), (model.__name__, key, name)


async def test_csv_export_is_imported_verified_and_malformed_rows_rejected(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    export = generate_export(tmp_path, projects=12)
    assert export.total() >= 1000
    await db.create_tables(*ALL_MODELS)

    report = await import_export(db, tmp_path)

    reasons = {p.where: p.reason for entity in report.entities
               for p in (*entity.rejected, *entity.duplicates)}
    assert set(reasons) == set(export.rejected)
    for source, reason in export.rejected.items():
        assert reason in reasons[source], (source, reasons[source])
    assert report.total("written") == export.total()
    assert report.total("read") == export.total() + len(export.rejected)
    assert report.ok and report.total("verified") == export.total(), report.summary()
    assert all(entity.balanced and not entity.unmapped for entity in report.entities)
    check_plainly(server, db, export)


def shuffled(path: Path, order: list[str], extra: dict[str, str]) -> None:
    """Rewrite a CSV file with its columns in `order` and extra columns added."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*order, *extra])
    for row in rows:
        writer.writerow([row.get(name, "") for name in order] + list(extra.values()))
    path.write_text(buffer.getvalue(), encoding="utf-8")


async def test_uuid_ids_reordered_and_extra_columns_and_nulls(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    ids = [str(uuid.UUID(int=n * 7919 + 1)) for n in range(3)]
    when = "2024-02-01 10:00:00.5+00"
    (tmp_path / "projects.csv").write_text(
        "updated_at,user_id,name,legacy_flag,id,initial_prompt,created_at\n"
        f',u1,Alpha,t,{ids[0]},"line one\nline two",{when}\n'
        f'2024-02-02 10:00:00+00,u2,Beta,f,{ids[1]},"",{when}\n'
        f',u1,Gamma,t,{ids[2]},,{when}\n', encoding="utf-8")
    (tmp_path / "user_flows.csv").write_text(
        "name,project_id,id,steps,created_at,description\n"
        f'Signup,{ids[0]},{ids[1]},"[""a"", ""b""]",{when},\n', encoding="utf-8")
    for name, header in (("high_level_requirements", "id,user_flow_id,name,created_at"),
                         ("low_level_requirements",
                          "id,high_level_requirement_id,name,created_at"),
                         ("test_cases", "id,low_level_requirement_id,name,created_at"),
                         ("waitlist", "id,email,status,created_at")):
        (tmp_path / f"{name}.csv").write_text(header + "\n", encoding="utf-8")
    await db.create_tables(*ALL_MODELS)
    report = await import_export(db, tmp_path)
    assert report.ok, report.summary()
    projects_report = report["projects"]
    assert (projects_report.read, projects_report.written) == (3, 3)
    assert projects_report.unmapped == {"legacy_flag": 3}  # reported, not dropped silently
    assert projects_report.policies["updated_at: NULL, the row's created_at"] == 2
    stored = plain_table(server, db, Project)
    alpha = stored[ids[0], "u1"]
    assert alpha["initial_prompt"] == "line one\nline two"
    assert alpha["updated_at"] == alpha["created_at"]  # NULL is not the import time
    assert datetime.fromisoformat(alpha["created_at"]) == datetime(2024, 2, 1, 10, 0, 0, 500000,
                                                                   tzinfo=UTC)
    assert stored[ids[1], "u2"]["initial_prompt"] == ""  # a quoted empty cell is ""
    assert stored[ids[2], "u1"]["initial_prompt"] == ""  # NULL: the model's default
    flows = plain_table(server, db, UserFlow)
    assert flows[ids[1], ids[0]]["steps"] == ["a", "b"]
    assert flows[ids[1], ids[0]]["description"] == ""


async def test_import_is_idempotent_and_keeps_the_tree_linked(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    export = generate_export(tmp_path, projects=1)
    await db.create_tables(*ALL_MODELS)
    first = await import_export(db, tmp_path)
    before = {model: plain_table(server, db, model) for model in ALL_MODELS}
    again = await import_export(db, tmp_path)
    assert first.ok and again.ok
    assert again.total("written") == 0 and again.total("unchanged") == export.total()
    assert {model: plain_table(server, db, model) for model in ALL_MODELS} == before
    tree = await load_tree(db, legacy_uuid("projects", 1), user_id="user-0")
    assert tree is not None
    assert tree.counts() == {"user_flows": 3, "high_level_requirements": 9,
                             "low_level_requirements": 18, "test_cases": 36}


class KilledError(Exception):
    """Stands for the process being killed in the middle of the import."""


async def test_a_killed_import_resumes_to_the_same_end_state(
    db: Session, server: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = generate_export(tmp_path, projects=2)
    await db.create_tables(*ALL_MODELS)
    monkeypatch.setattr("dynamap.migrate.run.CHUNK", 20)

    def kill(entity: str, done: int) -> None:
        if entity == "low_level_requirements" and done >= 20:
            raise KilledError

    with pytest.raises(KilledError):
        await migrate(db, export_entities(tmp_path), progress=kill)
    resumed = await import_export(db, tmp_path)
    assert resumed.ok, resumed.summary()
    assert resumed["low_level_requirements"].unchanged == 20
    assert resumed["projects"].written == 0
    check_plainly(server, db, export)


def test_an_unusable_export_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    generate_export(tmp_path, projects=1)
    (tmp_path / "test_cases.csv").unlink()
    with pytest.raises(ExportError, match=r"test_cases\.csv is missing"):
        export_entities(tmp_path)
    generate_export(tmp_path, projects=1)
    (tmp_path / "waitlist.csv").write_text("id,status\n", encoding="utf-8")
    with pytest.raises(ExportError, match=r"waitlist\.csv has no column 'email'"):
        export_entities(tmp_path)


# -- the runnable example ----------------------------------------------------------------------


def run_program(env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-m", "examples.vishmaker"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def clean_environment() -> Iterator[tuple[str, str]]:
    """This process's environment without endpoint, table prefix or table names."""
    ignored = {"AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_ENDPOINT", "DYNAMAP_TABLE_PREFIX",
               *DEFAULT_TABLE_NAMES}
    for name, value in os.environ.items():
        if name not in ignored:
            yield name, value


async def test_main_runs_against_a_configured_endpoint(server: LocalDynamoDB,
                                                       db: Session) -> None:
    names = {variable: f"{db.table_prefix}{default}"
             for variable, default in DEFAULT_TABLE_NAMES.items()}
    output = run_program({**dict(clean_environment()), **server.env(), **names})
    assert "started a local DynamoDB" not in output
    assert "user_flows': 2, 'high_level_requirements': 4" in output
    assert "rejected test_cases.csv line 3" in output
    assert "verified" in output
    # a configured endpoint's tables are left in place (the fixture drops them)
    listed = (await db.send("ListTables", {}))["TableNames"]
    assert set(names.values()) <= set(listed)


def test_main_starts_a_local_dynamodb_when_no_endpoint_is_configured() -> None:
    output = run_program(dict(clean_environment()))
    assert "started a local DynamoDB" in output
    assert "dropped: ['prod-vishmaker-projects'" in output
