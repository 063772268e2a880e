"""`dynamap local`: a local DynamoDB in the foreground until Ctrl-C.

Like the seeds' `npm run dynamodb:start`: it prints the endpoint and the environment
variables that point dynamap (and the AWS SDKs and CLI) at it, then serves until it
is interrupted. `--data DIR` keeps DynamoDB Local's tables on disk across runs.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import cast

import click

from dynamap.cli.console import echo, status_console
from dynamap.local import Engine, LocalDynamoDB

__all__ = ["local"]

ENGINES = ("auto", "dynamodb-local", "moto")


@click.command("local")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port on 127.0.0.1 to listen on.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="DynamoDB Local (needs Java), moto, or auto: DynamoDB Local when Java "
    "is installed, else moto.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the tables in this directory (DynamoDB Local only); default: in memory.",
)
def local(port: int, engine: str, data_dir: Path | None) -> None:
    """Run a local DynamoDB until Ctrl-C.

    It listens on 127.0.0.1 and prints the environment variables that point dynamap,
    the AWS SDKs and the AWS CLI at it.
    """
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    chosen = cast(Engine, engine) if engine != "auto" else "auto"
    server = LocalDynamoDB(chosen, port=port, data_dir=data_dir)
    with status_console().status(f"starting {server.engine} on port {port}"):
        server.start()
    try:
        _announce(server, data_dir)
        _serve_until_signalled()
    finally:
        server.stop()
    echo("stopped")


def _announce(server: LocalDynamoDB, data_dir: Path | None) -> None:
    storage = f"data in {data_dir.resolve()}" if data_dir else "in memory"
    echo(f"{server.engine} is listening on {server.endpoint_url} ({storage})")
    echo("Point dynamap, the AWS SDKs and the AWS CLI at it with:")
    for name, value in server.env().items():
        echo(f"  export {name}={value}")
    echo("Press Ctrl-C to stop.")


def _serve_until_signalled() -> None:
    """Wait for SIGINT (Ctrl-C) or SIGTERM. Both are handled here, even when the shell
    started the command in the background with SIGINT ignored."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
