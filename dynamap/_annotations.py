"""Reading a pydantic field's annotation: unwrapping Optional/Annotated and its markers.

Kept apart from the compiler because both the compiler and the schema need to know
which DynamoDB scalar type (S, N or B) a key field is stored as.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic.fields import FieldInfo

from dynamap._storage import AsEpochSeconds, AsNumber

__all__ = ["KeyScalar", "is_optional", "key_scalar_type", "unwrap_optional"]

KeyScalar = Literal["S", "N", "B"]

_STRING_TYPES: tuple[type, ...] = (str, datetime, date, UUID)
_NUMBER_TYPES: tuple[type, ...] = (int, Decimal)


def _is_union(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin is typing.Union or origin is types.UnionType


def is_optional(annotation: Any) -> bool:
    """Whether `annotation` admits None."""
    return _is_union(annotation) and type(None) in typing.get_args(annotation)


def unwrap_optional(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """Strip `Optional[...]` and `Annotated[...]`, returning the type and its metadata."""
    metadata: tuple[Any, ...] = ()
    if typing.get_origin(annotation) is typing.Annotated:
        metadata = tuple(annotation.__metadata__)
        annotation = typing.get_args(annotation)[0]
    if is_optional(annotation):
        rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            inner, more = unwrap_optional(rest[0])
            return inner, metadata + more
    return annotation, metadata


def key_scalar_type(info: FieldInfo) -> KeyScalar:
    """The DynamoDB key type a field is stored as, when it keys a table or an index.

    Raises:
        ValueError: the field's type cannot be a DynamoDB key; the message says why.
    """
    annotation, metadata = unwrap_optional(info.annotation)
    metadata += tuple(info.metadata)
    if any(isinstance(marker, AsNumber | AsEpochSeconds) for marker in metadata):
        return "N"
    return _scalar_of(annotation)


def _scalar_of(annotation: Any) -> KeyScalar:
    if typing.get_origin(annotation) is Literal:
        return _scalar_of(type(typing.get_args(annotation)[0]))
    if not isinstance(annotation, type):
        raise ValueError(f"its type {annotation!r} cannot be a key: use str, int or bytes")
    if issubclass(annotation, bool):
        raise ValueError(
            "a bool cannot be a DynamoDB key (keys are S, N or B): annotate it as "
            "NumericBool to store it as 0/1"
        )
    if issubclass(annotation, float):
        raise ValueError("a float in a key is imprecise: use int, Decimal or str")
    if issubclass(annotation, enum.Enum):
        scalars = {_scalar_of(type(member.value)) for member in annotation}
        if len(scalars) != 1:
            raise ValueError(
                f"the values of {annotation.__name__} must all be str, or all int, to be a key"
            )
        return scalars.pop()
    if issubclass(annotation, _NUMBER_TYPES):
        return "N"
    if issubclass(annotation, _STRING_TYPES):
        return "S"
    if issubclass(annotation, bytes | bytearray):
        return "B"
    raise ValueError(f"its type {annotation.__name__} cannot be a key: use str, int or bytes")
