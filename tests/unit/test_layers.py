"""The import graph of `dynamap/` has no cycles and follows the declared layers.

Every import is read with `ast`: at module level and inside functions alike, since an
import hidden in a function is still a cycle at run time. A module may import modules
of its own layer or of a layer below; the graph as a whole must be acyclic.

Imports under `if TYPE_CHECKING:` are for annotations only and never run; they may
name a module of a higher layer (the one left: `dynamap._declarations` annotating
with the compiled forms `dynamap._compiler` gives it). They are listed
in `TYPE_ONLY_UPWARD` so that a new one is a decision, not an accident.

docs/architecture.md describes the layers; a new module is placed in one here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dynamap"

#: The layers, lowest first. A name ending in "." stands for a whole subpackage.
LAYERS: dict[str, frozenset[str]] = {
    "foundation": frozenset({
        "errors", "_retry", "_defaults", "_storage", "_prefixes", "_clock", "_compat",
        "_datetimes", "_sigv4", "_nested", "_identity", "_display",
    }),
    "codec": frozenset({
        "_scalars", "_generic", "_containers", "_converters", "_annotations", "_codec",
        "_keys",
    }),
    "declarations": frozenset({"_declarations", "_compiler", "_schema", "_drift"}),
    "expressions": frozenset({
        "expressions", "_changes", "_partial", "_sortkey", "_cursor", "_operations",
    }),
    "transport": frozenset({"_transport", "_witness", "_context"}),
    "operations": frozenset({
        "_unique", "readtarget", "_query", "_batch_read", "_coalesce", "batch", "_batch_get",
        "_transaction", "_unique_writes", "_outcome", "_once", "partiql", "streams", "_tables",
    }),
    "session": frozenset({"_session"}),
    "surface": frozenset({
        "", "__main__", "_model", "testing", "mock", "local", "collector",
        "aws_lambda", "cli.", "web.", "migrate.",
    }),
}

#: Type-only imports that name a higher layer: (importer, imported).
TYPE_ONLY_UPWARD = frozenset({
    ("_declarations", "_compiler"),
})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def layer_of(module: str) -> int:
    for rank, members in enumerate(LAYERS.values()):
        if module in members or any(
            member.endswith(".") and (module + ".").startswith(member) for member in members
        ):
            return rank
    raise AssertionError(f"dynamap.{module} is in no layer: add it to LAYERS")


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import in the tree, and whether it is under `if TYPE_CHECKING:`."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, typing_only = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, typing_only
            elif _type_checking(child):
                assert isinstance(child, ast.If)
                stack.extend((part, True) for part in child.body)
                stack.extend((part, typing_only) for part in child.orelse)
            else:
                stack.append((child, typing_only))


def _nearest(name: str) -> str | None:
    if name != "dynamap" and not name.startswith("dynamap."):
        return None
    name = name.removeprefix("dynamap").removeprefix(".")
    while name not in MODULES and name:
        name = name.rpartition(".")[0]
    return name


def targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The dynamap modules an import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            here = ["dynamap", *module.split(".")] if module else ["dynamap"]
            if MODULES[module].name != "__init__.py":
                here.pop()
            base = ".".join([*here[:len(here) - node.level + 1], node.module or ""])
        else:
            base = node.module or ""
        base = base.rstrip(".")
        # `from package import module` loads the module; `from module import name`,
        # the module (a parent package is loaded first by any import, so never counts)
        names = [f"{base}.{alias.name}" for alias in node.names]
        names = [name if _nearest(name) == name.removeprefix("dynamap.") else base
                 for name in names]
    found = {_nearest(name) for name in names}
    return {name for name in found if name is not None and name != module}


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The runtime import graph, and the type-only one."""
    runtime: dict[str, set[str]] = {module: set() for module in MODULES}
    typing: dict[str, set[str]] = {module: set() for module in MODULES}
    for module, path in MODULES.items():
        for node, typing_only in imports(ast.parse(path.read_text())):
            (typing if typing_only else runtime)[module] |= targets(module, node)
    return runtime, typing


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, if it has any."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_no_import_cycle() -> None:
    runtime, _ = graph()
    found = cycle(runtime)
    assert found is None, "import cycle: " + " -> ".join(f"dynamap.{m}" for m in found)


def test_no_import_goes_up_a_layer() -> None:
    runtime, _ = graph()
    upward = sorted(
        f"dynamap.{module} -> dynamap.{target}"
        for module, deps in runtime.items() for target in deps
        if layer_of(target) > layer_of(module)
    )
    assert upward == []


def test_type_only_imports_go_up_only_where_declared() -> None:
    _, typing = graph()
    upward = {
        (module, target) for module, deps in typing.items() for target in deps
        if layer_of(target) > layer_of(module)
    }
    assert upward <= TYPE_ONLY_UPWARD, sorted(upward - TYPE_ONLY_UPWARD)


def test_the_check_sees_a_cycle_and_a_function_level_import() -> None:
    tree = ast.parse("def f():\n    from dynamap._session import Session\n")
    ((node, typing_only),) = list(imports(tree))
    assert not typing_only and targets("_query", node) == {"_session"}
    assert cycle({"a": {"b"}, "b": {"a"}}) in (["a", "b", "a"], ["b", "a", "b"])
    assert cycle({"a": {"b"}, "b": set()}) is None
