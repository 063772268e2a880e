"""Observability: request hooks, per-operation stats, consumed capacity, the debug log
line of each request, and `ping()`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from pydantic import Field

from dynamap import (
    GSI,
    Key,
    Model,
    RequestEvent,
    RetryPolicy,
    Session,
    Table,
    TableNotFound,
    new_id,
)
from dynamap.local import LocalDynamoDB, free_port
from dynamap.testing import isolated_session

observed = Table("Observed")


class Reading(Model, table=observed, entity="reading"):
    pk = Key("SENSOR#{sensor}")
    sk = Key("AT#{id}")
    by_kind = GSI("ByKind", pk="kind")

    id: str = Field(default_factory=new_id)
    sensor: str
    kind: str = "temperature"
    value: float = 0.0


@pytest.fixture
async def metered(server: LocalDynamoDB) -> AsyncIterator[Session]:
    """A session that asks for consumed capacity, with Reading's table created."""
    async with isolated_session(server.endpoint_url, consumed_capacity=True) as session:
        await session.create_tables(Reading)
        yield session


def _unreachable(**options: object) -> Session:
    """A session on a port nothing listens on, retrying fast."""
    policy = RetryPolicy(attempts=3, base=0.001, cap=0.002, budget=30.0)
    return Session(endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local", retry=policy)


async def test_hooks_see_each_request_before_and_after(db: Session) -> None:
    await db.create_tables(Reading)
    seen: list[tuple[str, str, bool]] = []

    @db.on_request
    def before(event: RequestEvent) -> None:
        seen.append(("request", event.operation, event.response is None))

    @db.on_response
    async def after(event: RequestEvent) -> None:
        seen.append(("response", event.operation, event.response is not None))

    await db.put(Reading(sensor="s1"))
    await db.query(Reading, sensor="s1").all()
    assert seen == [
        ("request", "PutItem", True), ("response", "PutItem", True),
        ("request", "Query", True), ("response", "Query", True),
    ]


async def test_response_hook_sees_the_error_of_a_failed_request(db: Session) -> None:
    events: list[RequestEvent] = []
    db.on_response(events.append)
    with pytest.raises(TableNotFound):
        await db.query(Reading, sensor="s1").all()
    [event] = events
    assert event.operation == "Query"
    assert isinstance(event.error, TableNotFound)
    assert event.response is None
    assert event.request["TableName"] == db.table_name(Reading)
    assert event.duration >= 0


async def test_stats_count_requests_and_errors_per_operation(db: Session) -> None:
    with pytest.raises(TableNotFound):
        await db.query(Reading, sensor="s1").first()
    await db.create_tables(Reading)
    before = dict(db.stats.requests)
    for number in range(3):
        await db.put(Reading(sensor="s1", value=number))
    await db.query(Reading, sensor="s1").all()
    after = db.stats.requests
    assert after["PutItem"] - before.get("PutItem", 0) == 3
    assert after["Query"] - before.get("Query", 0) == 1
    assert db.stats.errors["Query"] == 1  # the query on the missing table
    assert "PutItem" not in db.stats.errors
    assert db.stats.retries == {}
    assert db.stats.consumed_capacity == {}


async def test_requests_ask_for_capacity_only_when_asked(db: Session, metered: Session) -> None:
    await db.create_tables(Reading)
    plain: list[RequestEvent] = []
    asked: list[RequestEvent] = []
    db.on_request(plain.append)
    metered.on_request(asked.append)
    for session in (db, metered):
        await session.put(Reading(sensor="s1"))
        await session.query(Reading, sensor="s1").all()
    assert all("ReturnConsumedCapacity" not in event.request for event in plain)
    assert [event.request["ReturnConsumedCapacity"] for event in asked] == ["TOTAL", "TOTAL"]


async def test_consumed_capacity_is_added_up_per_operation(metered: Session) -> None:
    reading = await metered.put(Reading(sensor="s1", value=21.5))
    await metered.update(reading, set={"value": 22.0})
    await metered.query(Reading, sensor="s1").all()
    await metered.delete(reading)
    capacity = metered.stats.consumed_capacity
    assert set(capacity) == {"PutItem", "UpdateItem", "Query", "DeleteItem"}
    assert all(units > 0 for units in capacity.values())


async def test_each_request_logs_one_debug_line(
    metered: Session, caplog: pytest.LogCaptureFixture
) -> None:
    await metered.put(Reading(sensor="s1", kind="humidity"))
    caplog.set_level(logging.DEBUG, logger="dynamap")
    caplog.clear()
    await metered.query(Reading, index=Reading.by_kind, kind="humidity").all()
    [record] = [r for r in caplog.records if r.name == "dynamap"]
    message = record.getMessage()
    table = metered.table_name(Reading)
    assert record.levelno == logging.DEBUG
    assert message.startswith(f"Query table={table} index=ByKind ")
    assert "ms capacity=" in message
    assert message.endswith(" retries=0")
    assert "capacity=-" not in message


async def test_log_line_and_stats_show_retries_and_the_final_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[RequestEvent] = []
    caplog.set_level(logging.DEBUG, logger="dynamap")
    async with _unreachable() as db:
        db.on_response(events.append)
        assert await db.ping() is False
    [event] = events
    assert event.retries == 2
    assert db.stats.retries == {"ListTables": 2}
    assert db.stats.errors == {"ListTables": 1}
    [record] = [r for r in caplog.records if r.name == "dynamap"]
    assert record.getMessage().endswith("retries=2 error=ConnectionFailed")


async def test_ping_answers_true_for_a_live_server(db: Session) -> None:
    assert await db.ping() is True
    assert db.stats.requests["ListTables"] >= 1


async def test_batch_and_transaction_lines_name_their_tables(
    metered: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dynamap")
    async with metered.batch() as batch:
        batch.put(Reading(sensor="s2"))
    async with metered.transaction() as transaction:
        transaction.put(Reading(sensor="s3"))
    table = metered.table_name(Reading)
    lines = [r.getMessage() for r in caplog.records if r.name == "dynamap"]
    assert any(line.startswith(f"BatchWriteItem table={table} index=- ") for line in lines)
    assert any(line.startswith(f"TransactWriteItems table={table} index=- ") for line in lines)
