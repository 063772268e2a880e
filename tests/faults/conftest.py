"""Fixtures of the fault-injection suite.

Each test gets the `db` session of `tests/conftest.py` (talking to the server
directly: it creates the tables and checks what is really stored) and opens, through
`faulty_session`, a second session on the same tables that talks through a
`FaultProxy`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from fault_proxy import GENEROUS, FaultProxy, FaultRates, FaultySession, Stored
from pydantic import BaseModel

from dynamap import RetryPolicy, Session
from dynamap.local import LocalDynamoDB


@pytest.fixture
def faulty_session(server: LocalDynamoDB, db: Session) -> FaultySession:
    """`async with faulty_session(rates, seed=...) as (proxy, session)`: a session on
    `db`'s tables whose every request goes through a fault-injecting proxy."""

    @asynccontextmanager
    async def open_faulty(
        rates: FaultRates | None = None, *, seed: int = 0, retry: RetryPolicy = GENEROUS,
        **options: object,
    ) -> AsyncIterator[tuple[FaultProxy, Session]]:
        async with FaultProxy(server.endpoint_url, rates, seed=seed) as proxy:
            session = Session(
                endpoint_url=proxy.url, region="us-east-1", aws_access_key_id="local",
                aws_secret_access_key="local", table_prefix=db.table_prefix, retry=retry,
                **options,  # type: ignore[arg-type]
            )
            async with session:
                yield proxy, session

    return open_faulty



@pytest.fixture
def stored(server: LocalDynamoDB, db: Session) -> Stored:
    """Read one item straight from the server with boto3's low-level client (a
    consistent GetItem by its partition key), decoded to plain Python values: the
    independent truth the fault tests compare with."""
    client = boto3.client(
        "dynamodb", endpoint_url=server.endpoint_url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    )
    plain = TypeDeserializer()

    def read(model: type[BaseModel], pk: str) -> dict[str, Any] | None:
        answer = client.get_item(TableName=db.table_name(model), Key={"PK": {"S": pk}},
                                 ConsistentRead=True)
        item = answer.get("Item")
        return None if item is None else {k: plain.deserialize(v) for k, v in item.items()}

    return read
