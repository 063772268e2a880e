"""Seed 000, the page manager, end to end: its table, access patterns, localStorage
migration, web API, and the program itself."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from boto3.dynamodb.types import TypeDeserializer
from seed_tables import SEED_000_CREATE_TABLE

from dynamap import Session
from dynamap._tables import schema_of
from dynamap.local import LocalDynamoDB
from dynamap.migrate import migrate
from examples.page_manager import service
from examples.page_manager.api import create_app
from examples.page_manager.migration import (
    MigrationError,
    export_entities,
    migrate_local_storage,
)
from examples.page_manager.models import Node, Page, page_manager

pytestmark = pytest.mark.integration

T0 = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
RunExample = Callable[[str], subprocess.CompletedProcess[str]]



def test_the_table_is_the_seeds() -> None:
    request = schema_of(page_manager).create_table_request()
    assert request.pop("BillingMode") == "PAY_PER_REQUEST"
    assert request == SEED_000_CREATE_TABLE


def test_items_look_like_the_seeds() -> None:
    node = Node(id="n1", page_id="p1", title="My Node", description="Node description",
                prompt="Image generation prompt", generated_images=["url1", "url2"],
                prediction_id="pred123", prediction_status="succeeded", created_at=T0)
    item = node.to_item()
    assert item["PK"] == {"S": "PAGE#p1"} and item["SK"] == {"S": "NODE#n1"}
    assert item["type"] == {"S": "node"}
    assert item["pageId"] == {"S": "p1"}
    assert item["generatedImages"] == {"L": [{"S": "url1"}, {"S": "url2"}]}
    assert item["createdAt"] == {"S": "2024-03-15T12:00:00.000000Z"}
    page = Page(id="p1", title="My Page", is_published=True, created_at=T0).to_item()
    assert page["SK"] == {"S": "META#"} and page["isPublished"] == {"N": "1"}


# -- access patterns --------------------------------------------------------------------


async def _pages_and_nodes(db: Session) -> tuple[list[Page], list[Node]]:
    await db.create_tables(page_manager)
    pages = [Page(title=f"P{n}", is_published=n % 2 == 0, created_at=T0 + timedelta(hours=n))
             for n in range(6)]
    nodes = [Node(page_id=pages[0].id, title=f"N{n}", created_at=T0 + timedelta(minutes=5 - n))
             for n in range(5)]
    await db.put_many([*pages, *nodes])
    return pages, nodes


async def test_a_page_and_its_nodes_in_one_query(db: Session) -> None:
    pages, _ = await _pages_and_nodes(db)
    before = db.stats.requests.get("Query", 0)
    found = await service.get_page_with_nodes(db, pages[0].id)
    assert db.stats.requests.get("Query", 0) - before == 1
    assert found is not None and found.page == pages[0]
    assert [n.title for n in found.nodes] == ["N4", "N3", "N2", "N1", "N0"]
    assert await service.get_page_with_nodes(db, "missing") is None
    empty = await service.get_page_with_nodes(db, pages[1].id)
    assert empty is not None and empty.nodes == []


async def test_published_pages_newest_first(db: Session) -> None:
    await _pages_and_nodes(db)
    assert [p.title for p in await service.published_pages(db).all()] == ["P4", "P2", "P0"]
    assert [p.title for p in await service.unpublished_pages(db).all()] == ["P5", "P3", "P1"]


async def test_a_pages_nodes_by_creation_time(db: Session) -> None:
    pages, _ = await _pages_and_nodes(db)
    nodes = await service.page_nodes(db, pages[0].id).all()
    assert [n.title for n in nodes] == ["N4", "N3", "N2", "N1", "N0"]


async def test_publishing_moves_a_page_between_index_partitions(db: Session) -> None:
    pages, _ = await _pages_and_nodes(db)
    updated = await service.update_page(db, pages[1], title="P1 live", published=True)
    assert updated.is_published and updated.updated_at is not None
    assert [p.title for p in await service.published_pages(db).all()] == [
        "P4", "P2", "P1 live", "P0"]
    assert "P1 live" not in [p.title for p in await service.unpublished_pages(db).all()]


async def test_create_page_and_node(db: Session) -> None:
    await db.create_tables(page_manager)
    page = await service.create_page(db, "Home")
    node = await service.create_node(db, page.id, "Hero", description="Top",
                                     generated_images=["https://img/1.png"])
    assert await service.get_page(db, page.id) == page
    assert await service.page_nodes(db, page.id).all() == [node]
    with pytest.raises(LookupError, match="no page"):
        await service.create_node(db, "missing", "Orphan")


# -- the localStorage migration ---------------------------------------------------------


def _node(page_id: str, page: int, number: int) -> dict[str, Any]:
    node: dict[str, Any] = {"id": f"node-{page}-{number}", "pageId": page_id,
                            "title": f"Node {number} of {page}",
                            "description": f"about # and % in page {page}"}
    if number % 2 == 0:
        node.update(prompt=f"a picture of {number}", predictionId=f"pred-{page}-{number}",
                    predictionStatus="succeeded",
                    generatedImages=[f"https://img/{page}/{number}/{i}.png" for i in range(2)])
    return node


def _export(pages: int, nodes: int) -> list[Any]:
    export: list[Any] = []
    for page in range(pages):
        page_id = f"page-{page}" if page % 7 else f"page#{page}"  # '#' must not leak into keys
        export.append({"id": page_id, "title": f"Page {page}", "isPublished": page % 3 == 0,
                       "nodes": [_node(page_id, page, number) for number in range(nodes)]})
    return export


def _with_defects(export: list[Any]) -> dict[str, str]:
    """Add malformed records; returns their expected reject sources -> reason fragments."""
    good = export[1]
    size = len(export)
    stray = _node(good["id"], 1, 99)
    good["nodes"] += [
        {**stray, "pageId": "page-2"},
        {**stray, "id": "extra-field", "color": "red"},
        {**stray, "id": "images-not-a-list", "generatedImages": "https://img/x.png"},
        {**good["nodes"][0], "title": "duplicate"},
        {**stray, "id": "numeric-description", "description": 42},
        {**stray, "id": "too-large", "description": "x" * 410_000},
        "not a node",
    ]
    export += [
        {"id": "bad-flag", "title": "Flag", "isPublished": "yes",
         "nodes": [_node("bad-flag", 0, 0)]},
        {"id": "no-title", "isPublished": False, "nodes": []},
        {"id": "", "title": "Empty id", "isPublished": False, "nodes": []},
        {"id": "unknown", "title": "Unknown", "isPublished": False, "nodes": [], "theme": "x"},
        {**export[0], "title": "Same id as page 0"},
        "not a page",
    ]
    n = len(good["nodes"])
    return {
        f"pages[1].nodes[{n - 7}]": "is not its page's id",
        f"pages[1].nodes[{n - 5}]": "generatedImages: Input should be a valid list",
        f"pages[1].nodes[{n - 4}]": "same key as pages[1].nodes[0]",
        f"pages[1].nodes[{n - 3}]": "description: Input should be a valid string",
        f"pages[1].nodes[{n - 2}]": "over DynamoDB",
        f"pages[1].nodes[{n - 1}]": "must be an object",
        f"pages[{size}]": "isPublished: Input should be a valid boolean",
        f"pages[{size}].nodes[0]": "pageId 'bad-flag' is not a migrated record of pages",
        f"pages[{size + 1}]": "title: Field required",
        f"pages[{size + 2}]": "id: String should have at least 1 character",
        f"pages[{size + 4}]": "same key as pages[0]",
        f"pages[{size + 5}]": "must be an object",
    }


async def test_migration_imports_validates_and_verifies_every_record(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    await db.create_tables(page_manager)
    export = _export(pages=100, nodes=10)
    valid = json.loads(json.dumps(export))
    expected_rejects = _with_defects(export)
    extra_nodes = len(export[0]["nodes"])  # the duplicate page repeats page 0's nodes
    source = tmp_path / "pages.json"
    source.write_text(json.dumps(export), encoding="utf-8")

    report = await migrate_local_storage(db, source, rejects_path=tmp_path / "rejects.jsonl")

    assert report.total("read") == 100 + 100 * 10 + 7 + 6 + 1 + extra_nodes
    # a field the interfaces do not have is carried as far as it maps, and reported
    assert (report["pages"].written, report["nodes"].written) == (101, 1001)
    assert report["pages"].unmapped == {"theme": 1}
    assert report["nodes"].unmapped == {"color": 1}
    assert report.total("verified") == 1102 and report.ok, report.summary()
    assert all(entity.balanced for entity in report.entities)
    reasons = {p.where: p.reason for entity in report.entities
               for p in (*entity.rejected, *entity.duplicates)}
    assert set(reasons) == set(expected_rejects) | {
        f"pages[104].nodes[{n}]" for n in range(extra_nodes)}
    for where, fragment in expected_rejects.items():
        assert fragment in reasons[where], (where, reasons[where])
    lines = (tmp_path / "rejects.jsonl").read_text().splitlines()
    assert {json.loads(line)["where"] for line in lines} == set(reasons)

    # the table read with boto3, against the export read with the json module
    stored = plain_items(server, db.table_name(page_manager))
    pages = {item["id"]: item for item in stored if item["type"] == "page"}
    nodes = {(item["pageId"], item["id"]): item for item in stored if item["type"] == "node"}
    assert len(pages) == 101 and len(nodes) == 1001 and len(stored) == 1102
    for record in valid:
        page = pages[record["id"]]
        assert (page["title"], page["isPublished"]) == (record["title"],
                                                        int(record["isPublished"]))
        ordered = sorted((n for key, n in nodes.items()
                          if key[0] == record["id"] and n["id"] != "extra-field"),
                         key=lambda n: n["createdAt"])
        assert [n["id"] for n in ordered] == [n["id"] for n in record["nodes"]]
        for node, original in zip(ordered, record["nodes"], strict=True):
            carried = {k: v for k, v in node.items()
                       if k not in ("PK", "SK", "type", "createdAt")}
            assert carried == {"generatedImages": [], **original}
    assert {"bad-flag", "no-title", ""}.isdisjoint(pages)
    assert pages["page#0"]["title"] == "Page 0"  # the duplicate did not overwrite it
    assert "color" not in nodes["page-1", "extra-field"]  # reported as not mapped


def plain_items(server: LocalDynamoDB, table: str) -> list[dict[str, Any]]:
    """Every item of the table, read with boto3 and its own deserializer."""
    client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    decode = TypeDeserializer().deserialize
    return [{name: decode(value) for name, value in item.items()}
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]]


async def test_a_rerun_re_stamps_nothing(
    db: Session, server: LocalDynamoDB, tmp_path: Path
) -> None:
    await db.create_tables(page_manager)
    source = tmp_path / "pages.json"
    source.write_text(json.dumps(_export(pages=12, nodes=4)), encoding="utf-8")
    first = await migrate_local_storage(db, source)
    key = itemgetter("PK", "SK")
    before = sorted(plain_items(server, db.table_name(page_manager)), key=key)
    again = await migrate_local_storage(db, source)
    assert first.ok and again.ok, again.summary()
    assert again.total("written") == 0 and again.total("unchanged") == 60
    assert sorted(plain_items(server, db.table_name(page_manager)), key=key) == before


class KilledError(Exception):
    """Stands for the process being killed in the middle of the migration."""


async def test_a_killed_migration_resumes_to_the_same_end_state(
    db: Session, server: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.create_tables(page_manager)
    source = tmp_path / "pages.json"
    source.write_text(json.dumps(_export(pages=12, nodes=10)), encoding="utf-8")
    monkeypatch.setattr("dynamap.migrate.run.CHUNK", 25)

    def kill(entity: str, done: int) -> None:
        if entity == "nodes" and done >= 50:
            raise KilledError

    with pytest.raises(KilledError):
        await migrate(db, export_entities(source), progress=kill)
    resumed = await migrate_local_storage(db, source)
    assert resumed.ok, resumed.summary()
    assert (resumed["pages"].unchanged, resumed["nodes"].unchanged) == (12, 50)
    stored = plain_items(server, db.table_name(page_manager))
    assert len(stored) == 12 + 120
    for page in range(12):  # creation order is the export's, across the two runs
        ordered = sorted((n for n in stored if n["type"] == "node"
                          and n["id"].startswith(f"node-{page}-")), key=lambda n: n["createdAt"])
        assert [n["id"] for n in ordered] == [f"node-{page}-{k}" for k in range(10)]


async def test_migration_refuses_a_file_that_is_not_an_array(
    db: Session, tmp_path: Path
) -> None:
    source = tmp_path / "pages.json"
    source.write_text('{"pages": []}', encoding="utf-8")
    with pytest.raises(MigrationError, match="expected a JSON array"):
        await migrate_local_storage(db, source)
    source.write_text("[{", encoding="utf-8")
    with pytest.raises(MigrationError, match="cannot read"):
        await migrate_local_storage(db, source)


# -- the web API -----------------------------------------------------------------------


def _client(db: Session) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(db))
    return httpx.AsyncClient(transport=transport, base_url="http://pages.test")


async def _all_pages(
    http: httpx.AsyncClient, url: str, limit: int, **extra: str
) -> tuple[list[Any], int]:
    items: list[Any] = []
    cursor, requests = None, 0
    while True:
        params = {"limit": str(limit), **extra, **({"cursor": cursor} if cursor else {})}
        answer = await http.get(url, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        requests += 1
        cursor = body["cursor"]
        if cursor is None:
            return items, requests


async def test_api_lists_pages_with_cursors(db: Session) -> None:
    await db.create_tables(page_manager)
    pages = [Page(title=f"P{n}", is_published=n != 3, created_at=T0 + timedelta(hours=n))
             for n in range(8)]
    await db.put_many(pages)
    async with _client(db) as http:
        items, requests = await _all_pages(http, "/pages", 3)
        assert [p["title"] for p in items] == ["P7", "P6", "P5", "P4", "P2", "P1", "P0"]
        assert requests >= 3
        drafts, _ = await _all_pages(http, "/pages", 3, published="false")
        assert [(p["title"], p["isPublished"]) for p in drafts] == [("P3", False)]


async def test_api_lists_a_pages_nodes_with_cursors(db: Session) -> None:
    await db.create_tables(page_manager)
    async with _client(db) as http:
        created = await http.post("/pages", json={"title": "Home", "isPublished": True})
        assert created.status_code == 201
        page = created.json()
        for n in range(5):
            answer = await http.post(f"/pages/{page['id']}/nodes",
                                     json={"title": f"N{n}", "generatedImages": [f"u{n}"]})
            assert answer.status_code == 201, answer.text
        nodes, requests = await _all_pages(http, f"/pages/{page['id']}/nodes", 2)
        assert [n["title"] for n in nodes] == ["N0", "N1", "N2", "N3", "N4"]
        assert [n["generatedImages"] for n in nodes] == [[f"u{n}"] for n in range(5)]
        assert requests == 3
        whole = (await http.get(f"/pages/{page['id']}")).json()
        assert whole["title"] == "Home" and [n["title"] for n in whole["nodes"]] == [
            "N0", "N1", "N2", "N3", "N4"]


async def test_api_updates_a_page(db: Session) -> None:
    await db.create_tables(page_manager)
    async with _client(db) as http:
        page = (await http.post("/pages", json={"title": "Draft"})).json()
        assert page["isPublished"] is False
        changed = await http.patch(f"/pages/{page['id']}",
                                   json={"title": "Live", "isPublished": True})
        assert changed.status_code == 200
        assert (changed.json()["title"], changed.json()["isPublished"]) == ("Live", True)
        listed = (await http.get("/pages")).json()["items"]
        assert [p["id"] for p in listed] == [page["id"]]


async def test_api_refuses_bad_requests(db: Session) -> None:
    await db.create_tables(page_manager)
    async with _client(db) as http:
        page = (await http.post("/pages", json={"title": "Home", "isPublished": True})).json()
        await http.post("/pages", json={"title": "Other", "isPublished": True})
        first = (await http.get("/pages", params={"limit": "1"})).json()
        assert first["cursor"] is not None
        tampered = first["cursor"][:-2] + ("AA" if not first["cursor"].endswith("AA") else "BB")
        answers = {
            "tampered cursor": await http.get("/pages", params={"cursor": tampered}),
            "foreign cursor": await http.get(f"/pages/{page['id']}/nodes",
                                             params={"cursor": first["cursor"]}),
            "bad limit": await http.get("/pages", params={"limit": "0"}),
            "bad flag": await http.get("/pages", params={"published": "maybe"}),
            "missing page": await http.get("/pages/nope"),
            "missing page nodes": await http.get("/pages/nope/nodes"),
            "node of missing page": await http.post("/pages/nope/nodes", json={"title": "x"}),
            "no title": await http.post("/pages", json={}),
            "unknown field": await http.post("/pages", json={"title": "x", "color": "red"}),
            "not JSON": await http.post("/pages", content=b"{"),
            "flag as text": await http.patch(f"/pages/{page['id']}",
                                             json={"isPublished": "yes"}),
        }
        statuses = {name: answer.status_code for name, answer in answers.items()}
        assert statuses == {
            "tampered cursor": 400, "foreign cursor": 400, "bad limit": 400, "bad flag": 400,
            "missing page": 404, "missing page nodes": 404, "node of missing page": 404,
            "no title": 422, "unknown field": 422, "not JSON": 422, "flag as text": 422,
        }
        assert all("error" in answer.json() for answer in answers.values())


# -- the program -----------------------------------------------------------------------


def test_runs_as_a_program(run_example: RunExample) -> None:
    done = run_example("examples.page_manager")
    assert done.returncode == 0, done.stderr
    assert "migration: verified" in done.stdout
    assert "nodes: read 49 = written 48 + unchanged 0 + rejected 1" in done.stdout
    assert "GET /pages/{id}: 'Made over HTTP', published=True, 1 node(s)" in done.stdout


def test_runs_with_no_endpoint_configured(run_fresh: RunExample) -> None:
    done = run_fresh("examples.page_manager")
    assert done.returncode == 0, done.stderr
    assert "started a local DynamoDB" in done.stdout
    assert "migration: verified" in done.stdout
