"""The documentation site builds cleanly, and every code block in it is run.

The convention (also in `docs/index.md`'s "About these docs"):

- A ```python block is run by `test_the_python_blocks_of_a_page_run`: the blocks of a
  page run in order in one namespace, top-level `await` allowed, against a local
  DynamoDB (the plugin's `dynamap_server`) reached through the environment, with a
  table prefix of the page's own; the tables are dropped afterwards.
- A block that holds only `--8<-- "path"` lines is included from a file at build time.
  Python files under `docs/snippets/` are run by `test_a_snippet_runs` (those under
  `docs/snippets/testing/` make up the user project that `tests/plugin/` runs); files
  under `examples/` are run by `tests/examples/`.
- A ```python block with `title="path"` is an excerpt of that file (one of the files
  above): each of its code lines must be a line of the file (compared without
  indentation and trailing comments); `...` stands for lines left out.
- Other blocks are shell commands or data (`bash`, `text`, `json`, ...), shown, not run.
"""

from __future__ import annotations

import ast
import asyncio
import contextvars
import inspect
import logging
import os
import re
import runpy
import subprocess
import sys
import types
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dynamap import Session
from dynamap.local import LocalDynamoDB
from dynamap.testing import isolated_session

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"
#: Snippets that form the user project `tests/plugin/test_plugin_in_a_fresh_project.py` runs.
RUN_BY_THE_PLUGIN_TESTS = SNIPPETS / "testing"
#: Languages of blocks that are shown, not run: shell commands, data and output.
SHOWN_ONLY = frozenset({"bash", "console", "text", "json", "toml", "ini", "yaml", "hcl"})

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"\s*$')
_TITLE = re.compile(r'title="(?P<path>[^"]+)"')
_COMMENT = re.compile(r"\s+#\s.*$|^#.*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a docs page."""

    page: Path
    line: int
    language: str
    source: str
    title: str | None = None

    @property
    def includes(self) -> list[str] | None:
        """The files the block includes, or None if it is written inline."""
        lines = [line for line in self.source.splitlines() if line.strip()]
        found = [_INCLUDE.match(line) for line in lines]
        if lines and all(found):
            return [match["path"] for match in found if match]
        return None

    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if SNIPPETS not in p.parents)


def blocks(page: Path) -> Iterator[Block]:
    text = page.read_text(encoding="utf-8")
    for match in _FENCE.finditer(text):
        indent = len(match["indent"])
        source = "\n".join(line[indent:] for line in match["body"].splitlines())
        words = match["info"].split()
        language = words[0].lstrip(".").lower() if words else ""
        line = text.count("\n", 0, match.start()) + 1
        title = _TITLE.search(match["info"])
        yield Block(page, line, language, source, title["path"] if title else None)


def runnable(page: Path) -> list[Block]:
    return [b for b in blocks(page)
            if b.language == "python" and b.includes is None and b.title is None]


def _code_lines(text: str) -> list[str]:
    lines = (" ".join(_COMMENT.sub("", line).split()) for line in text.splitlines())
    return [line for line in lines if line and line != "..."]


def resolve_include(path: str) -> Path | None:
    for base in (SNIPPETS, ROOT):
        if (base / path).is_file():
            return base / path
    return None


def snippets() -> list[Path]:
    return sorted(p for p in SNIPPETS.rglob("*.py") if RUN_BY_THE_PLUGIN_TESTS not in p.parents)


RUNNABLE_PAGES = [page for page in pages() if runnable(page)]


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    errors = (tmp_path / "errors" / "index.html").read_text(encoding="utf-8")
    assert 'id="key_template"' in errors


def definition_error_codes() -> dict[str, str]:
    """Every `DefinitionError` code in dynamap's source, and where it is raised: the
    `code=` of `DefinitionError(...)` and the last argument of the compilers' `fail()`."""
    codes: dict[str, str] = {}
    for path in sorted((ROOT / "dynamap").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (code := _code_of(node)) is not None:
                codes.setdefault(code, f"{path.relative_to(ROOT)}:{node.lineno}")
    return codes


def _code_of(call: ast.Call) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name == "DefinitionError":
        for keyword in call.keywords:
            if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    if name == "fail" and len(call.args) >= 2:
        last = call.args[-1]
        if isinstance(last, ast.Constant) and isinstance(last.value, str):
            return last.value
    return None


def test_every_definition_error_code_has_an_entry_anchored_by_it() -> None:
    codes = definition_error_codes()
    assert len(codes) >= 20  # the scan finds the compilers' codes
    reference = (DOCS / "errors.md").read_text(encoding="utf-8")
    entries = re.findall(r"^### `([a-z_]+)` \{#([a-z_]+)\}$", reference, re.MULTILINE)
    assert all(title == anchor for title, anchor in entries)
    documented = {anchor for _, anchor in entries}
    missing = {code: where for code, where in codes.items() if code not in documented}
    assert not missing, f"document these codes in docs/errors.md: {missing}"
    assert documented <= set(codes), f"no such codes: {documented - set(codes)}"
    assert [anchor for _, anchor in entries] == sorted(documented)


def test_the_error_tree_is_the_one_in_the_errors_module() -> None:
    import dynamap.errors

    tree = re.search(r"```\n(.*?)```", dynamap.errors.__doc__ or "", re.DOTALL)
    assert tree is not None
    assert f"```text\n{tree[1]}```" in (DOCS / "errors.md").read_text(encoding="utf-8")


def test_every_code_block_is_run_or_included_from_a_file_that_is() -> None:
    problems = []
    for page in pages():
        for block in blocks(page):
            if block.includes is not None:
                problems += [f"{block.where()}: {p}" for p in map(_unrun_include, block.includes)
                             if p]
            elif block.title is not None and block.language == "python":
                problems += [f"{block.where()}: {p}" for p in _unfaithful_excerpt(block)]
            elif block.language not in {"python", *SHOWN_ONLY}:
                problems.append(f"{block.where()}: a block needs a language: python (run by "
                                f"the tests) or one of {', '.join(sorted(SHOWN_ONLY))}; "
                                f"got {block.language!r}")
    assert not problems, "\n".join(problems)


def _unrun_include(path: str) -> str | None:
    found = resolve_include(path)
    if found is None:
        return f"includes {path!r}, which is missing"
    if found.suffix != ".py" or found in snippets():
        return None
    if RUN_BY_THE_PLUGIN_TESTS in found.parents:
        return None
    if (ROOT / "examples") in found.parents:
        return None
    return f"includes {path!r}, which no test runs: put it under docs/snippets/ or examples/"


def _unfaithful_excerpt(block: Block) -> list[str]:
    assert block.title is not None
    problem = _unrun_include(block.title)
    if problem:
        return [problem.replace("includes", "is an excerpt of")]
    found = resolve_include(block.title)
    assert found is not None
    known = set(_code_lines(found.read_text(encoding="utf-8")))
    return [f"line {line!r} is not in {block.title}" for line in _code_lines(block.source)
            if line not in known]


@pytest.fixture
def logging_kept() -> Iterator[None]:
    """What a page does to logging (`basicConfig`, levels) is undone after it."""
    root, dynamap_logger = logging.getLogger(), logging.getLogger("dynamap")
    handlers, levels = list(root.handlers), (root.level, dynamap_logger.level)
    yield
    root.handlers[:] = handlers
    root.setLevel(levels[0])
    dynamap_logger.setLevel(levels[1])


@pytest.fixture
async def page_environment(
    dynamap_server: LocalDynamoDB, monkeypatch: pytest.MonkeyPatch, logging_kept: None
) -> AsyncIterator[Session]:
    """Environment variables that point `Session()` at the local server, with a table
    prefix of the page's own; its tables are dropped afterwards."""
    async with isolated_session(dynamap_server.endpoint_url) as cleanup:
        for name, value in dynamap_server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("DYNAMAP_TABLE_PREFIX", cleanup.table_prefix)
        monkeypatch.delenv("DYNAMAP_CURSOR_SECRET", raising=False)
        yield cleanup


@pytest.mark.parametrize("page", RUNNABLE_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
async def test_the_python_blocks_of_a_page_run(page: Path, page_environment: Session) -> None:
    # In a thread of its own, with no event loop running, as a script runs: a block may
    # call asyncio.run(main()). Top-level await (a notebook's way) runs on one loop
    # kept for the page's blocks.
    await asyncio.to_thread(contextvars.Context().run, _run_page, page)


def _run_page(page: Path) -> None:
    name = "docs_" + re.sub(r"\W", "_", str(page.relative_to(DOCS).with_suffix("")))
    module = types.ModuleType(name)
    sys.modules[name] = module
    loop = asyncio.new_event_loop()
    try:
        for block in runnable(page):
            source = "\n" * block.line + block.source  # tracebacks give the page's lines
            code = compile(source, str(page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            result = eval(code, module.__dict__)
            if inspect.iscoroutine(result):
                loop.run_until_complete(result)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        del sys.modules[name]


def _top_level_await(block: Block) -> bool:
    try:
        compile(block.source, str(block.page), "exec")
    except SyntaxError:
        return True
    return False


#: Pages whose blocks are notebook cells, where top-level await is how code is written.
NOTEBOOK_PAGES = frozenset({"notebooks.md"})


def test_python_blocks_run_as_scripts_do() -> None:
    """A block pasted into a script must run there: no top-level await or `async with`
    (use `asyncio.run(main())`), except on pages about notebooks."""
    offending = [block.where() for page in pages() for block in runnable(page)
                 if str(page.relative_to(DOCS)) not in NOTEBOOK_PAGES
                 and _top_level_await(block)]
    assert not offending, "top-level await in: " + ", ".join(offending)


@pytest.mark.parametrize("snippet", snippets(), ids=lambda p: str(p.relative_to(SNIPPETS)))
def test_a_snippet_runs(snippet: Path, dynamap_server: LocalDynamoDB,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each snippet is a program: run as `python snippet.py` would (it runs its own event
    loop), against the local server, with a table prefix of its own."""
    cleanup = isolated_session(dynamap_server.endpoint_url)
    for name, value in dynamap_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DYNAMAP_TABLE_PREFIX", cleanup.session.table_prefix)
    try:
        runpy.run_path(str(snippet), run_name="__main__")
    finally:
        asyncio.run(_drop_tables(cleanup))


async def _drop_tables(cleanup: isolated_session) -> None:
    async with cleanup:
        pass
