"""The command as installed: `python -m dynamap`, --help, --version, --debug, and
the message when the `cli` extra is missing."""

from __future__ import annotations

import json
import subprocess
import sys

from cli_helpers import HERE, REPO, Cli, error_line
from seed_tables import SEED_000_CREATE_TABLE

from dynamap import __version__

#: Seed 000's table, as the dry run prints it (billing mode included).
SEED_000_TABLE = {**SEED_000_CREATE_TABLE, "BillingMode": "PAY_PER_REQUEST"}


def python_m_dynamap(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"}
    return subprocess.run([sys.executable, "-m", "dynamap", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_python_m_dynamap_help_lists_every_command() -> None:
    done = python_m_dynamap("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: dynamap")
    for command in ("create-tables", "plan", "describe", "drop-tables", "local", "import",
                    "export"):
        assert f"  {command} " in done.stdout


def test_seed_000_dry_run_prints_the_seed_table() -> None:
    done = python_m_dynamap("create-tables", "examples.page_manager.models", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == SEED_000_TABLE
    assert done.stderr == ""


def test_seed_000_dry_run_in_process(offline: Cli, monkeypatch: object) -> None:
    monkeypatch.chdir(REPO)  # type: ignore[attr-defined]
    result = offline("create-tables", "examples.page_manager.models", "--dry-run",
                     connect=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == SEED_000_TABLE


def test_version(offline: Cli) -> None:
    result = offline("--version", connect=False)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"dynamap, version {__version__}"


def test_errors_are_one_line_and_debug_shows_the_traceback(offline: Cli) -> None:
    quiet = offline("plan", "no_such_module_here", connect=False)
    assert quiet.exit_code == 2
    assert "no module named 'no_such_module_here'" in error_line(quiet)
    loud = offline("--debug", "plan", "no_such_module_here", connect=False)
    assert loud.exit_code == 2
    assert "Traceback (most recent call last)" in loud.stderr
    assert "ModuleNotFoundError" in loud.stderr
    assert loud.stderr.strip().splitlines()[-1] == error_line(quiet)


def test_usage_errors_are_clicks(offline: Cli) -> None:
    result = offline("create-tables", connect=False)
    assert result.exit_code == 2
    assert "Missing argument 'TARGET...'" in result.stderr


def test_missing_cli_extra_names_the_install_command() -> None:
    code = ("import sys; sys.modules['click'] = None; "
            "from dynamap.cli import main; main(['--help'])")
    done = subprocess.run([sys.executable, "-c", code], cwd=HERE, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        'dynamap: the command line needs click and rich: pip install "dynamap[cli]"')


def test_the_console_script_is_main() -> None:
    from importlib.metadata import entry_points

    from dynamap.cli import main

    (script,) = entry_points(group="console_scripts", name="dynamap")
    assert script.value == "dynamap.cli:main"
    assert script.load() is main
