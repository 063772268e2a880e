"""Helpers for the `dynamap` command's tests: `Cli` runs the command in-process with
click's CliRunner, bound to a local server and a table prefix."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner, Result

from dynamap import Session
from dynamap.cli.app import cli as dynamap_cli

HERE = Path(__file__).parent
REPO = HERE.parent.parent

#: The environment every invocation runs in: local credentials, a region, and no
#: endpoint or prefix leaking in from the developer's shell.
ENV: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ENDPOINT_URL_DYNAMODB": None,
    "DYNAMODB_ENDPOINT": None,
    "DYNAMAP_TABLE_PREFIX": None,
}


@dataclass
class Cli:
    """Runs `dynamap` in-process; `connect=True` adds --endpoint-url and --prefix."""

    endpoint: str = ""
    prefix: str = ""
    engine: str = ""
    runner: CliRunner = field(default_factory=CliRunner)

    def __call__(self, *args: str, connect: bool = True,
                 env: Mapping[str, str | None] | None = None) -> Result:
        argv = list(args)
        if connect:
            argv += ["--endpoint-url", self.endpoint, "--prefix", self.prefix]
        return self.runner.invoke(dynamap_cli, argv, env={**ENV, **(env or {})})

    def session(self) -> Session:
        """A session on the same server and prefix, to check what a command did."""
        return Session(endpoint_url=self.endpoint, region="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local",
                       table_prefix=self.prefix)

    def run(self, coroutine_function: object) -> object:
        """Run `async def f(db)` with an open session and return its result."""
        async def go() -> object:
            async with self.session() as db:
                return await coroutine_function(db)  # type: ignore[operator]

        return asyncio.run(go())


def error_line(result: Result) -> str:
    """The one line a failed command prints on stderr (and checks it is one line)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]
