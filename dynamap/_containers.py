"""Container and union converters, combined from the converters of their parts.

`dynamap._converters` compiles an annotation such as ``list[str]`` or ``int | None`` by
compiling its parts first and then combining them here: lists and tuples become L,
sets of S/N/B scalars become SS/NS/BS (other sets L), string-keyed mappings M, enums
their value's form, and unions encode by the value's runtime type and decode by the
stored type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamap._generic import ANY, any_key, decode_any
from dynamap._scalars import (
    DECODE_ERRORS,
    NULL,
    STR,
    AttributeValue,
    Converter,
    Decoder,
    NoneType,
    Scalar,
    UnstorableError,
    describe,
    encode_str,
    expected,
    identity,
    number_from_text,
    scalar_converter,
    str_text,
)

__all__ = ["enum_of", "list_of", "map_of", "set_of", "tuple_of", "union_of"]

T = TypeVar("T")


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(
        value, str | bytes | bytearray | Mapping | BaseModel
    )


def list_of(item: Converter, *, make: type) -> Converter:
    """A sequence of `item` values, stored as L, read back as a `make` (list or tuple)."""
    encode_item, decode_item = item.encode, item.decode

    def encode(value: Any) -> AttributeValue:
        if value.__class__ is not list and not _is_sequence(value):
            raise expected("a sequence", value)
        return {"L": [encode_item(x) for x in value]}

    def encode_strings(value: Any) -> AttributeValue:
        if value.__class__ is not list and not _is_sequence(value):
            raise expected("a sequence", value)
        return {"L": [{"S": x} if x.__class__ is str else encode_str(x) for x in value]}

    def decode_list(av: AttributeValue) -> Any:
        return [decode_item(x) for x in av["L"]]

    def decode_tuple(av: AttributeValue) -> Any:
        return tuple([decode_item(x) for x in av["L"]])

    decode = decode_list if make is list else decode_tuple
    py_types = (make,) if make is tuple else (list, tuple)
    return Converter(encode_strings if item is STR else encode, decode, frozenset({"L"}), py_types)


def tuple_of(parts: Sequence[Converter]) -> Converter:
    """A fixed-length tuple of these parts, stored as L."""
    encoders = [part.encode for part in parts]
    decoders = [part.decode for part in parts]

    def encode(value: Any) -> AttributeValue:
        if not isinstance(value, Sequence) or isinstance(value, str | bytes):
            raise expected("a tuple", value)
        if len(value) != len(encoders):
            raise UnstorableError(f"expected a tuple of {len(encoders)}, got {len(value)} items")
        return {"L": [enc(x) for enc, x in zip(encoders, value, strict=True)]}

    def decode(av: AttributeValue) -> Any:
        return tuple([dec(x) for dec, x in zip(decoders, av["L"], strict=True)])

    return Converter(encode, decode, frozenset({"L"}), (tuple,))


def set_of(item: Converter, *, frozen: bool) -> Converter:
    """A set of `item` values: SS, NS or BS when the items are S, N or B scalars, else L.

    An empty set is written as an empty L (DynamoDB has no empty set), which reads
    back as an empty set.
    """
    make: type = frozenset if frozen else set
    encode_item, decode_item = item.encode, item.exact_decode or item.decode

    def decode_list(av: AttributeValue) -> Any:
        return make([decode_item(x) for x in av["L"]])

    scalar = item.scalar
    if scalar is None:

        def encode_list(value: Any) -> AttributeValue:
            _check_collection(value)
            return {"L": [encode_item(x) for x in value]}

        return Converter(encode_list, decode_list, frozenset({"L"}), (set, frozenset), None, True)
    set_tag, to_wire, from_wire = scalar.tag + "S", scalar.to_wire, scalar.from_wire

    def encode(value: Any) -> AttributeValue:
        _check_collection(value)
        if not value:
            return {"L": []}
        return {set_tag: list({to_wire(x): None for x in value})}

    def encode_strings(value: Any) -> AttributeValue:
        _check_collection(value)
        if not value:
            return {"L": []}
        # distinct set members are distinct strings: nothing to de-duplicate
        return {"SS": [x if x.__class__ is str else str_text(x) for x in value]}

    def decode(av: AttributeValue) -> Any:
        raw = av.get(set_tag)
        if raw is None:
            return decode_list(av)
        return make(raw) if from_wire is identity else make(map(from_wire, raw))

    encoder = encode_strings if item is STR else encode
    return Converter(encoder, decode, frozenset({set_tag, "L"}), (set, frozenset), None, True)


def _check_collection(value: Any) -> None:
    if value.__class__ is not set and value.__class__ is not frozenset and not _is_sequence(value):
        raise expected("a set", value)


def map_of(keys: Converter, values: Converter, key_type: Any) -> Converter:
    """A mapping stored as M; its keys (of `key_type`) must be stored as strings.

    Raises:
        TypeError: the keys are not stored as S.
    """
    key_text: Callable[[Any], str]
    key_from: Callable[[str], Any] | None
    if keys is ANY or keys is STR:
        key_text, key_from = any_key, None
    elif keys.scalar is not None and keys.scalar.tag == "S":
        key_text, key_from = keys.scalar.to_wire, keys.scalar.from_wire
    else:
        raise TypeError(
            f"a DynamoDB map needs str keys, and {key_type!r} is not stored as a string"
        )
    encode_value, decode_value = values.encode, values.decode

    def encode(value: Any) -> AttributeValue:
        if not isinstance(value, Mapping):
            raise expected("a mapping", value)
        return {
            "M": {
                (k if k.__class__ is str else key_text(k)): encode_value(x)
                for k, x in value.items()
            }
        }

    def decode(av: AttributeValue) -> Any:
        return {k: decode_value(x) for k, x in av["M"].items()}

    def decode_keys(av: AttributeValue) -> Any:
        assert key_from is not None
        return {key_from(k): decode_value(x) for k, x in av["M"].items()}

    return Converter(encode, decode if key_from is None else decode_keys, frozenset({"M"}), (dict,))


def enum_of(enum: type[Enum], inner: Converter) -> Converter:
    """An enum, stored as its members' values are (`inner`), read back as the member."""
    if inner.scalar is not None:
        inner_text, inner_from = inner.scalar.to_wire, inner.scalar.from_wire

        def to_wire(value: Any) -> str:
            return inner_text(_member(enum, value).value)

        def from_wire(text: str) -> Any:
            return enum(inner_from(text))

        return scalar_converter(Scalar(inner.scalar.tag, to_wire, from_wire), enum)
    inner_encode, inner_decode = inner.encode, inner.decode

    def encode(value: Any) -> AttributeValue:
        return inner_encode(_member(enum, value).value)

    def decode(av: AttributeValue) -> Any:
        return enum(inner_decode(av))

    return Converter(encode, decode, inner.tags, (enum,))


def _member(enum: type[Enum], value: Any) -> Enum:
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        raise UnstorableError(f"{value!r} is not a {enum.__name__}") from None


def union_of(members: Sequence[Converter], *, optional: bool) -> Converter:
    """A union of these members (None excluded); `optional` adds None, stored as NULL."""
    if not members:
        return NULL
    converter = members[0] if len(members) == 1 else _dispatch(members)
    return _optional(converter) if optional and converter is not ANY else converter


def _optional(inner: Converter) -> Converter:
    inner_encode, inner_decode = inner.encode, inner.decode

    def encode(value: Any) -> AttributeValue:
        if value is None:
            return {"NULL": True}
        return inner_encode(value)

    def decode(av: AttributeValue) -> Any:
        if "NULL" in av:
            return None
        return inner_decode(av)

    return Converter(
        encode, decode, inner.tags | {"NULL"}, (*inner.py_types, NoneType), None, inner.may_be_set
    )


def _dispatch(members: Sequence[Converter]) -> Converter:
    """A union: encode by the value's runtime type, decode by the wire type, in order."""
    encode = _dispatch_encoder([(m.py_types, m.encode) for m in members])
    table: dict[str, list[Decoder]] = {}
    for member in members:
        for tag in member.tags:
            table.setdefault(tag, []).append(member.exact_decode or member.decode)
    decode = _dispatch_decoder({tag: tuple(decoders) for tag, decoders in table.items()})
    scalars = [m.scalar for m in members]
    scalar = None
    if all(s is not None for s in scalars) and len({s.tag for s in scalars if s}) == 1:
        scalar = _union_scalar([s for s in scalars if s is not None], members)
    tags = frozenset().union(*(m.tags for m in members))
    py_types = tuple(dict.fromkeys(t for m in members for t in m.py_types))
    may_be_set = any(m.may_be_set for m in members)
    return Converter(encode, decode, tags, py_types, scalar, may_be_set)


def _dispatch_encoder(
    options: list[tuple[tuple[type, ...], Callable[[Any], T]]],
) -> Callable[[Any], T]:
    by_type: dict[type, list[Callable[[Any], T]]] = {}
    for kinds, encoder in options:
        for kind in kinds:
            by_type.setdefault(kind, []).append(encoder)

    def encode(value: Any) -> T:
        candidates = by_type.get(value.__class__)
        if candidates is None:
            candidates = [enc for kinds, enc in options if isinstance(value, kinds)]
        problem = None
        for candidate in candidates:
            try:
                return candidate(value)
            except UnstorableError as exc:
                problem = exc
        if problem is not None:
            raise problem
        raise UnstorableError(f"{describe(value)} matches no type of the union")

    return encode


def _dispatch_decoder(table: dict[str, tuple[Callable[[Any], Any], ...]]) -> Decoder:
    def decode(av: AttributeValue) -> Any:
        for tag in av:
            for candidate in table.get(tag, ()):
                try:
                    return candidate(av)
                except DECODE_ERRORS:
                    pass
            return decode_any(av)
        raise ValueError("an attribute value must have exactly one type")

    return decode


def _union_scalar(scalars: list[Scalar], members: Sequence[Converter]) -> Scalar:
    to_wire = _dispatch_encoder(
        [(m.py_types, s.to_wire) for m, s in zip(members, scalars, strict=True)]
    )
    readers = tuple(s.from_wire for s in scalars)

    def from_wire(text: str) -> Any:
        for reader in readers:
            try:
                return reader(text)
            except DECODE_ERRORS:
                pass
        return number_from_text(text) if scalars[0].tag == "N" else text

    return Scalar(scalars[0].tag, to_wire, from_wire)
