"""The annotation-free rules: encode by a value's runtime type, decode by the wire type.

They serve `Any` fields, union members nothing else matches, types stored as their
JSON form, and the values of condition and update expressions (`dynamap._codec`'s
`encode_value` and `decode_value` wrap them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic_core import to_jsonable_python

from dynamap._nested import codec_of
from dynamap._scalars import (
    AttributeValue,
    Converter,
    Encoder,
    NoneType,
    UnstorableError,
    bytes_from_text,
    bytes_text,
    date_text,
    datetime_text,
    decimal_text,
    describe,
    encode_bool,
    encode_null,
    encode_str,
    float_text,
    int_text,
    number_from_text,
    secret_bytes_text,
    secret_str_text,
    time_text,
    timedelta_text,
    uuid_text,
)

__all__ = ["ALL_TAGS", "ANY", "any_key", "decode_any", "encode_any"]

#: Every DynamoDB attribute type.
ALL_TAGS = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})


# ------------------------------------------------------------------ generic encoding


def encode_any(value: Any) -> AttributeValue:
    """Encode by runtime type alone (see `dynamap._codec.encode_value`)."""
    encode = _ANY_ENCODERS.get(value.__class__)
    if encode is not None:
        return encode(value)
    return _encode_any_slow(value)


def _encode_any_list(value: Any) -> AttributeValue:
    return {"L": [encode_any(x) for x in value]}


def any_key(key: Any) -> str:
    """A map key, which DynamoDB requires to be a string."""
    if isinstance(key, str):
        return key if key.__class__ is str else str.__str__(key)
    raise UnstorableError(f"map keys must be str, got {describe(key)}")


def _encode_any_map(value: Any) -> AttributeValue:
    return {"M": {any_key(k): encode_any(x) for k, x in value.items()}}


def _encode_any_set(value: Any) -> AttributeValue:
    elements = [encode_any(x) for x in value]
    tags = {next(iter(av)) for av in elements}
    if len(tags) == 1:
        (tag,) = tags
        if tag in ("S", "N", "B"):
            return {tag + "S": list({av[tag]: None for av in elements})}
    return {"L": elements}


def _encode_any_model(value: Any) -> AttributeValue:
    try:
        return {"M": codec_of(type(value))._encode_map(value)}
    except UnstorableError as exc:
        exc.path.insert(0, type(value).__name__)
        raise


def _encode_any_slow(value: Any) -> AttributeValue:
    if isinstance(value, BaseModel):
        return _encode_any_model(value)
    if isinstance(value, Enum):
        return encode_any(value.value)
    for kinds, encode in _ANY_BY_KIND:
        if isinstance(value, kinds):
            return encode(value)
    try:
        plain = to_jsonable_python(value)
    except Exception:
        raise UnstorableError(
            f"DynamoDB cannot store a value of type {type(value).__name__}"
        ) from None
    return encode_any(plain)


def _by_text(tag: str, to_wire: Callable[[Any], str]) -> Encoder:
    def encode(value: Any) -> AttributeValue:
        return {tag: to_wire(value)}

    return encode


_ANY_ENCODERS: dict[type, Encoder] = {
    str: encode_str,
    bool: encode_bool,
    int: _by_text("N", int_text),
    float: _by_text("N", float_text),
    Decimal: _by_text("N", decimal_text),
    NoneType: encode_null,
    bytes: _by_text("B", bytes_text),
    bytearray: _by_text("B", bytes_text),
    memoryview: _by_text("B", bytes_text),
    list: _encode_any_list,
    tuple: _encode_any_list,
    dict: _encode_any_map,
    set: _encode_any_set,
    frozenset: _encode_any_set,
    datetime: _by_text("S", datetime_text),
    date: _by_text("S", date_text),
    time: _by_text("S", time_text),
    timedelta: _by_text("N", timedelta_text),
    UUID: _by_text("S", uuid_text),
}

#: Subclasses of the types above, in an order where a subclass comes before its base.
_ANY_BY_KIND: tuple[tuple[type | tuple[type, ...], Encoder], ...] = (
    (bool, encode_bool),
    (int, _ANY_ENCODERS[int]),
    (float, _ANY_ENCODERS[float]),
    (str, encode_str),
    ((bytes, bytearray, memoryview), _ANY_ENCODERS[bytes]),
    (Decimal, _ANY_ENCODERS[Decimal]),
    (datetime, _ANY_ENCODERS[datetime]),
    (date, _ANY_ENCODERS[date]),
    (time, _ANY_ENCODERS[time]),
    (timedelta, _ANY_ENCODERS[timedelta]),
    (UUID, _ANY_ENCODERS[UUID]),
    (SecretStr, _by_text("S", secret_str_text)),
    (SecretBytes, _by_text("B", secret_bytes_text)),
    (Mapping, _encode_any_map),
    (AbstractSet, _encode_any_set),
    ((list, tuple, Sequence), _encode_any_list),
)


# ------------------------------------------------------------------ generic decoding


def decode_any(av: AttributeValue) -> Any:
    """Decode by wire type alone (see `dynamap._codec.decode_value`)."""
    for tag, raw in av.items():
        decode = _ANY_DECODERS.get(tag)
        if decode is None:
            raise ValueError(f"{tag!r} is not a DynamoDB attribute type")
        return decode(raw)
    raise ValueError("an attribute value must have exactly one type")


def _decode_null_raw(raw: Any) -> None:
    return None


_ANY_DECODERS: dict[str, Callable[[Any], Any]] = {
    "S": str,
    "N": number_from_text,
    "B": bytes_from_text,
    "BOOL": bool,
    "NULL": _decode_null_raw,
    "M": lambda raw: {k: decode_any(x) for k, x in raw.items()},
    "L": lambda raw: [decode_any(x) for x in raw],
    "SS": set,
    "NS": lambda raw: set(map(number_from_text, raw)),
    "BS": lambda raw: set(map(bytes_from_text, raw)),
}

#: The converter of `Any`: by runtime type in, by wire type out.
ANY = Converter(encode_any, decode_any, ALL_TAGS, (object,), None, may_be_set=True)
