"""Typing that survives installation: the project is installed in editable mode into
a fresh virtual environment, as its README says, and mypy and pyright check a small
app (`app.py`) against that environment. If either cannot find dynamap, every result
is `Any` and the revealed types below do not match.

The environment takes its dependencies from the project's own (a `.pth` line to its
site-packages) and installs only dynamap itself, `--no-deps`, so nothing is
downloaded and the test takes seconds, not minutes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("app.py")
BIN = Path(sys.executable).parent

#: What each checker must reveal in app.py: the line, and the type as that checker says it.
MYPY_REVEALS = [
    'Revealed type is "app.Post | None"',
    'Revealed type is "dynamap._compiler.KeyAttribute"',
    'Revealed type is "dynamap._compiler.CompiledIndex"',
    'Revealed type is "list[app.Post | None]"',
    'Revealed type is "pydantic.main.BaseModel | dict[str, Any] | None"',
]
PYRIGHT_REVEALS = [
    'Type of "post" is "Post | None"',
    'Type of "Post.pk" is "KeyAttribute"',
    'Type of "Post.by_author" is "CompiledIndex"',
    'Type of "both" is "list[Post | None]"',
    'Type of "error.item" is "BaseModel | dict[str, Any] | None"',
]


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command; its output, whatever the exit code."""
    return subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new venv with dynamap installed in editable mode, by pip."""
    home = tmp_path_factory.mktemp("fresh")
    venv = home / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=home)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                    cwd=home).stdout.strip())
    (site / "_project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = run(python, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-e", ROOT, cwd=home)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = run(python, "-c", "import dynamap, sys; print(dynamap.__file__)", cwd=home)
    assert where.stdout.strip() == str(ROOT / "dynamap" / "__init__.py"), where.stderr
    return python


def test_mypy_sees_the_installed_package(fresh_python: Path, tmp_path: Path) -> None:
    shutil.copy(APP, tmp_path / "app.py")
    cache = ROOT / ".mypy_cache" / "installed"  # pydantic's types are checked once, not per run
    result = run(BIN / "mypy", "--strict", "--python-executable", fresh_python,
                 "--cache-dir", cache, "--no-error-summary", "app.py", cwd=tmp_path)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors == [], result.stdout
    for reveal in MYPY_REVEALS:
        assert reveal in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_sees_the_installed_package(fresh_python: Path, tmp_path: Path) -> None:
    shutil.copy(APP, tmp_path / "app.py")
    result = run(BIN / "pyright", "--pythonpath", fresh_python, "app.py", cwd=tmp_path)
    assert " error" not in result.stdout.replace("0 errors", ""), result.stdout
    for reveal in PYRIGHT_REVEALS:
        assert reveal in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
