"""dynamap.local without network or real servers: ports, cache, engines, errors, env()."""

from __future__ import annotations

import io
import os
import shutil
import socket
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dynamap import local
from dynamap.errors import DynamapError
from dynamap.local import (
    SIMULATOR_VERSION,
    LocalDynamoDB,
    LocalServerError,
    default_cache_dir,
    ensure_dynamodb_local,
    free_port,
)

posix_only = pytest.mark.skipif(os.name == "nt", reason="fake executables are sh scripts")


def fake_which(**found: str | None) -> Callable[..., str | None]:
    """A shutil.which that knows only the given programs (None: not on PATH)."""

    def which(name: str, *args: object, **kwargs: object) -> str | None:
        return found.get(name)

    return which


def write_script(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


def fake_installed(cache: Path) -> Path:
    """Put a fake DynamoDB Local where ensure_dynamodb_local looks for it."""
    emulator = cache / "dynamodb-local" / SIMULATOR_VERSION
    (emulator / "DynamoDBLocal_lib").mkdir(parents=True)
    (emulator / "DynamoDBLocal.jar").write_bytes(b"not really a jar")
    return emulator


def make_package_tarball(path: Path) -> Path:
    """A tarball shaped like amplify-dynamodb-simulator's."""
    files = {
        "package/package.json": b"{}",
        "package/index.js": b"",
        "package/emulator/DynamoDBLocal.jar": b"jar",
        "package/emulator/DynamoDBLocal_lib/libsqlite4java-linux-amd64.so": b"so",
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("DYNAMAP_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `npm` first on PATH that 'packs' a local tarball and logs each call."""
    tarball = make_package_tarball(tmp_path / f"amplify-dynamodb-simulator-{SIMULATOR_VERSION}.tgz")
    calls = tmp_path / "npm-calls"
    write_script(
        tmp_path / "bin", "npm",
        f'echo "$@" >> "{calls}"\nsleep 0.2\ncp "{tarball}" .',
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return calls


# -- free_port ----------------------------------------------------------------------


def test_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


# -- cache directory ----------------------------------------------------------------


def test_cache_dir_prefers_dynamap_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMAP_CACHE_DIR", "/srv/dyn-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", "/srv/xdg")
    assert default_cache_dir() == Path("/srv/dyn-cache")


def test_cache_dir_uses_xdg_cache_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DYNAMAP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/srv/xdg")
    assert default_cache_dir() == Path("/srv/xdg/dynamap")


@pytest.mark.parametrize("xdg", ["", "relative/cache"])
def test_cache_dir_falls_back_to_home(
    xdg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DYNAMAP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "dynamap"


# -- engine resolution --------------------------------------------------------------


@pytest.mark.usefixtures("cache")
@pytest.mark.parametrize(
    ("java", "npm", "expected"),
    [
        ("/usr/bin/java", "/usr/bin/npm", "dynamodb-local"),
        (None, "/usr/bin/npm", "moto"),
        ("/usr/bin/java", None, "moto"),  # nothing cached and nothing to fetch it with
        (None, None, "moto"),
    ],
)
def test_auto_engine_follows_path(
    java: str | None, npm: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", fake_which(java=java, npm=npm))
    assert LocalDynamoDB().engine == expected


def test_auto_engine_uses_the_cache_without_npm(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_installed(cache)
    monkeypatch.setattr(shutil, "which", fake_which(java="/usr/bin/java", npm=None))
    assert LocalDynamoDB("auto").engine == "dynamodb-local"


def test_explicit_engine_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", fake_which())
    assert LocalDynamoDB("dynamodb-local").engine == "dynamodb-local"
    assert LocalDynamoDB("moto").engine == "moto"


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(LocalServerError, match="unknown engine 'dynalite'"):
        LocalDynamoDB("dynalite")  # type: ignore[arg-type]


def test_data_dir_needs_dynamodb_local(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="data_dir needs the dynamodb-local engine"):
        LocalDynamoDB("moto", data_dir=tmp_path)


# -- missing requirements -----------------------------------------------------------


def test_missing_java_says_to_install_java_17(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", fake_which(npm="/usr/bin/npm"))
    server = LocalDynamoDB("dynamodb-local")
    with pytest.raises(LocalServerError) as caught:
        server.start()
    message = str(caught.value)
    assert "Java 17" in message
    assert "apt-get install default-jre-headless" in message
    assert "moto" in message
    assert isinstance(caught.value, DynamapError)
    assert isinstance(caught.value, RuntimeError)
    assert not server.running


def test_missing_npm_says_to_install_node_or_use_moto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", fake_which(java="/usr/bin/java"))
    with pytest.raises(LocalServerError) as caught:
        ensure_dynamodb_local(tmp_path)
    message = str(caught.value)
    assert "npm" in message
    assert "Node.js" in message
    assert "LocalDynamoDB('moto')" in message


def test_missing_moto_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)
    with pytest.raises(LocalServerError, match=r'pip install "moto\[server\]"'):
        LocalDynamoDB("moto").start()


def test_taken_port_is_reported_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)  # would fail if it got that far
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LocalServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            LocalDynamoDB("moto", port=port).start()


# -- installing DynamoDB Local (with a fake npm) -----------------------------------


@posix_only
def test_install_unpacks_only_the_emulator_and_is_reused(
    tmp_path: Path, fake_npm: Path
) -> None:
    cache = tmp_path / "cache"
    emulator = ensure_dynamodb_local(cache)
    assert emulator == cache / "dynamodb-local" / SIMULATOR_VERSION
    assert (emulator / "DynamoDBLocal.jar").read_bytes() == b"jar"
    assert (emulator / "DynamoDBLocal_lib" / "libsqlite4java-linux-amd64.so").is_file()
    assert not (emulator / "index.js").exists()
    assert fake_npm.read_text().split() == [
        "pack", f"amplify-dynamodb-simulator@{SIMULATOR_VERSION}", "--ignore-scripts"
    ]
    assert not list(emulator.parent.glob(".download-*"))  # the staging area is gone

    assert ensure_dynamodb_local(cache) == emulator
    assert len(fake_npm.read_text().splitlines()) == 1  # no second npm call


@posix_only
def test_racing_installs_fetch_once(tmp_path: Path, fake_npm: Path) -> None:
    cache = tmp_path / "cache"
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_dynamodb_local(cache)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [cache / "dynamodb-local" / SIMULATOR_VERSION] * 4
    assert len(fake_npm.read_text().splitlines()) == 1


@posix_only
def test_npm_failure_shows_its_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_script(tmp_path / "bin", "npm", 'echo "npm error 404 Not Found" >&2\nexit 1')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(LocalServerError, match=r"(?s)failed \(exit code 1\).*404 Not Found"):
        ensure_dynamodb_local(tmp_path / "cache")
    assert not (tmp_path / "cache" / "dynamodb-local" / SIMULATOR_VERSION).exists()


# -- launching DynamoDB Local (with a fake java) -----------------------------------


@posix_only
def test_a_server_that_dies_reports_its_output(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_installed(cache)
    write_script(tmp_path / "bin", "java", 'echo "java.net.BindException: boom" >&2\nexit 3')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    server = LocalDynamoDB("dynamodb-local")
    with pytest.raises(LocalServerError, match=r"(?s)exited with code 3.*BindException: boom"):
        server.start()
    assert not server.running
    assert server not in local._RUNNING  # other tests' servers may still be running


@posix_only
def test_a_server_that_never_answers_times_out_and_is_killed(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_installed(cache)
    write_script(tmp_path / "bin", "java", 'echo "still starting"\nexec sleep 30')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    server = LocalDynamoDB("dynamodb-local", startup_timeout=0.5)
    began = time.monotonic()
    with pytest.raises(LocalServerError, match=r"(?s)within 0.5 s.*still starting"):
        server.start()
    assert time.monotonic() - began < 10
    assert not server.running


# -- endpoint and env() ------------------------------------------------------------


def test_endpoint_and_env_need_a_running_server() -> None:
    server = LocalDynamoDB("moto")
    with pytest.raises(LocalServerError, match="not running"):
        _ = server.endpoint_url
    with pytest.raises(LocalServerError, match="not running"):
        server.env()
    server.stop()  # stopping a server never started is fine
    server.stop()


def running_at(port: int) -> LocalDynamoDB:
    server = LocalDynamoDB("moto")
    server._port = port  # as if started, without starting anything
    return server


def test_env_fills_in_region_and_fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert running_at(8123).env() == {
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8123",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }


def test_env_keeps_what_is_already_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert running_at(8123).env() == {"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8123"}


def test_env_copies_the_one_region_that_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    env = running_at(8123).env()
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "ap-south-1"
