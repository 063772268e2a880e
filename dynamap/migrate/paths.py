"""Dotted paths into nested records: read one, write one, list a record's leaves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["MISSING", "get_path", "leaf_paths", "set_path"]


class _Missing:
    """The value at a path that is not there (distinct from None, a NULL)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def get_path(data: Any, path: str) -> Any:
    """The value at `path` ("apiUsage.requests") in `data`, or MISSING."""
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return MISSING
        data = data[part]
    return data


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Put `value` at `path` in `data`, making the dicts on the way."""
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def leaf_paths(data: Any, prefix: str = "") -> Iterator[str]:
    """Every path to a value that is not a non-empty object; list items share their
    list's path with `[]` ("questions[].text")."""
    if isinstance(data, dict) and data:
        for name, value in data.items():
            yield from leaf_paths(value, f"{prefix}.{name}" if prefix else str(name))
    elif isinstance(data, list) and any(isinstance(item, dict) for item in data):
        seen: set[str] = set()
        for item in data:
            for path in leaf_paths(item, f"{prefix}[]"):
                if path not in seen:
                    seen.add(path)
                    yield path
    elif prefix:
        yield prefix


def covers(path: str, covered: str) -> bool:
    """Whether a mapped (or ignored) source path carries `path`."""
    plain = path.replace("[]", "")
    return plain == covered or plain.startswith(covered + ".")
