"""Start and stop a local DynamoDB-compatible server, for tests, demos and `dynamap local`.

Two engines speak the DynamoDB wire protocol on `http://127.0.0.1:PORT`:

* ``"dynamodb-local"``: DynamoDB Local, AWS's own engine, a Java program run as a child
  process. It needs `java` (Java 17 is what it is tested with). It is fetched once from
  the npm package ``amplify-dynamodb-simulator``, which bundles it, with `npm pack`; the
  bundled ``emulator/`` directory is unpacked into the cache (below) and reused from
  then on without npm. It runs ``-inMemory`` unless a ``data_dir`` is given, always with
  ``-sharedDb`` (one database whatever the credentials and region, like a real account)
  and ``-disableTelemetry``. It has no option to choose the address it listens on and
  listens on every interface; clients must use ``127.0.0.1`` only.
* ``"moto"``: moto's DynamoDB emulation, served from a thread of this process. Needs
  ``pip install "moto[server]"`` and nothing else; starts in milliseconds. Its store
  lives in this process's memory: it is emptied when a moto server starts and no other
  is running, and moto servers running at the same time in one process share it.

``"auto"`` picks DynamoDB Local when `java` is on PATH and DynamoDB Local is cached or
`npm` can fetch it, and moto otherwise.

The cache is ``$DYNAMAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/dynamap``, else
``~/.cache/dynamap``; DynamoDB Local goes in ``dynamodb-local/<package version>/``.
Installing is atomic (unpack next to the target, then rename) and guarded by a file
lock, so processes racing to install do it once.

Example:
    ```python
    async with LocalDynamoDB() as server:
        session = aioboto3.Session()
        async with session.client("dynamodb", endpoint_url=server.endpoint_url) as client:
            ...
    ```
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Literal, Self, cast, get_args

from dynamap.errors import DynamapError

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

__all__ = [
    "SIMULATOR_PACKAGE",
    "SIMULATOR_VERSION",
    "Engine",
    "LocalDynamoDB",
    "LocalServerError",
    "default_cache_dir",
    "ensure_dynamodb_local",
    "free_port",
]

Engine = Literal["dynamodb-local", "moto"]

#: The npm package that bundles DynamoDB Local, and its pinned version (DynamoDB Local 1.25.1).
SIMULATOR_PACKAGE = "amplify-dynamodb-simulator"
SIMULATOR_VERSION = "2.9.30"

HOST = "127.0.0.1"
JAR = "DynamoDBLocal.jar"
#: C1-only JIT: starts about 0.3 s faster; test runs are too short for the C2 compiler to pay.
JVM_FLAGS = ("-XX:TieredStopAtLevel=1",)
NPM_TIMEOUT = 600.0
STOP_GRACE = 5.0

_JAVA_MISSING = (
    "DynamoDB Local needs Java, and `java` is not on PATH. Install Java 17 "
    "(e.g. `apt-get install default-jre-headless`, or `brew install openjdk@17`), "
    "or use the moto engine: LocalDynamoDB('moto')."
)
_NPM_MISSING = (
    f"Fetching DynamoDB Local needs npm (it comes in the npm package {SIMULATOR_PACKAGE}), "
    "and `npm` is not on PATH. Install Node.js and npm (e.g. `apt-get install nodejs npm`), "
    "or use the moto engine: LocalDynamoDB('moto')."
)
_MOTO_MISSING = 'The moto engine needs moto with its server extra: pip install "moto[server]"'
_PROBE_HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
}


class LocalServerError(DynamapError, RuntimeError):
    """A local DynamoDB server could not be installed, started or reached."""


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def default_cache_dir() -> Path:
    """Return dynamap's cache directory.

    Returns:
        ``$DYNAMAP_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/dynamap`` if that is an
        absolute path, else ``~/.cache/dynamap``.
    """
    if explicit := os.environ.get("DYNAMAP_CACHE_DIR"):
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "dynamap"


def ensure_dynamodb_local(cache_dir: Path | None = None) -> Path:
    """Return DynamoDB Local's directory, fetching it with npm the first time.

    Args:
        cache_dir: dynamap's cache directory; `default_cache_dir()` when None.

    Returns:
        The directory holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib/``.

    Raises:
        LocalServerError: npm is missing or failed, or the package has no DynamoDB Local.
    """
    target = _emulator_dir(cache_dir)
    if _is_installed(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{target.name}.lock"):
        if not _is_installed(target):
            _install(target)
    return target


def _emulator_dir(cache_dir: Path | None) -> Path:
    root = default_cache_dir() if cache_dir is None else Path(cache_dir)
    return root / "dynamodb-local" / SIMULATOR_VERSION


def _is_installed(emulator: Path) -> bool:
    return (emulator / JAR).is_file()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (on Windows, none: a lost rename is tolerated)."""
    with open(path, "a+b") as handle:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _install(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise LocalServerError(_NPM_MISSING)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
        work = Path(tmp)
        staged = _extract_emulator(_npm_pack(npm, work), work / "unpacked")
        try:
            staged.rename(target)
        except OSError:
            if not _is_installed(target):  # not another process's finished install
                raise LocalServerError(
                    f"cannot install DynamoDB Local into {target}; delete it and retry"
                ) from None


def _npm_pack(npm: str, workdir: Path) -> Path:
    """Download the package tarball into `workdir` and return its path."""
    spec = f"{SIMULATOR_PACKAGE}@{SIMULATOR_VERSION}"
    command = [npm, "pack", spec, "--ignore-scripts"]
    try:
        done = subprocess.run(
            command,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LocalServerError(f"`npm pack {spec}` took over {NPM_TIMEOUT:g} s") from None
    tarballs = sorted(workdir.glob("*.tgz"))
    if done.returncode != 0 or not tarballs:
        raise LocalServerError(
            f"`npm pack {spec}` failed (exit code {done.returncode}):\n"
            f"{_tail(done.stderr or done.stdout)}"
        )
    return tarballs[0]


def _extract_emulator(tarball: Path, into: Path) -> Path:
    """Unpack only ``package/emulator/`` from the npm tarball; return that directory."""
    with tarfile.open(tarball, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/emulator/")]
        if hasattr(tarfile, "data_filter"):
            archive.extractall(into, members=members, filter="data")
        else:  # Python < 3.11.4; the tarball's integrity was checked by npm
            archive.extractall(into, members=members)
    emulator = into / "package" / "emulator"
    if not _is_installed(emulator):
        raise LocalServerError(f"{tarball.name} holds no emulator/{JAR}")
    return emulator


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def _dynamodb_local_available() -> bool:
    if shutil.which("java") is None:
        return False
    return shutil.which("npm") is not None or _is_installed(_emulator_dir(None))


def _resolve_engine(engine: str) -> Engine:
    if engine == "auto":
        return "dynamodb-local" if _dynamodb_local_available() else "moto"
    if engine in get_args(Engine):
        return cast(Engine, engine)
    choices = ", ".join(repr(e) for e in (*get_args(Engine), "auto"))
    raise LocalServerError(f"unknown engine {engine!r}; choose one of {choices}")


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            raise LocalServerError(f"port {port} on {HOST} is already in use") from exc


def _answers(port: int) -> bool:
    """Whether a DynamoDB-like HTTP server answers on the port (any HTTP response counts)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=2.0)
    try:
        connection.request("POST", "/", body=b"{}", headers=_PROBE_HEADERS)
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return True


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Stop a child: SIGTERM, a grace period, then SIGKILL; always reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def _moto_server_class() -> type[ThreadedMotoServer]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise LocalServerError(_MOTO_MISSING) from exc
    return ThreadedMotoServer


def _reset_moto_dynamodb() -> None:
    from moto.dynamodb.models import dynamodb_backends

    for account in list(dynamodb_backends.values()):
        account.reset()


class LocalDynamoDB:
    """A local DynamoDB-compatible server on 127.0.0.1, started and stopped in code.

    Use it as a context manager (sync or async) or call `start()` and `stop()`. A server
    still running when the interpreter exits is stopped then.

    Attributes:
        engine: the engine in use, "auto" resolved.
        startup_timeout: seconds to wait for the server to answer.
    """

    def __init__(
        self,
        engine: Engine | Literal["auto"] = "auto",
        *,
        port: int | None = None,
        data_dir: str | Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        """Describe a server; nothing starts until `start()`.

        Args:
            engine: "dynamodb-local", "moto", or "auto" (DynamoDB Local when Java can run
                it, else moto).
            port: the port to listen on; a free one is chosen when None.
            data_dir: keep DynamoDB Local's data in this directory instead of in memory.
                Only DynamoDB Local can do this.
            startup_timeout: seconds to wait for the server to answer once launched (a
                first download of DynamoDB Local is not counted).

        Raises:
            LocalServerError: the engine is unknown, or data_dir is given for moto.
        """
        self.engine: Engine = _resolve_engine(engine)
        if data_dir is not None and self.engine == "moto":
            raise LocalServerError(
                "data_dir needs the dynamodb-local engine (moto keeps data in memory only); "
                "it needs `java` on PATH"
            )
        self.startup_timeout = startup_timeout
        self._requested_port = port
        self._data_dir = None if data_dir is None else Path(data_dir).expanduser().resolve()
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self._log_path: Path | None = None
        self._moto: ThreadedMotoServer | None = None

    def __repr__(self) -> str:
        where = self.endpoint_url if self.running else "stopped"
        return f"LocalDynamoDB(engine={self.engine!r}, {where})"

    @property
    def running(self) -> bool:
        """Whether the server has been started and not stopped."""
        return self._port is not None

    @property
    def port(self) -> int:
        """The port the server listens on.

        Raises:
            LocalServerError: the server is not running.
        """
        if self._port is None:
            raise LocalServerError("the local DynamoDB server is not running; call start()")
        return self._port

    @property
    def endpoint_url(self) -> str:
        """The URL clients use, ``http://127.0.0.1:PORT``; valid after `start()`."""
        return f"http://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        """Return the environment variables a process needs to use this server.

        ``AWS_ENDPOINT_URL_DYNAMODB`` always; ``AWS_REGION`` and ``AWS_DEFAULT_REGION``
        (the one set, else us-east-1) unless both are set; fake credentials unless
        ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` are both set.

        Raises:
            LocalServerError: the server is not running.
        """
        values = {"AWS_ENDPOINT_URL_DYNAMODB": self.endpoint_url}
        region, default_region = os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")
        if not (region and default_region):
            values["AWS_REGION"] = values["AWS_DEFAULT_REGION"] = (
                region or default_region or "us-east-1"
            )
        if not (os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY")):
            values["AWS_ACCESS_KEY_ID"] = values["AWS_SECRET_ACCESS_KEY"] = "local"
        return values

    def start(self) -> Self:
        """Start the server and wait until it answers; a no-op when running.

        Returns:
            self, to chain or use in `with`.

        Raises:
            LocalServerError: a requirement is missing, the port is taken, or the server
                died or did not answer within `startup_timeout`.
        """
        if self.running:
            return self
        if self._requested_port is not None:
            _check_port_free(self._requested_port)
        if self.engine == "moto":
            self._start_moto()
        else:
            self._start_dynamodb_local()
        _RUNNING.add(self)
        return self

    def stop(self) -> None:
        """Stop the server and release everything it held; safe to call again."""
        _RUNNING.discard(self)
        moto, self._moto = self._moto, None
        process, self._process = self._process, None
        if moto is not None:
            moto.stop()
        if process is not None:
            _terminate(process)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None
        self._port = None

    def _start_moto(self) -> None:
        server_class = _moto_server_class()
        if not any(server.engine == "moto" for server in _RUNNING):
            _reset_moto_dynamodb()
        server = server_class(ip_address=HOST, port=self._requested_port or 0, verbose=False)
        server.start()
        self._moto = server
        self._port = server.get_host_and_port()[1]

    def _start_dynamodb_local(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise LocalServerError(_JAVA_MISSING)
        emulator = ensure_dynamodb_local()
        port = self._requested_port or free_port()
        command = [
            java,
            *JVM_FLAGS,
            "-Djava.library.path=DynamoDBLocal_lib",
            "-jar",
            JAR,
            *self._storage_args(),
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(port),
        ]
        try:
            log = self._open_log()
            self._process = subprocess.Popen(
                command,
                cwd=emulator,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            self._port = port
            self._wait_until_up(self._process, port)
        except BaseException:
            self.stop()
            raise

    def _open_log(self) -> BinaryIO:
        """Open a temporary file for the server's output (a file, not a pipe: never fills)."""
        fd, path = tempfile.mkstemp(prefix="dynamodb-local-", suffix=".log")
        os.close(fd)
        self._log_path = Path(path)
        self._log = open(path, "ab")  # noqa: SIM115 - closed by stop()
        return self._log

    def _storage_args(self) -> list[str]:
        if self._data_dir is None:
            return ["-inMemory"]
        self._data_dir.mkdir(parents=True, exist_ok=True)
        return ["-dbPath", str(self._data_dir)]

    def _wait_until_up(self, process: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while process.poll() is None:
            if _answers(port) and process.poll() is None:
                return
            if time.monotonic() > deadline:
                raise LocalServerError(
                    f"DynamoDB Local did not answer on http://{HOST}:{port} within "
                    f"{self.startup_timeout:g} s. Its output:\n{self._output_tail()}"
                )
            time.sleep(0.1)
        raise LocalServerError(
            f"DynamoDB Local exited with code {process.returncode} before answering on "
            f"port {port}. Its output:\n{self._output_tail()}"
        )

    def _output_tail(self) -> str:
        if self._log_path is None:
            return "(no output)"
        return _tail(self._log_path.read_bytes().decode("utf-8", "replace"))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


_RUNNING: set[LocalDynamoDB] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


def endpoint_configured() -> bool:
    """Whether the environment already names a DynamoDB endpoint to use."""
    return bool(os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("DYNAMODB_ENDPOINT"))


@contextlib.contextmanager
def embedded_dynamodb(engine: Engine | Literal["auto"] = "auto") -> Iterator[LocalDynamoDB | None]:
    """Use the configured endpoint, or start a local DynamoDB for the duration.

    When no endpoint is configured (`AWS_ENDPOINT_URL_DYNAMODB` / `DYNAMODB_ENDPOINT`),
    a local server is started and its `env()` is set in `os.environ` until the block
    ends, so code inside (and `Session()`) talks to it. Otherwise nothing is started
    and the block gets None: the same code then runs against AWS or the named server.
    """
    if endpoint_configured():
        yield None
        return
    with LocalDynamoDB(engine) as server:
        saved = {name: os.environ.get(name) for name in server.env()}
        os.environ.update(server.env())
        try:
            yield server
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
