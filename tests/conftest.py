"""Fixtures shared by the integration and example suites: every test that uses them
runs against both engines, DynamoDB Local (AWS's own engine, the truth where the two
differ) and moto's server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from dynamap import Session
from dynamap.local import LocalDynamoDB
from dynamap.testing import isolated_session

ENGINES = ("dynamodb-local", "moto")


@pytest.fixture(scope="session", params=ENGINES)
def server(request: pytest.FixtureRequest) -> Iterator[LocalDynamoDB]:
    """One server per engine for the whole run."""
    with LocalDynamoDB(request.param) as local:
        yield local


@pytest.fixture
def engine(server: LocalDynamoDB) -> str:
    """The engine this test runs against."""
    return server.engine


@pytest.fixture
async def db(server: LocalDynamoDB) -> AsyncIterator[Session]:
    """An open session whose tables are unique to this test and dropped after it."""
    async with isolated_session(server.endpoint_url) as session:
        yield session
