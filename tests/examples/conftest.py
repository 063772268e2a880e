"""Helpers for running the examples as programs, against the test servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from dynamap.local import LocalDynamoDB
from dynamap.testing import isolated_session

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_ENDPOINT")

RunExample = Callable[[str], subprocess.CompletedProcess[str]]


def example_env(**extra: str) -> dict[str, str]:
    """This process's environment without any DynamoDB endpoint or table prefix."""
    env = {name: value for name, value in os.environ.items()
           if name not in (*ENDPOINT_VARIABLES, "DYNAMAP_TABLE_PREFIX")}
    env.update(extra)
    return env


def run_module(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE` from the repository root; its output, whatever the exit code."""
    return subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
async def run_example(server: LocalDynamoDB) -> AsyncIterator[RunExample]:
    """Run an example as a program on the test server, with a table prefix of its own;
    the tables it made are dropped afterwards."""
    cleanup = isolated_session(server.endpoint_url)
    env = example_env(**server.env(), DYNAMAP_TABLE_PREFIX=cleanup.session.table_prefix)

    def run(module: str) -> subprocess.CompletedProcess[str]:
        return run_module(module, env)

    async with cleanup:
        yield run


@pytest.fixture
def run_fresh() -> RunExample:
    """Run an example as a program with no endpoint configured, as on a fresh machine:
    it starts (and stops) a local DynamoDB of its own."""

    def run(module: str) -> subprocess.CompletedProcess[str]:
        return run_module(module, example_env())

    return run
