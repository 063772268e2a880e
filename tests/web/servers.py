"""Run an ASGI app in a real server process (uvicorn or hypercorn) on a loopback port."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ("uvicorn", "hypercorn")
#: Bounds for a server to come up and to stop; they are limits, not measurements.
START_SECONDS = 60.0
STOP_SECONDS = 30.0


@dataclass
class Served:
    """A running server: its base URL; once stopped, its exit code and log."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    returncode: int | None = None

    @property
    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def command(host: str, factory: str, port: int, app_dir: Path) -> list[str]:
    """The command line that serves `module:factory` (an app factory) with `host`."""
    if host == "uvicorn":
        return [sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir",
                str(app_dir), "--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
    module, name = factory.split(":")
    target = (app_dir / f"{module}.py") if app_dir != ROOT else Path(module)
    return [sys.executable, "-m", "hypercorn", f"{target}:{name}()", "--bind",
            f"127.0.0.1:{port}"]


@contextlib.contextmanager
def serving(host: str, factory: str, env: dict[str, str], log_dir: Path,
            app_dir: Path = ROOT) -> Iterator[Served]:
    """Serve the app in a server process until the block ends, then stop it the way
    an operator does (SIGINT), so the lifespan's shutdown runs."""
    port = free_port()
    log_path = log_dir / f"{host}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command(host, factory, port, app_dir), cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    served = Served(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_listening(served, port)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            served.returncode = process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            served.returncode = process.wait()


def _wait_until_listening(served: Served, port: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"the server exited at startup:\n{served.log}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not listen within {START_SECONDS} s:\n{served.log}")
