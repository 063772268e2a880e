"""Where the commands connect: the shared options and opening a checked `Session`.

Every option falls back to the environment exactly as `Session` does
(`AWS_ENDPOINT_URL_DYNAMODB` / `DYNAMODB_ENDPOINT`, `AWS_REGION`, the standard
credential chain, `DYNAMAP_TABLE_PREFIX`). Before the first request the endpoint is
checked to accept connections, so a server that is not running fails in an instant
with one clear line instead of after the retry budget.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from dynamap._session import Session
from dynamap.cli.errors import CommandError

__all__ = ["Connection", "connection_options", "open_session"]

F = TypeVar("F", bound=Callable[..., Any])

CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Connection:
    """The connection options given on the command line (None: from the environment)."""

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    prefix: str | None = None


def connection_options(command: F) -> F:
    """Add --endpoint-url, --region, --profile and --prefix; the command gets `connection`."""
    options = [
        click.option(
            "--prefix",
            default=None,
            metavar="TEXT",
            help="Table-name prefix, e.g. 'dev-' [default: $DYNAMAP_TABLE_PREFIX].",
        ),
        click.option("--profile", default=None, help="AWS profile for the credential chain."),
        click.option("--region", default=None, help="AWS region [default: $AWS_REGION]."),
        click.option(
            "--endpoint-url",
            default=None,
            metavar="URL",
            help="DynamoDB endpoint, e.g. http://127.0.0.1:8000 "
            "[default: $AWS_ENDPOINT_URL_DYNAMODB, else AWS].",
        ),
    ]
    for option in options:
        command = option(command)
    return command


def connection_from(options: dict[str, Any]) -> Connection:
    """Take the connection options out of a command's keyword arguments."""
    return Connection(
        endpoint_url=options.pop("endpoint_url"),
        region=options.pop("region"),
        profile=options.pop("profile"),
        prefix=options.pop("prefix"),
    )


@contextlib.asynccontextmanager
async def open_session(connection: Connection) -> AsyncIterator[Session]:
    """An open session on the endpoint, checked to accept connections.

    Raises:
        CommandError: the endpoint does not accept connections.
        AccessDenied: no credentials were found for AWS.
        SessionError: no region is configured.
    """
    session = Session(
        endpoint_url=connection.endpoint_url,
        region=connection.region,
        profile=connection.profile,
        table_prefix=connection.prefix,
    )
    async with session:
        await _check_reachable(session.transport.endpoint_url)
        yield session


async def _check_reachable(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"{url!r} is not an endpoint URL; write it like http://127.0.0.1:8000")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port), CONNECT_TIMEOUT
        )
    except (OSError, TimeoutError) as error:
        reason = _reason(error)
        raise CommandError(
            f"cannot reach DynamoDB at {url} ({reason}); is the server running? Start a "
            "local one with `dynamap local`, or check --endpoint-url / "
            "AWS_ENDPOINT_URL_DYNAMODB"
        ) from error
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


def _reason(error: OSError | TimeoutError) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return error.strerror or str(error)
