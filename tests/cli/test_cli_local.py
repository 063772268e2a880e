"""`dynamap local`: a server in the foreground that prints its endpoint, serves until
Ctrl-C, and (DynamoDB Local) keeps its tables in --data across runs."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cli_helpers import REPO, Cli, error_line

from dynamap.local import free_port

READY = "Press Ctrl-C to stop."
HANG_GUARD = 180.0  # seconds; only so that a broken server cannot hang the suite


def needs_java() -> pytest.MarkDecorator:
    import shutil

    return pytest.mark.skipif(shutil.which("java") is None, reason="DynamoDB Local needs java")


@contextmanager
def foreground(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`python -m dynamap local ...`, its stdout read up to the ready line."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "DYNAMAP_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "dynamap", "local", *args], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        yield process, read_until_ready(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def read_until_ready(process: subprocess.Popen[str]) -> list[str]:
    """The stdout lines up to the ready line, read on a thread (readline blocks)."""
    assert process.stdout is not None
    stream = process.stdout
    found: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in iter(stream.readline, ""):
            found.put(line.rstrip("\n"))
            if line.strip() == READY:
                return
        found.put(None)

    threading.Thread(target=pump, daemon=True).start()
    lines: list[str] = []
    while True:
        line = found.get(timeout=HANG_GUARD)
        if line is None:
            raise AssertionError(f"dynamap local exited before it was ready: {lines}")
        lines.append(line)
        if line == READY:
            return lines


def stop(process: subprocess.Popen[str], how: signal.Signals) -> tuple[int, str, str]:
    process.send_signal(how)
    stdout, stderr = process.communicate(timeout=HANG_GUARD)
    return process.returncode, stdout, stderr


def test_local_moto_prints_the_endpoint_and_stops_on_ctrl_c() -> None:
    port = free_port()
    with foreground("--engine", "moto", "--port", str(port)) as (process, lines):
        endpoint = f"http://127.0.0.1:{port}"
        assert lines == [
            f"moto is listening on {endpoint} (in memory)",
            "Point dynamap, the AWS SDKs and the AWS CLI at it with:",
            f"  export AWS_ENDPOINT_URL_DYNAMODB={endpoint}",
            "  export AWS_REGION=us-east-1",
            "  export AWS_DEFAULT_REGION=us-east-1",
            "  export AWS_ACCESS_KEY_ID=local",
            "  export AWS_SECRET_ACCESS_KEY=local",
            READY,
        ]
        cli = Cli(endpoint, "local-")
        created = cli("create-tables", "ledger_v1")
        assert created.exit_code == 0, created.output
        assert cli("plan", "ledger_v1").exit_code == 0
        code, stdout, stderr = stop(process, signal.SIGINT)
    assert code == 0
    assert stdout == "stopped\n"
    assert stderr == ""  # no request log from werkzeug


@needs_java()
def test_local_dynamodb_local_keeps_its_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    cli = Cli(endpoint, "kept-")
    with foreground("--engine", "dynamodb-local", "--port", str(port), "--data",
                    str(data)) as (process, lines):
        assert lines[0] == f"dynamodb-local is listening on {endpoint} (data in {data})"
        assert cli("create-tables", "ledger_v1").exit_code == 0
        code, _, _ = stop(process, signal.SIGTERM)
        assert code == 0
    with foreground("--engine", "dynamodb-local", "--port", str(port), "--data",
                    str(data)) as (process, _):
        planned = cli("plan", "ledger_v1")
        assert planned.exit_code == 0, planned.output
        assert planned.stdout.startswith("kept-CliLedger: in sync")
        code, stdout, _ = stop(process, signal.SIGINT)
        assert (code, stdout) == (0, "stopped\n")


def test_local_moto_cannot_keep_data(offline: Cli, tmp_path: Path) -> None:
    result = offline("local", "--engine", "moto", "--data", str(tmp_path), connect=False)
    assert result.exit_code == 2
    assert error_line(result) == (
        "error: data_dir needs the dynamodb-local engine (moto keeps data in memory only); it "
        "needs `java` on PATH")


def test_local_port_in_use(offline: Cli) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = offline("local", "--engine", "moto", "--port", str(port), connect=False)
    assert result.exit_code == 2
    assert error_line(result) == f"error: port {port} on 127.0.0.1 is already in use"
