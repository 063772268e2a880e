"""How every example runs: on the configured DynamoDB, or on a local one of its own."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from dynamap.local import embedded_dynamodb

__all__ = ["run_on_dynamodb"]


def run_on_dynamodb(program: Callable[[bool], Coroutine[Any, Any, bool | None]]) -> None:
    """Run `program(embedded)` and exit 1 if it returns False.

    With no endpoint configured (`AWS_ENDPOINT_URL_DYNAMODB` / `DYNAMODB_ENDPOINT`), a
    local DynamoDB is started for the run and `embedded` is True, so the program may
    drop the tables it made; otherwise it runs against the configured server or AWS.
    """
    with embedded_dynamodb() as server:
        if server is not None:
            print(f"started a local DynamoDB ({server.engine}) at {server.endpoint_url}")
        ok: bool | None = asyncio.run(program(server is not None))
    if ok is False:
        sys.exit(1)
