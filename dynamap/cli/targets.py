"""What the commands act on: the dynamap models found in modules, packages and files.

A TARGET is a dotted module or package path (`myapp.models`, `myapp`: a package is
imported with all its submodules) or a path to a `.py` file or a package directory.
A MODEL is `module:Class` (or `path/to/file.py:Class`). Every class with
`__dynamap__` that a module defines or imports is collected, once; the tables are
those of the models found.

The current directory is put on `sys.path` first, as `python -m` would, so a project's
own modules import when the command is run from its root.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from dynamap._declarations import Table
from dynamap._tables import collect_tables
from dynamap.cli.errors import CommandError

__all__ = ["Targets", "load_model", "load_targets", "model_spec"]


@dataclass(frozen=True, slots=True)
class Targets:
    """The models found in the targets, and their tables, in order of first mention."""

    models: tuple[type[Any], ...]
    tables: tuple[Table, ...]


def load_targets(specs: Sequence[str]) -> Targets:
    """Import every target and collect its models and their tables.

    Raises:
        CommandError: a target cannot be imported, or no target holds any model.
    """
    models: dict[type[Any], None] = {}
    for spec in specs:
        found = [m for module in _import_target(spec) for m in _models_in(module)]
        if not found:
            raise CommandError(
                f"no dynamap models found in {spec!r}: a model is a subclass of "
                "dynamap.Model declared with table=...; give the module that defines them"
            )
        models.update(dict.fromkeys(found))
    ordered = tuple(models)
    return Targets(ordered, tuple(collect_tables(ordered)))


def load_model(spec: str) -> type[Any]:
    """The model class named by `module:Class` (or `file.py:Class`).

    Raises:
        CommandError: the spec is malformed, the module does not import, or the name
            is not a dynamap model.
    """
    module_part, _, name = spec.rpartition(":")
    if not module_part or not name.isidentifier():
        raise CommandError(
            f"{spec!r} does not name a model: write it as module:Class, e.g. myapp.models:Page"
        )
    module = _import_one(module_part)
    found = getattr(module, name, None)
    if found is None:
        raise CommandError(f"{module.__name__} has no attribute {name!r}; check the class name")
    if not _is_model(found):
        raise CommandError(
            f"{spec} is not a dynamap model (a subclass of dynamap.Model declared with table=...)"
        )
    model: type[Any] = found
    return model


def model_spec(model: type[Any]) -> str:
    """The `module:Class` spec that names a model class."""
    return f"{model.__module__}:{model.__qualname__}"


def _is_model(value: object) -> bool:
    compiled = getattr(value, "__dynamap__", None) if isinstance(value, type) else None
    return compiled is not None and compiled.model is value


def _models_in(module: ModuleType) -> list[type[Any]]:
    return [value for value in list(vars(module).values()) if _is_model(value)]


def _import_target(spec: str) -> list[ModuleType]:
    module = _import_one(spec)
    return [module, *_submodules(module)]


def _submodules(package: ModuleType) -> Iterable[ModuleType]:
    path = getattr(package, "__path__", None)
    if path is None:
        return []
    names = [
        info.name
        for info in pkgutil.walk_packages(path, prefix=f"{package.__name__}.", onerror=_walk_error)
    ]
    return [_import_module(name) for name in names if not name.endswith(".__main__")]


def _walk_error(name: str) -> None:
    error = sys.exc_info()[1]
    raise CommandError(f"importing {name} failed: {error}") from error


def _import_one(spec: str) -> ModuleType:
    if _looks_like_path(spec):
        return _import_path(Path(spec))
    if not all(part.isidentifier() for part in spec.split(".")):
        raise CommandError(
            f"{spec!r} is neither a module path (like myapp.models) nor an existing file"
        )
    return _import_module(spec)


def _looks_like_path(spec: str) -> bool:
    return spec.endswith(".py") or os.sep in spec or "/" in spec or Path(spec).is_dir()


def _import_path(path: Path) -> ModuleType:
    path = path.expanduser().resolve()
    if not path.exists():
        raise CommandError(f"{path} does not exist; give a .py file, a package or a module path")
    if path.is_dir() and not (path / "__init__.py").exists():
        raise CommandError(f"{path} is a directory without __init__.py; give a package or a file")
    if path.is_file() and path.suffix != ".py":
        raise CommandError(f"{path} is not a Python file (.py)")
    root, dotted = _package_root(path)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = _import_module(dotted)
    origin = Path(module.__file__ or "").resolve()
    if origin not in (path, path / "__init__.py"):
        raise CommandError(
            f"{path} imports as {dotted!r}, but that name is already taken by {origin}; "
            "give the module path instead"
        )
    return module


def _package_root(path: Path) -> tuple[Path, str]:
    """The sys.path entry a file or package imports from, and its dotted name."""
    if path.is_dir():
        parts, folder = [path.name], path.parent
    elif path.stem == "__init__":
        parts, folder = [path.parent.name], path.parent.parent
    else:
        parts, folder = [path.stem], path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def _import_module(name: str) -> ModuleType:
    _add_working_directory()
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and (name == error.name or name.startswith(f"{error.name}.")):
            hint = (
                "run the command from your project's root, or give a file path"
                if "." not in error.name
                else "check the module's name"
            )
            raise CommandError(
                f"cannot import {name!r}: no module named {error.name!r}; {hint}"
            ) from error
        raise CommandError(f"importing {name} failed: {error}") from error
    except CommandError:
        raise
    except Exception as error:
        raise CommandError(f"importing {name} failed: {type(error).__name__}: {error}") from error


def _add_working_directory() -> None:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
