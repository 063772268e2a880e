"""A pytest plugin: a local DynamoDB per test run and isolated tables per test.

Registered through the `pytest11` entry point, so installing dynamap makes these
fixtures available to any test suite (see `docs/testing.md`):

- `dynamap_server`: a local DynamoDB started once per test session: DynamoDB Local
  when Java can run it, else moto; pick one with `--dynamap-engine` or the
  `dynamap_engine` ini option.
  `--dynamap-port` (or `dynamap_port`) fixes its port, e.g. for a server process
  under test that is configured before the run.
- `dynamap_session`: an open `Session` on that server whose table prefix is unique to
  the test; every table it creates is deleted when the test ends. It is not bound:
  model methods in the test, and in an app under test, do not see it, so an app that
  forgets to open its own session fails its tests as it would fail in production.
- `dynamap_bind`: asks for the binding: with it, the test's session is current for
  model methods in the test and in everything it calls (an app under test included).
- `dynamap_tables`: creates the tables of the models a test names and returns the
  session: `db = await dynamap_tables(Page, Node)`.

```python
async def test_pages(dynamap_tables, dynamap_bind):
    db = await dynamap_tables(Page)
    await db.put(Page(title="Home"))
    assert await Page.get(id=...) is not None      # model methods: dynamap_bind
```
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, cast

import pytest

from dynamap._declarations import Table
from dynamap._session import Session
from dynamap.local import Engine, LocalDynamoDB

try:  # async fixtures must be pytest-asyncio's to work in its default strict mode
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio (anyio, or no async tests)
    _async_fixture = pytest.fixture  # type: ignore[assignment]

__all__ = [
    "ENGINE_CHOICES",
    "TableFactory",
    "dynamap_bind",
    "dynamap_server",
    "dynamap_session",
    "dynamap_tables",
    "isolated_session",
    "selected_engine",
]

#: The values `--dynamap-engine` and the `dynamap_engine` ini option accept.
ENGINE_CHOICES = ("auto", "dynamodb-local", "moto")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--dynamap-engine` and its ini twin `dynamap_engine`."""
    group = parser.getgroup("dynamap")
    group.addoption(
        "--dynamap-engine",
        default=None,
        choices=ENGINE_CHOICES,
        help="local DynamoDB engine for dynamap's fixtures: dynamodb-local, moto, or auto "
        "(the default: dynamodb-local if Java is installed, else moto)",
    )
    parser.addini(
        "dynamap_engine",
        help="local DynamoDB engine for dynamap's fixtures (overridden by --dynamap-engine)",
        default="auto",
    )
    group.addoption(
        "--dynamap-port",
        default=None,
        type=int,
        help="port of the local DynamoDB of dynamap's fixtures (default: a free one)",
    )
    parser.addini(
        "dynamap_port",
        help="port of the local DynamoDB of dynamap's fixtures (overridden by --dynamap-port)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Check the engine and port options before any test runs."""
    selected_engine(config)
    selected_port(config)


def selected_engine(config: pytest.Config) -> Engine | Literal["auto"]:
    """The engine chosen for this run: the command line, else the ini file, else auto.

    Raises:
        pytest.UsageError: the ini option names no known engine.
    """
    engine = config.getoption("--dynamap-engine") or config.getini("dynamap_engine") or "auto"
    if engine not in ENGINE_CHOICES:
        raise pytest.UsageError(
            f"dynamap_engine = {engine!r}; choose one of {', '.join(ENGINE_CHOICES)}"
        )
    return cast("Engine | Literal['auto']", engine)


def selected_port(config: pytest.Config) -> int | None:
    """The port chosen for the server: the command line, else the ini file, else None.

    Raises:
        pytest.UsageError: the ini option is not a port number.
    """
    port: int | None = config.getoption("--dynamap-port")
    if port is None:
        text = str(config.getini("dynamap_port") or "").strip()
        if text and not text.isdigit():
            raise pytest.UsageError(f"dynamap_port = {text!r}; give a port number")
        port = int(text) if text else None
    if port is not None and not 0 < port < 65536:
        raise pytest.UsageError(f"dynamap port {port} is not a port number")
    return port


@pytest.fixture(scope="session")
def dynamap_server(request: pytest.FixtureRequest) -> Iterator[LocalDynamoDB]:
    """A local DynamoDB server for the whole test session."""
    config = request.config
    with LocalDynamoDB(selected_engine(config), port=selected_port(config)) as server:
        yield server


@_async_fixture
async def dynamap_session(dynamap_server: LocalDynamoDB) -> AsyncIterator[Session]:
    """An open session whose tables are unique to this test and dropped after it; not
    bound for model methods (ask for `dynamap_bind`)."""
    async with isolated_session(dynamap_server.endpoint_url, bind=False) as session:
        yield session


@_async_fixture
async def dynamap_bind(dynamap_session: Session) -> AsyncIterator[Session]:
    """The test's session, made current for model methods in the test and in the code
    it calls (`Session.use()`); it wins over a session the app bound for the process."""
    with dynamap_session.use():
        yield dynamap_session


class TableFactory:
    """What the `dynamap_tables` fixture gives: `await dynamap_tables(Page, Node)`
    creates those models' tables (with their indexes) and returns the session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def __call__(self, *targets: type[Any] | Table[Any]) -> Session:
        """Create the tables of these models (or tables) on the test's session.

        Returns:
            The test's session (the `dynamap_session` fixture), tables in place.
        """
        if not targets:
            raise TypeError("name the models whose tables to create: dynamap_tables(Page)")
        await self.session.create_tables(*targets)
        return self.session


@pytest.fixture
def dynamap_tables(dynamap_session: Session) -> TableFactory:
    """A factory that creates the tables of the models a test names; they are dropped
    with the rest of the test's tables when it ends."""
    return TableFactory(dynamap_session)


class isolated_session:  # noqa: N801 - used like a function: `async with isolated_session(url)`
    """An open Session with a unique table prefix; drops its tables on exit.

    Args:
        endpoint_url: the local DynamoDB to connect to.
        bind: make the session current in this context, as `async with Session()`
            does; False opens it without binding it.
        **options: more keyword arguments for `Session`.
    """

    def __init__(self, endpoint_url: str, *, bind: bool = True, **options: Any) -> None:
        self.bind = bind
        prefix = f"t{uuid.uuid4().hex[:12]}-"
        self.session = Session(
            endpoint_url=endpoint_url,
            region="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            table_prefix=prefix,
            **options,
        )

    async def __aenter__(self) -> Session:
        if self.bind:
            return await self.session.__aenter__()
        return await self.session.open()

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
            "ListTables", {"ExclusiveStartTableName": answer["LastEvaluatedTableName"]}
        )
        names += [n for n in answer.get("TableNames", []) if n.startswith(session.table_prefix)]
    for name in names:
        await session.send("DeleteTable", {"TableName": name}, table=name)
