"""Seed 003, Video Gennie's generation-state storage, end to end: the interface, its
errors, health and metrics, the file-storage migration, and the program itself."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from dynamap import RetryPolicy, Session, TableNotFound, utcnow
from dynamap._tables import schema_of
from dynamap.local import LocalDynamoDB, free_port
from dynamap.migrate import migrate
from dynamap.testing import isolated_session
from examples.video_gennie.migration import (
    comparable,
    generation_entity,
    migrate_file_storage,
    write_state_file,
)
from examples.video_gennie.models import (
    GenerationState,
    InitialParams,
    LanguageCode,
    Script,
    generations,
)
from examples.video_gennie.storage import (
    DynamoDBStorage,
    StorageInitializationError,
    StorageNotFoundError,
    StorageOperationError,
)

pytestmark = pytest.mark.integration

RunExample = Callable[[str], subprocess.CompletedProcess[str]]
PARAMS = InitialParams(prompt="Create a video about AI", language=LanguageCode.ENGLISH,
                       options={"aspectRatio": "16:9"})
SCRIPT = {"content": "AI is transforming our world...", "mood": "informative",
          "source": "generated"}


@pytest.fixture
async def storage(server: LocalDynamoDB) -> AsyncIterator[DynamoDBStorage]:
    """An initialized storage on a session of its own, asking for consumed capacity."""
    async with isolated_session(server.endpoint_url, consumed_capacity=True) as session:
        store = DynamoDBStorage(session=session)
        await store.initialize()
        yield store


def test_the_table_is_the_seeds() -> None:
    schema = schema_of(generations)
    request = schema.create_table_request()
    assert request["TableName"] == "video-gennie-generations"
    assert request["KeySchema"] == [{"AttributeName": "generationId", "KeyType": "HASH"}]
    assert request["AttributeDefinitions"] == [
        {"AttributeName": "generationId", "AttributeType": "S"}]
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert schema.ttl_attribute == "expiresAt"


async def test_initialize_creates_the_table_with_ttl(storage: DynamoDBStorage) -> None:
    name = storage.db.table_name(GenerationState)
    described = await storage.db.send("DescribeTable", {"TableName": name})
    assert described["Table"]["TableStatus"] == "ACTIVE"
    ttl = await storage.db.send("DescribeTimeToLive", {"TableName": name})
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    await storage.initialize()  # a second start finds the table and changes nothing


async def test_save_get_update_delete(storage: DynamoDBStorage) -> None:
    state = GenerationState(generation_id="gen_123", initial_params=PARAMS)
    saved = await storage.save(state)
    assert saved.created_at is not None and saved.updated_at == saved.created_at
    assert saved.expires_at == (saved.created_at + timedelta(days=7)).replace(microsecond=0)
    assert await storage.get("gen_123") == saved

    scripted = await storage.update("gen_123", {"script": SCRIPT})
    assert scripted.script == Script(**SCRIPT)
    assert scripted.created_at == saved.created_at
    assert scripted.updated_at is not None and scripted.updated_at >= saved.created_at
    voiced = await storage.update("gen_123", {"audio": {"url": "s3://a.mp3", "seconds": 42.5},
                                              "finalVideo": {"url": "s3://v.mp4"}})
    assert voiced.script == scripted.script
    assert voiced.audio == {"url": "s3://a.mp3", "seconds": 42.5}
    assert voiced.final_video == {"url": "s3://v.mp4"}
    cleared = await storage.update("gen_123", {"audio": None})
    assert cleared.audio is None and cleared.final_video == {"url": "s3://v.mp4"}
    assert await storage.get("gen_123") == cleared

    assert await storage.delete("gen_123") is True
    assert await storage.delete("gen_123") is False
    with pytest.raises(StorageNotFoundError, match="gen_123"):
        await storage.get("gen_123")


async def test_missing_and_invalid_updates_raise_the_seeds_errors(
    storage: DynamoDBStorage
) -> None:
    with pytest.raises(StorageNotFoundError) as missing:
        await storage.update("nope", {"script": SCRIPT})
    assert missing.value.generation_id == "nope"
    await storage.save(GenerationState(generation_id="g", initial_params=PARAMS))
    bad: list[dict[str, Any]] = [
        {"color": "red"}, {"generation_id": "other"}, {"created_at": utcnow()},
        {"script": {"content": "no mood"}}, {"audio": "not a map"}]
    for changes in bad:
        with pytest.raises(StorageOperationError, match="update failed"):
            await storage.update("g", changes)
    assert (await storage.get("g")).script is None


async def test_an_expired_state_is_gone(server: LocalDynamoDB) -> None:
    async with isolated_session(server.endpoint_url) as session, DynamoDBStorage(
            session=session, retention=timedelta(0)) as store:
        await store.save(GenerationState(generation_id="old", initial_params=PARAMS))
        with pytest.raises(StorageNotFoundError):
            await store.get("old")
        assert (await store.get_metrics()).active_generations == 0


async def test_cleanup_deletes_old_generations(storage: DynamoDBStorage) -> None:
    now = utcnow()
    for n, age in enumerate([timedelta(minutes=5), timedelta(hours=2), timedelta(days=3),
                             timedelta(minutes=50)] * 10):
        await storage.save(GenerationState(generation_id=f"g{n}", initial_params=PARAMS,
                                           created_at=now - age))
    assert await storage.cleanup(timedelta(hours=1)) == 20
    left = await storage.db.scan(GenerationState).all()
    assert sorted(int(s.generation_id[1:]) for s in left) == [
        n for n in range(40) if n % 4 in (0, 3)]
    assert await storage.cleanup() == 0


async def test_health_and_metrics(storage: DynamoDBStorage) -> None:
    assert await storage.is_healthy()
    for n in range(3):
        await storage.save(GenerationState(generation_id=f"g{n}", initial_params=PARAMS))
    await storage.get("g0")
    await storage.update("g1", {"script": SCRIPT})
    with pytest.raises(StorageNotFoundError):
        await storage.get("missing")
    await storage.delete("g2")
    metrics = await storage.get_metrics()
    assert metrics.active_generations == 2
    assert metrics.operations == {"save": 3, "get": 1, "update": 1, "delete": 1,
                                  "get_metrics": 1}
    assert metrics.failures == {"get": 1}
    assert metrics.requests["PutItem"] == 3 and metrics.requests["UpdateItem"] == 1
    assert {"PutItem", "GetItem", "UpdateItem", "DeleteItem", "Scan"} <= set(
        metrics.consumed_capacity)
    assert all(units > 0 for units in metrics.consumed_capacity.values())

    await storage.db.drop_tables(GenerationState)
    assert not await storage.is_healthy()
    with pytest.raises(StorageOperationError, match="save failed") as failed:
        await storage.save(GenerationState(generation_id="g9", initial_params=PARAMS))
    assert isinstance(failed.value.__cause__, TableNotFound)


async def test_a_storage_of_its_own_opens_and_closes_its_session(server: LocalDynamoDB) -> None:
    cleanup = isolated_session(server.endpoint_url)
    async with cleanup:
        store = DynamoDBStorage(endpoint_url=server.endpoint_url,
                                table_prefix=cleanup.session.table_prefix)
        async with store:
            assert store.db.state == "open" and await store.is_healthy()
            await store.save(GenerationState(generation_id="g", initial_params=PARAMS))
        assert store.db.state != "open"
        assert not await store.is_healthy()
        with pytest.raises(StorageInitializationError, match="initialize"):
            await store.get("g")
        got = await cleanup.session.get(GenerationState, generation_id="g")
        assert got is not None and got.initial_params == PARAMS


async def test_initialization_errors() -> None:
    unreachable = Session(endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local",
                          retry=RetryPolicy(attempts=2, base=0.001, cap=0.002, budget=5.0))
    store = DynamoDBStorage(session=unreachable)
    with pytest.raises(StorageInitializationError, match="call initialize"):
        await store.save(GenerationState(generation_id="g", initial_params=PARAMS))
    with pytest.raises(StorageInitializationError, match="failed to start"):
        await store.initialize()
    assert not await store.is_healthy()
    await store.close()
    assert unreachable.state == "open"  # a session passed in is the caller's to close
    await unreachable.close()


async def test_without_table_creation_a_missing_table_fails_to_start(
    server: LocalDynamoDB
) -> None:
    async with isolated_session(server.endpoint_url) as session:
        store = DynamoDBStorage(session=session, create_table=False)
        with pytest.raises(StorageInitializationError) as failed:
            await store.initialize()
        assert isinstance(failed.value.__cause__, TableNotFound)


# -- the file-storage migration ---------------------------------------------------------


def _state(n: int, now: datetime) -> GenerationState:
    stages: dict[str, Any] = {}
    if n % 2:
        stages["script"] = Script(content=f"Script {n}", mood="calm", source="generated")
    if n % 3 == 0:
        stages["audio"] = {"url": f"s3://audio/{n}.mp3", "durationSeconds": n / 7,
                           "voices": ["a", "b"], "loud": n % 2 == 0}
    if n % 5 == 0:
        stages["clips"] = {"items": [{"start": i * 1.5, "end": i * 1.5 + 1.25,
                                      "query": f"clip {i}"} for i in range(3)]}
        stages["youtube"] = {"videoId": f"yt{n}", "views": n * 1000}
    return GenerationState(
        generation_id=f"gen_{n:05d}",
        initial_params=InitialParams(prompt=f"Video {n} about # and %",
                                     language=list(LanguageCode)[n % len(LanguageCode)],
                                     options={"aspectRatio": "9:16", "durationSeconds": 30 + n}),
        created_at=now - timedelta(minutes=n), updated_at=now - timedelta(seconds=n),
        **stages,
    )


def _defects(directory: Path) -> dict[str, str]:
    """Files that must be refused; returns their names -> reason fragments."""
    good = json.loads((directory / "gen_00001.json").read_text())
    files: dict[str, tuple[bytes, str]] = {
        "broken.json": (b'{"generationId": "broken", "initialPa', "not JSON"),
        "latin1.json": ('{"generationId": "latin1", "x": "caf\xe9"}'.encode("latin-1"),
                        "not JSON"),
        "array.json": (b"[1, 2]", "must be an object"),
        "no-params.json": (json.dumps({"generationId": "no-params"}).encode(),
                           "initialParams: Field required"),
        "klingon.json": (json.dumps({**good, "generationId": "klingon", "initialParams": {
            "prompt": "x", "language": "tlh"}}).encode(), "initialParams.language:"),
        "moodless.json": (json.dumps({**good, "generationId": "moodless",
                                      "script": {"content": "x", "source": "y"}}).encode(),
                          "script.mood: Field required"),
        "renamed.json": (json.dumps(good).encode(), "holds generation 'gen_00001'"),
        "empty-id.json": (json.dumps({**good, "generationId": ""}).encode(),
                          "the file holds generation ''"),
        "huge.json": (json.dumps({**good, "generationId": "huge",
                                  "clips": {"blob": "x" * 410_000}}).encode(), "over DynamoDB"),
    }
    for name, (data, _) in files.items():
        (directory / name).write_bytes(data)
    (directory / "notes.txt").write_text("not a state file")
    return {name: reason for name, (_, reason) in files.items()}


def plain_items(server: LocalDynamoDB, table: str) -> dict[str, dict[str, Any]]:
    """The table read with boto3 and its own deserializer, by generation id."""
    client = boto3.client("dynamodb", endpoint_url=server.endpoint_url,
                          region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    decode = TypeDeserializer().deserialize
    return {item["generationId"]["S"]: {k: decode(v) for k, v in item.items()}
            for page in client.get_paginator("scan").paginate(TableName=table)
            for item in page["Items"]}


def plain(value: Any) -> Any:
    """A JSON value as boto3 reads it back: numbers as Decimal."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return Decimal(repr(value))


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_migration_imports_validates_and_verifies_every_file(
    storage: DynamoDBStorage, server: LocalDynamoDB, tmp_path: Path
) -> None:
    directory = tmp_path / "generations"
    directory.mkdir()
    now = utcnow().replace(microsecond=123456)
    states = [_state(n, now) for n in range(1000)]
    for state in states:
        write_state_file(directory, state)
    expected_rejects = _defects(directory)

    report = await migrate_file_storage(storage, directory,
                                        rejects_path=tmp_path / "rejects.jsonl")

    part = report["generations"]
    assert part.read == 1000 + len(expected_rejects) and part.balanced
    assert part.written == 1000 and part.unmapped == {}
    assert part.verified == 1000 and part.mismatches == [] and report.ok
    reasons = {problem.where: problem.reason for problem in part.rejected}
    assert set(reasons) == set(expected_rejects)
    for name, fragment in expected_rejects.items():
        assert fragment in reasons[name], (name, reasons[name])
    assert len((tmp_path / "rejects.jsonl").read_text().splitlines()) == len(expected_rejects)

    # the table read with boto3, against the files read with the json module
    stored = plain_items(server, storage.db.table_name(GenerationState))
    assert len(stored) == 1000
    for state in states:
        document = json.loads((directory / f"{state.generation_id}.json").read_text())
        item = stored.pop(document["generationId"])
        for name, value in document.items():
            if name in ("createdAt", "updatedAt"):
                assert instant(item[name]) == instant(value), (state.generation_id, name)
            else:
                assert item[name] == plain(value), (state.generation_id, name)
        expires = instant(document["createdAt"]).replace(microsecond=0) + timedelta(days=7)
        assert item["expiresAt"] == int(expires.timestamp())
    assert await storage.get("gen_00003") is not None
    assert (await storage.get_metrics()).active_generations == 1000


def aged_files(directory: Path, count: int, now: datetime) -> int:
    """`count` generations aged 0 to 39 days; returns how many are past 7 days."""
    directory.mkdir()
    for n in range(count):
        created = now - timedelta(days=40 * n / count)
        write_state_file(directory, _state(n, created))
    return sum(1 for n in range(count) if 40 * n / count >= 7)


@pytest.mark.parametrize("policy", ["renew", "skip", "expire"])
async def test_states_past_retention_follow_an_explicit_policy(
    storage: DynamoDBStorage, server: LocalDynamoDB, tmp_path: Path, policy: Any
) -> None:
    now = utcnow()
    old = aged_files(tmp_path / "g", 200, now)
    report = await migrate_file_storage(storage, tmp_path / "g", expired=policy)
    part = report["generations"]
    assert report.ok and part.balanced and old == 165
    counted = {key: count for key, count in part.policies.items() if "past retention" in key}
    assert list(counted.values()) == [old], counted
    stored = plain_items(server, storage.db.table_name(GenerationState))
    expiries = [item["expiresAt"] for item in stored.values()]
    if policy == "renew":  # nothing migrated is already expired
        assert len(stored) == 200 and min(expiries) > now.timestamp()
        assert "kept with a fresh expiry" in next(iter(counted))
    elif policy == "skip":
        assert len(stored) == 200 - old == part.written and len(part.skipped) == old
        assert min(expiries) > now.timestamp()
    else:  # DynamoDB Local's TTL deletes them within seconds; moto's keeps them
        past = sum(1 for e in expiries if e <= now.timestamp())
        assert len(stored) == 200 - part.expired and past + part.expired == old


async def test_a_rerun_keeps_renewed_expiries_and_changes_nothing(
    storage: DynamoDBStorage, server: LocalDynamoDB, tmp_path: Path
) -> None:
    aged_files(tmp_path / "g", 60, utcnow())
    first = await migrate_file_storage(storage, tmp_path / "g")
    table = storage.db.table_name(GenerationState)
    before = plain_items(server, table)
    again = await migrate_file_storage(storage, tmp_path / "g")
    assert first.ok and again.ok
    assert (again["generations"].written, again["generations"].unchanged) == (0, 60)
    assert plain_items(server, table) == before


class KilledError(Exception):
    """Stands for the process being killed in the middle of the migration."""


async def test_a_killed_migration_resumes_to_the_same_end_state(
    storage: DynamoDBStorage, server: LocalDynamoDB, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aged_files(tmp_path / "g", 90, utcnow())
    monkeypatch.setattr("dynamap.migrate.run.CHUNK", 30)

    def kill(entity: str, done: int) -> None:
        if done >= 30:
            raise KilledError

    with pytest.raises(KilledError):
        await migrate(storage.db, [generation_entity(tmp_path / "g")], progress=kill)
    table = storage.db.table_name(GenerationState)
    assert len(plain_items(server, table)) == 30
    resumed = await migrate_file_storage(storage, tmp_path / "g")
    assert resumed.ok and (resumed["generations"].written,
                           resumed["generations"].unchanged) == (60, 30)
    assert set(plain_items(server, table)) == {f"gen_{n:05d}" for n in range(90)}


def test_numbers_compare_as_they_are_stored() -> None:
    state = _state(15, datetime(2024, 3, 15, tzinfo=UTC))
    item = state.to_item()
    back = GenerationState.from_item(item)
    assert back.audio is not None and back.audio["durationSeconds"] != 15 / 7  # a Decimal
    assert comparable(back) == comparable(state)
    assert comparable(back) != comparable(_state(16, datetime(2024, 3, 15, tzinfo=UTC)))


# -- the program -----------------------------------------------------------------------


def test_runs_as_a_program(run_example: RunExample) -> None:
    done = run_example("examples.video_gennie")
    assert done.returncode == 0, done.stderr
    assert "migration: verified" in done.stdout
    assert "read 6 = written 5 + unchanged 0 + rejected 1" in done.stdout
    assert "then get: generation 'gen_123' not found" in done.stdout


def test_runs_with_no_endpoint_configured(run_fresh: RunExample) -> None:
    done = run_fresh("examples.video_gennie")
    assert done.returncode == 0, done.stderr
    assert "started a local DynamoDB" in done.stdout
