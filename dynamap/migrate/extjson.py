"""MongoDB extended JSON (as `mongoexport` writes it, relaxed or canonical) to plain values.

`{"$oid": "..."}` -> str; `{"$date": "2024-03-15T12:00:00Z"}`, `{"$date": 1710504000000}`
or `{"$date": {"$numberLong": "..."}}` -> an aware UTC datetime; `$numberInt` /
`$numberLong` -> int; `$numberDouble` -> float; `$numberDecimal` -> Decimal;
`{"$binary": {"base64": ..., "subType": ...}}` and the legacy
`{"$binary": ..., "$type": ...}` -> bytes; `{"$uuid": "..."}` -> str.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["ExtendedJsonError", "decode_extended_json"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ExtendedJsonError(ValueError):
    """A wrapper holds a value it cannot (`{"$date": "yesterday"}`)."""


def decode_extended_json(value: Any) -> Any:
    """`value` with every extended-JSON wrapper replaced by its plain value.

    Raises:
        ExtendedJsonError: a wrapper's value is malformed.
    """
    if isinstance(value, dict):
        wrapped = _wrapper(value)
        if wrapped is not None:
            key, convert = wrapped
            try:
                return convert(value)
            except (
                ValueError,
                TypeError,
                InvalidOperation,
                OverflowError,
                binascii.Error,
            ) as error:
                raise ExtendedJsonError(f"bad {key} value {value[key]!r}: {error}") from None
        return {name: decode_extended_json(item) for name, item in value.items()}
    if isinstance(value, list):
        return [decode_extended_json(item) for item in value]
    return value


def _wrapper(value: dict[str, Any]) -> tuple[str, Callable[[dict[str, Any]], Any]] | None:
    if len(value) == 2 and set(value) == {"$binary", "$type"}:
        return "$binary", _legacy_binary
    if len(value) != 1:
        return None
    key = next(iter(value))
    convert = _WRAPPERS.get(key)
    return None if convert is None else (key, convert)


def _date(value: dict[str, Any]) -> datetime:
    inner = value["$date"]
    if isinstance(inner, dict):
        inner = _integer({"$numberLong": inner.get("$numberLong")})
    if isinstance(inner, int) and not isinstance(inner, bool):
        return _EPOCH + timedelta(milliseconds=inner)
    if not isinstance(inner, str):
        raise TypeError("expected an ISO-8601 string or milliseconds")
    parsed = datetime.fromisoformat(inner)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _integer(value: dict[str, Any]) -> int:
    inner = next(iter(value.values()))
    if isinstance(inner, bool) or not isinstance(inner, str | int):
        raise TypeError("expected an integer as a string")
    return int(inner)


def _double(value: dict[str, Any]) -> float:
    inner = value["$numberDouble"]
    if isinstance(inner, bool) or not isinstance(inner, str | int | float):
        raise TypeError("expected a number as a string")
    return float(inner)


def _decimal(value: dict[str, Any]) -> Decimal:
    inner = value["$numberDecimal"]
    if not isinstance(inner, str | int):
        raise TypeError("expected a decimal number as a string")
    return Decimal(inner)


def _text(value: dict[str, Any]) -> str:
    inner = next(iter(value.values()))
    if not isinstance(inner, str):
        raise TypeError("expected a string")
    return inner


def _binary(value: dict[str, Any]) -> bytes:
    inner = value["$binary"]
    if not isinstance(inner, dict) or not isinstance(inner.get("base64"), str):
        raise TypeError('expected {"base64": ..., "subType": ...}')
    return base64.b64decode(inner["base64"], validate=True)


def _legacy_binary(value: dict[str, Any]) -> bytes:
    if not isinstance(value["$binary"], str):
        raise TypeError("expected base64 text")
    return base64.b64decode(value["$binary"], validate=True)


_WRAPPERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "$oid": _text,
    "$uuid": _text,
    "$date": _date,
    "$numberLong": _integer,
    "$numberInt": _integer,
    "$numberDouble": _double,
    "$numberDecimal": _decimal,
    "$binary": _binary,
}
