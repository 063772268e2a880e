"""Compiling type annotations into converters.

`dynamap._codec` compiles a model by asking `converter_for` for one `Converter` per field
annotation. A converter is a pair of plain closures, built once, so that encoding and
decoding never look at the annotation again. Leaf types get the converters of
`dynamap._scalars`; containers, enums and unions are compiled part by part and combined
by `dynamap._containers`; `Any` and types without a rule of their own use the
annotation-free rules of `dynamap._generic`.
"""

from __future__ import annotations

import types
from collections import deque
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter

from dynamap._containers import enum_of, list_of, map_of, set_of, tuple_of, union_of
from dynamap._generic import ALL_TAGS, ANY, decode_any, encode_any
from dynamap._nested import codec_of
from dynamap._scalars import (
    BOOL,
    DATETIME,
    DECODE_ERRORS,
    EPOCH,
    LEAVES,
    NUMERIC_BOOL,
    AttributeValue,
    Converter,
    Decoder,
    NoneType,
    UnstorableError,
    describe,
    expected,
)
from dynamap._storage import AsEpochSeconds, AsNumber

__all__ = [
    "DECODE_ERRORS",
    "AttributeValue",
    "Converter",
    "Decoder",
    "UnstorableError",
    "converter_for",
    "decode_any",
    "encode_any",
    "leaf_types",
    "unwrap",
]

MARKERS = (AsNumber, AsEpochSeconds)


def converter_for(annotation: Any, markers: frozenset[type] = frozenset()) -> Converter:
    """Compile the converter for a type annotation.

    Args:
        annotation: the annotation, as pydantic resolved it.
        markers: storage markers (`AsNumber`, `AsEpochSeconds`) that apply at this level.

    Raises:
        TypeError: if the type has no DynamoDB storage rule.
    """
    tp, markers = unwrap(annotation, markers)
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _union(get_args(tp), markers)
    if origin is Literal:
        return _literal(get_args(tp))
    if tp is Any or tp is object:
        return ANY
    if isinstance(tp, TypeVar):
        return converter_for(tp.__bound__) if tp.__bound__ is not None else ANY
    if origin is not None:
        return _generic(tp, origin, get_args(tp))
    if isinstance(tp, type):
        return _class(tp, markers)
    raise TypeError(f"no DynamoDB storage rule for {tp!r} (is it a forward reference?)")


def unwrap(tp: Any, markers: frozenset[type] = frozenset()) -> tuple[Any, frozenset[type]]:
    """Strip Annotated, NewType and type aliases, collecting storage markers."""
    while True:
        if get_origin(tp) is Annotated:
            found = {type(m) for m in tp.__metadata__ if isinstance(m, MARKERS)}
            markers = markers | found
            tp = tp.__origin__
        elif hasattr(tp, "__supertype__"):
            tp = tp.__supertype__
        elif type(tp).__name__ == "TypeAliasType":
            tp = tp.__value__
        else:
            return tp, markers


def leaf_types(annotation: Any) -> set[Any]:
    """The types a field may hold at its top level, through Optional, unions and Annotated."""
    tp, _ = unwrap(annotation)
    if get_origin(tp) in (Union, types.UnionType):
        return set().union(*(leaf_types(arg) for arg in get_args(tp)))
    return {tp}


def _class(tp: type, markers: frozenset[type]) -> Converter:
    if tp is bool:
        return NUMERIC_BOOL if AsNumber in markers else BOOL
    if issubclass(tp, Enum):
        return _enum(tp)
    if issubclass(tp, BaseModel):
        return _model(tp)
    if issubclass(tp, datetime):
        return EPOCH if AsEpochSeconds in markers else DATETIME
    leaf = LEAVES.get(tp)
    if leaf is not None:
        return leaf
    if issubclass(tp, (list, tuple, deque, AbstractSet, Mapping)):
        return _generic(tp, tp, ())
    for base, converter in LEAVES.items():
        if issubclass(tp, base):
            return converter
    return _adapted(tp)


def _generic(tp: Any, origin: Any, args: tuple[Any, ...]) -> Converter:
    if not isinstance(origin, type):
        return _adapted(tp)
    first = args[0] if args else Any
    if issubclass(origin, Mapping):
        value_type = args[1] if len(args) > 1 else Any
        return map_of(converter_for(first), converter_for(value_type), first)
    if issubclass(origin, AbstractSet):
        return set_of(converter_for(first), frozen=issubclass(origin, frozenset))
    if origin is tuple:
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return list_of(converter_for(first), make=tuple)
        return tuple_of([converter_for(arg) for arg in args])
    if issubclass(origin, Iterable) and not issubclass(origin, (str, bytes, bytearray)):
        return list_of(converter_for(first), make=list)
    return _adapted(tp)


def _model(model: type[BaseModel]) -> Converter:
    codec = codec_of(model)

    def encode(value: Any) -> AttributeValue:
        if not isinstance(value, model):
            if not isinstance(value, Mapping):
                raise expected(f"a {model.__name__}", value)
            try:
                value = model.model_validate(value)
            except ValueError as exc:
                raise UnstorableError(str(exc)) from None
        return {"M": codec._encode_map(value)}

    def decode(av: AttributeValue) -> Any:
        return codec._read_for_validation(av["M"])

    def decode_exact(av: AttributeValue) -> Any:
        return codec.decode(av["M"])

    return Converter(encode, decode, frozenset({"M"}), (model,), exact_decode=decode_exact)


def _enum(enum: type[Enum]) -> Converter:
    value_types = list(dict.fromkeys(type(member.value) for member in enum))
    return enum_of(enum, converter_for(value_types[0]) if len(value_types) == 1 else ANY)


def _literal(values: tuple[Any, ...]) -> Converter:
    kinds = list(dict.fromkeys(type(v) for v in values))
    return _union(tuple(kinds), frozenset())


def _union(args: tuple[Any, ...], markers: frozenset[type]) -> Converter:
    members = [converter_for(arg, markers) for arg in args if arg is not NoneType]
    return union_of(members, optional=NoneType in args)


def _adapted(tp: Any) -> Converter:
    """A type with no rule of its own: stored as pydantic's JSON form, validated back."""
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
    except Exception as exc:
        raise TypeError(f"no DynamoDB storage rule for {tp!r}: {exc}") from None
    dump = adapter.dump_python

    def encode(value: Any) -> AttributeValue:
        try:
            plain = dump(value, mode="json")
        except Exception as exc:
            raise UnstorableError(f"{describe(value)} cannot be serialised: {exc}") from None
        return encode_any(plain)

    return Converter(encode, decode_any, ALL_TAGS, (tp,) if isinstance(tp, type) else ())
