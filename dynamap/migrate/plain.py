"""Stored items read plainly, and compared with what the source says they should hold.

Verification must not trust the code that wrote the table, so stored attributes are
decoded here from DynamoDB JSON by hand (S -> str, N -> Decimal, M -> dict, ...),
never through a model, and compared by value with the mapped source value:

- numbers by decimal value (`"42"` from a CSV cell equals `N 42`);
- datetimes as instants: a naive source time is UTC (`2024-03-15 12:00:00` equals a
  stored `2024-03-15T12:00:00+00:00` or `...Z`), and a time stored as epoch seconds
  (`N`) equals its instant;
- booleans with `BOOL`, or with `N 0/1` (a boolean key attribute), or with the texts
  `t`/`f`, `true`/`false`, `1`/`0`;
- objects key by key: every key the source has must match; keys the source lacks
  (filled in by defaults) are not a difference;
- lists item by item, and against a stored set as a set.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dynamap.migrate.paths import MISSING

__all__ = ["decode_attribute", "decode_item", "differences"]

_TRUE = {"t", "true", "1", "yes", "y", "on"}
_FALSE = {"f", "false", "0", "no", "n", "off"}


def decode_item(item: dict[str, Any]) -> dict[str, Any]:
    """A stored item (DynamoDB JSON) as plain values."""
    return {name: decode_attribute(value) for name, value in item.items()}


def decode_attribute(value: dict[str, Any]) -> Any:
    """One DynamoDB JSON attribute value as a plain value."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        return Decimal(inner)
    if kind == "B":
        return base64.b64decode(inner) if isinstance(inner, str) else bytes(inner)
    if kind == "BOOL":
        return bool(inner)
    if kind == "NULL":
        return None
    if kind == "M":
        return decode_item(inner)
    if kind == "L":
        return [decode_attribute(item) for item in inner]
    if kind == "SS":
        return set(inner)
    if kind == "NS":
        return {Decimal(item) for item in inner}
    if kind == "BS":
        return {base64.b64decode(item) for item in inner}
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def differences(expected: Any, stored: Any, path: str) -> Iterator[str]:
    """One line per place where `stored` does not hold `expected`."""
    if isinstance(expected, dict):
        yield from _object_differences(expected, stored, path)
    elif isinstance(expected, list | tuple) and not isinstance(stored, set):
        yield from _list_differences(list(expected), stored, path)
    elif not same_value(expected, stored):
        yield f"{path}: source {_show(expected)}, stored {_show(stored)}"


def _object_differences(expected: dict[str, Any], stored: Any, path: str) -> Iterator[str]:
    if not isinstance(stored, dict):
        yield f"{path}: source an object, stored {_show(stored)}"
        return
    for name, value in expected.items():
        if value is None or value is MISSING:
            continue  # a NULL is left out, as the field's default
        yield from differences(value, stored.get(name, MISSING), f"{path}.{name}")


def _list_differences(expected: list[Any], stored: Any, path: str) -> Iterator[str]:
    if not isinstance(stored, list) or len(stored) != len(expected):
        yield f"{path}: source {_show(expected)}, stored {_show(stored)}"
        return
    for position, (want, got) in enumerate(zip(expected, stored, strict=True)):
        yield from differences(want, got, f"{path}[{position}]")


def same_value(expected: Any, stored: Any) -> bool:
    """Whether one scalar (or set) of the source equals the stored one (see module)."""
    if stored is MISSING:
        return False
    if isinstance(stored, set):
        return isinstance(expected, list | tuple | set) and {
            _scalar(item) for item in expected
        } == {_scalar(item) for item in stored}
    if isinstance(expected, bool) or isinstance(stored, bool):
        return _boolean(expected) is not None and _boolean(expected) == _boolean(stored)
    if isinstance(expected, datetime) or isinstance(stored, datetime):
        return _instant(expected) is not None and _instant(expected) == _instant(stored)
    if expected == stored:
        return True
    if isinstance(stored, Decimal):
        number = _number(expected)
        if number is not None and number == stored:
            return True
        return _instant(expected) is not None and _instant(expected) == _instant(stored)
    if isinstance(expected, bytes | bytearray):
        return bool(bytes(expected) == stored)
    return _instant(expected) is not None and _instant(expected) == _instant(stored)


def _scalar(value: Any) -> Any:
    number = _number(value)
    return number if number is not None else value


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else None
    return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _show(value: Any) -> str:
    if value is MISSING:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
