"""A pytest plugin: a local DynamoDB per test run and isolated tables per test.

Registered through the `pytest11` entry point, so installing dynamap makes these
fixtures available to any test suite:

- `dynamap_server`: a local DynamoDB (DynamoDB Local, or moto with
  `--dynamap-engine=moto`) started once per test session.
- `dynamap_session`: an open `Session` on that server whose table prefix is unique to
  the test; every table it creates is deleted when the test ends.

```python
async def test_pages(dynamap_session):
    await dynamap_session.create_tables(Page)
    await dynamap_session.put(Page(title="Home"))
```
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from dynamap.local import LocalDynamoDB
from dynamap.session import Session

__all__ = ["dynamap_server", "dynamap_session", "isolated_session"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--dynamap-engine` (dynamodb-local, moto or auto)."""
    group = parser.getgroup("dynamap")
    group.addoption(
        "--dynamap-engine",
        default="auto",
        choices=("auto", "dynamodb-local", "moto"),
        help="local DynamoDB engine for dynamap fixtures (default: dynamodb-local if Java "
        "is installed, else moto)",
    )


@pytest.fixture(scope="session")
def dynamap_server(request: pytest.FixtureRequest) -> Iterator[LocalDynamoDB]:
    """A local DynamoDB server for the whole test session."""
    engine = request.config.getoption("--dynamap-engine")
    with LocalDynamoDB(engine) as server:
        yield server


@pytest.fixture
async def dynamap_session(dynamap_server: LocalDynamoDB) -> AsyncIterator[Session]:
    """An open session whose tables are unique to this test and dropped after it."""
    async with isolated_session(dynamap_server.endpoint_url) as session:
        yield session


class isolated_session:  # noqa: N801 - used like a function: `async with isolated_session(url)`
    """An open Session with a unique table prefix; drops its tables on exit."""

    def __init__(self, endpoint_url: str, **options: object) -> None:
        prefix = f"t{uuid.uuid4().hex[:12]}-"
        self.session = Session(
            endpoint_url=endpoint_url, region="us-east-1", aws_access_key_id="local",
            aws_secret_access_key="local", table_prefix=prefix, **options,  # type: ignore[arg-type]
        )

    async def __aenter__(self) -> Session:
        return await self.session.__aenter__()

    async def __aexit__(self, *exc_info: object) -> None:
        session = self.session
        try:
            await _drop_prefixed(session)
        finally:
            await session.__aexit__(None, None, None)


async def _drop_prefixed(session: Session) -> None:
    answer = await session.send("ListTables", {})
    names = [n for n in answer.get("TableNames", []) if n.startswith(session.table_prefix)]
    while answer.get("LastEvaluatedTableName"):
        answer = await session.send(
            "ListTables", {"ExclusiveStartTableName": answer["LastEvaluatedTableName"]})
        names += [n for n in answer.get("TableNames", []) if n.startswith(session.table_prefix)]
    for name in names:
        await session.send("DeleteTable", {"TableName": name}, table=name)
