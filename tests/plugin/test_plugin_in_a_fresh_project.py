"""dynamap's pytest plugin as a new project meets it: run in-process with `pytester`,
with no conftest and pytest-asyncio in its default strict mode.

The project is the one `docs/testing.md` shows, from `docs/snippets/testing/`; it runs
on moto, which starts in milliseconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2] / "docs" / "snippets" / "testing"
#: What the documented ini file says, less the engine.
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
ENGINE_CHECK = '''
def test_the_engine_is_moto(dynamap_server):
    assert dynamap_server.engine == "moto"
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for module in ("models", "test_notes", "test_engine"):  # our own suite's `models` too
        monkeypatch.delitem(sys.modules, module, raising=False)
    for name in ("models.py", "test_notes.py"):
        pytester.makefile(".py", **{name[:-3]: (PROJECT / name).read_text()})
    pytester.makepyfile(test_engine=ENGINE_CHECK)
    return pytester


def test_the_documented_project_passes(project: pytest.Pytester) -> None:
    project.makefile(".ini", pytest=(PROJECT / "pytest.ini").read_text())
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_engine_can_be_chosen_on_the_command_line(project: pytest.Pytester) -> None:
    project.makeini(INI)
    result = project.runpytest_inprocess("--dynamap-engine=moto", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_an_unknown_engine_in_the_ini_file_stops_the_run(project: pytest.Pytester) -> None:
    project.makeini(INI + "dynamap_engine = dynamo\n")
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*dynamap_engine = 'dynamo'; choose one of auto, *"])


def test_the_option_is_listed_in_help(project: pytest.Pytester) -> None:
    project.makeini(INI)
    result = project.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(["*--dynamap-engine=*", "*dynamap_engine*"])


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_port_can_be_chosen(project: pytest.Pytester) -> None:
    port = _free_port()
    project.makeini(INI + "dynamap_engine = moto\n")
    project.makepyfile(test_port=f'''
def test_the_port(dynamap_server):
    assert dynamap_server.port == {port}
    assert dynamap_server.endpoint_url == "http://127.0.0.1:{port}"
''')
    result = project.runpytest_inprocess(f"--dynamap-port={port}", "-p", "no:cacheprovider",
                                         "test_port.py")
    result.assert_outcomes(passed=1)


def test_a_port_in_the_ini_file_that_is_no_number_stops_the_run(
    project: pytest.Pytester,
) -> None:
    project.makeini(INI + "dynamap_port = high\n")
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*dynamap_port = 'high'; give a port number*"])
