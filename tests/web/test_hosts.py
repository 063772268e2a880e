"""Web apps in the servers they run in: a real uvicorn or hypercorn process on a
loopback port, its real lifespan, and real HTTP requests. Each table is read back with
boto3 afterwards, so what the app answered is checked against what DynamoDB holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import HOSTS, serving

from dynamap.local import LocalDynamoDB
from dynamap.testing import isolated_session
from examples.page_manager.models import page_manager

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
SECRET = "a secret every worker shares"


@pytest.fixture(params=HOSTS)
def host(request: pytest.FixtureRequest) -> str:
    """The ASGI server the app runs in."""
    name: str = request.param
    return name


def app_env(server: LocalDynamoDB, prefix: str) -> dict[str, str]:
    """What the server process is configured with: the endpoint, the prefix, a secret."""
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_ENDPOINT", "DYNAMAP_TABLE_PREFIX")}
    return {**env, **server.env(), "DYNAMAP_TABLE_PREFIX": prefix,
            "DYNAMAP_CURSOR_SECRET": SECRET}


def scan(boto: Any, table: str) -> list[dict[str, Any]]:
    """Every item of a table, as DynamoDB JSON, through boto3."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        answer = boto.scan(**request)
        items += answer["Items"]
        if "LastEvaluatedKey" not in answer:
            return items
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


async def test_the_lifespan_recipe_serves_model_methods_in_every_request(
    server: LocalDynamoDB, host: str, boto: Any, tmp_path: Path
) -> None:
    from lifespan_recipe import Note

    async with isolated_session(server.endpoint_url) as setup:
        await setup.create_tables(Note)
        env = app_env(server, setup.table_prefix)
        with serving(host, "lifespan_recipe:create_app", env, tmp_path, HERE) as served:
            async with httpx.AsyncClient(base_url=served.url) as http:
                for n in range(5):
                    put = await http.put(f"/notes/n{n}", json={"text": f"note {n}"})
                    assert put.status_code == 201, served.log
                got = [(await http.get(f"/notes/n{n}")).json()["text"] for n in range(5)]
                missing = await http.get("/notes/none")
        stored = scan(boto, setup.table_name(Note))
    assert got == [f"note {n}" for n in range(5)]
    assert missing.status_code == 404
    assert sorted((i["id"]["S"], i["text"]["S"]) for i in stored) == [
        (f"n{n}", f"note {n}") for n in range(5)]
    assert served.returncode == 0, served.log
    assert "lifespan: session open" in served.log
    assert "lifespan: session closed" in served.log  # the shutdown half of the lifespan ran


async def test_the_fastapi_example_under_a_real_server(
    server: LocalDynamoDB, host: str, boto: Any, tmp_path: Path
) -> None:
    async with isolated_session(server.endpoint_url) as setup:
        await setup.create_tables(page_manager)
        env = app_env(server, setup.table_prefix)
        factory = "examples.page_manager.fastapi_app:create_app"
        with serving(host, factory, env, tmp_path) as served:
            async with httpx.AsyncClient(base_url=served.url) as http:
                answers = await _exercise_page_api(http)
        stored = scan(boto, setup.table_name(page_manager))
    assert served.returncode == 0, served.log
    page, nodes, listed, whole = answers["page"], answers["nodes"], answers["listed"], \
        answers["whole"]
    by_key = {(i["PK"]["S"], i["SK"]["S"]): i for i in stored}
    assert len(stored) == 1 + len(nodes)
    stored_page = by_key[(f"PAGE#{page['id']}", "META#")]
    assert stored_page["title"] == {"S": "Live"} and stored_page["isPublished"] == {"N": "1"}
    assert sorted(n["id"] for n in nodes) == sorted(
        i["id"]["S"] for i in stored if i["type"]["S"] == "node")
    assert [n["title"] for n in listed] == ["N0", "N1", "N2", "N3", "N4"]
    assert [n["title"] for n in whole["nodes"]] == ["N0", "N1", "N2", "N3", "N4"]
    assert answers["statuses"] == {"missing page": 404, "missing page nodes": 404,
                                   "node of a missing page": 404, "tampered cursor": 400,
                                   "bad limit": 422, "health": 200}


async def _exercise_page_api(http: httpx.AsyncClient) -> dict[str, Any]:
    created = await http.post("/pages", json={"title": "Draft"})
    assert created.status_code == 201, created.text
    page = created.json()
    nodes = []
    for n in range(5):
        answer = await http.post(f"/pages/{page['id']}/nodes", json={"title": f"N{n}"})
        assert answer.status_code == 201, answer.text
        nodes.append(answer.json())
    changed = await http.patch(f"/pages/{page['id']}", json={"title": "Live",
                                                             "isPublished": True})
    assert changed.status_code == 200, changed.text
    listed, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = (await http.get(f"/pages/{page['id']}/nodes", params=params)).json()
        listed += body["items"]
        cursor = body["cursor"]
        if cursor is None:
            break
    first = (await http.get(f"/pages/{page['id']}/nodes", params={"limit": "1"})).json()
    tampered = first["cursor"][:-2] + ("AA" if not first["cursor"].endswith("AA") else "BB")
    statuses = {
        "missing page": (await http.get("/pages/nope")).status_code,
        "missing page nodes": (await http.get("/pages/nope/nodes")).status_code,
        "node of a missing page": (await http.post("/pages/nope/nodes",
                                                   json={"title": "x"})).status_code,
        "tampered cursor": (await http.get(f"/pages/{page['id']}/nodes",
                                           params={"cursor": tampered})).status_code,
        "bad limit": (await http.get("/pages", params={"limit": "0"})).status_code,
        "health": (await http.get("/health")).status_code,
    }
    whole = (await http.get(f"/pages/{page['id']}")).json()
    return {"page": page, "nodes": nodes, "listed": listed, "whole": whole,
            "statuses": statuses}


async def test_the_starlette_example_opens_its_own_session_under_a_real_server(
    server: LocalDynamoDB, host: str, boto: Any, tmp_path: Path
) -> None:
    async with isolated_session(server.endpoint_url) as setup:
        await setup.create_tables(page_manager)
        env = app_env(server, setup.table_prefix)
        with serving(host, "examples.page_manager.api:create_app", env, tmp_path) as served:
            async with httpx.AsyncClient(base_url=served.url) as http:
                created = await http.post("/pages", json={"title": "Home",
                                                          "isPublished": True})
                listed = (await http.get("/pages")).json()["items"]
        stored = scan(boto, setup.table_name(page_manager))
    assert created.status_code == 201, served.log
    assert [p["id"] for p in listed] == [created.json()["id"]]
    assert [i["title"]["S"] for i in stored] == ["Home"]
    assert served.returncode == 0, served.log
