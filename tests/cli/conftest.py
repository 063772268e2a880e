"""Fixtures for the `dynamap` command's tests: the command bound to a local server
(both engines, through the shared `server` fixture) with a table prefix unique to the
test, whose tables are dropped afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from cli_helpers import Cli

from dynamap.local import LocalDynamoDB


@pytest.fixture
def offline() -> Cli:
    """The command with no server (dry runs, usage errors)."""
    return Cli(prefix=f"t{uuid.uuid4().hex[:10]}-")


@pytest.fixture
def dynamap(server: LocalDynamoDB) -> Iterator[Cli]:
    """The command on a local server, with a table prefix unique to this test."""
    runner = Cli(server.endpoint_url, f"t{uuid.uuid4().hex[:10]}-", server.engine)
    yield runner
    asyncio.run(_drop_prefixed(runner))


async def _drop_prefixed(runner: Cli) -> None:
    async with runner.session() as db:
        names: list[str] = []
        request: dict[str, object] = {}
        while True:
            answer = await db.send("ListTables", request)
            names += [n for n in answer.get("TableNames", []) if n.startswith(runner.prefix)]
            if not answer.get("LastEvaluatedTableName"):
                break
            request = {"ExclusiveStartTableName": answer["LastEvaluatedTableName"]}
        for name in names:
            await db.send("DeleteTable", {"TableName": name}, table=name)


