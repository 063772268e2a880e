"""DynamoDB expressions built from small immutable nodes.

Condition, key condition, update and projection expressions are trees of frozen
dataclasses. Nothing is turned into text until a node is encoded with a
`Parameters` object, which hands out placeholders and remembers what they stand for:

```python
params = Parameters()
cond = (F("status") == "active") & F("tags").contains("new")
request = {"ConditionExpression": cond.encode(params)}
# "#n0 = :v0 AND contains(#n1, :v1)"
params.apply(request)   # adds ExpressionAttributeNames / ExpressionAttributeValues
```

Safety rule: no caller-supplied string is ever spliced into an expression. Every
attribute name becomes `#n0, #n1, ...` (the same name reuses its placeholder) and
every value becomes `:v0, :v1, ...`. Reserved words ("name", "size", "status") and
names containing dots or '#' therefore need no special care. Only list indexes
(validated non-negative ints) appear literally, as DynamoDB requires.

Values stay Python objects until `Parameters.value` encodes them to DynamoDB JSON
with a pluggable encoder (by default `dynamap._codec.encode_value`), so one tree
can be encoded many times.

One `Parameters` must be shared by every expression of one request (condition,
update, projection...), so their placeholders do not clash.

Errors, all raised locally before anything is sent. Mistakes in the expression's
shape are programming errors: `TypeError` for a wrong Python type (a bool index,
`cond & 42`, `if cond:`), `ValueError` for bad path syntax, an empty name, a negative
index, an unknown attribute type, overlapping update paths, an empty update or
projection. A *value* DynamoDB would refuse in its position raises
`dynamap.errors.InvalidValue` (a ValueError): an IN with 0 or over 100 values, ADD,
DELETE, increment or append given the wrong kind of value, and `InvalidKey` for a key
value that does not encode to S, N or B. Whatever the encoder raises propagates.
"""

from __future__ import annotations

import importlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Final, cast

from dynamap.errors import InvalidKey, InvalidValue

__all__ = [
    "ATTRIBUTE_TYPES",
    "MAX_IN_OPERANDS",
    "And",
    "Between",
    "Comparison",
    "Condition",
    "Encoded",
    "Encoder",
    "F",
    "FieldEncoder",
    "Function",
    "In",
    "KeyCondition",
    "Not",
    "Or",
    "Parameters",
    "Path",
    "Size",
    "SortCondition",
    "Update",
    "key_condition",
    "projection",
]

#: Turns a Python value into DynamoDB JSON, e.g. "a" -> {"S": "a"}.
Encoder = Callable[[object], dict[str, Any]]
#: Encodes a value as a named top-level field is stored; None when it does not apply.
FieldEncoder = Callable[[str, object], "dict[str, Any] | None"]

#: DynamoDB's limit on the operands of one IN.
MAX_IN_OPERANDS: Final = 100

#: The type names `attribute_type` accepts.
ATTRIBUTE_TYPES: Final = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})

_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[[0-9]+\])*)")
_INDEX = re.compile(r"[0-9]+")


def _default_encode(value: object) -> dict[str, Any]:
    codec = importlib.import_module("dynamap._codec")
    return cast(dict[str, Any], codec.encode_value(value))


class Parameters:
    """Hands out placeholders for one request and collects what they stand for.

    Args:
        encode: turns a value into DynamoDB JSON; defaults to `dynamap._codec.encode_value`.
        rename: maps the first segment of every path (a model's field name) to the
            attribute it is stored as (its alias), so conditions can name fields.
        encode_field: encodes a value compared with a top-level field the way that
            field is stored (e.g. a NumericBool as N); None when it does not apply.
    """

    __slots__ = ("_encode", "_encode_field", "_names", "_rename", "_values")

    def __init__(
        self,
        encode: Encoder | None = None,
        *,
        rename: Mapping[str, str] | None = None,
        encode_field: FieldEncoder | None = None,
    ) -> None:
        self._encode: Encoder = encode or _default_encode
        self._rename: Mapping[str, str] = rename or {}
        self._encode_field = encode_field
        self._names: dict[str, str] = {}
        self._values: dict[str, dict[str, Any]] = {}

    def name(self, attribute: str) -> str:
        """The placeholder of an attribute name (ValueError if empty): ``"a"`` -> ``#n0``."""
        if not isinstance(attribute, str) or not attribute:
            raise ValueError(f"attribute names must be non-empty strings, got {attribute!r}")
        if attribute not in self._names:
            self._names[attribute] = f"#n{len(self._names)}"
        return self._names[attribute]

    def root(self, attribute: str) -> str:
        """The placeholder of a path's first segment, after renaming a field to its attribute."""
        return self.name(self._rename.get(attribute, attribute))

    def value(self, value: object) -> str:
        """Encode a value now and return its placeholder: ``"active"`` -> ``:v0``."""
        placeholder = f":v{len(self._values)}"
        if isinstance(value, Encoded):
            self._values[placeholder] = value.attribute_value
        else:
            self._values[placeholder] = self._encode(value)
        return placeholder

    def value_for(self, field: str, value: object) -> str:
        """Encode a value compared with top-level attribute `field` as that field is stored."""
        if self._encode_field is not None and not isinstance(value, Encoded):
            try:
                encoded = self._encode_field(field, value)
            except (TypeError, ValueError, LookupError):
                encoded = None
            if encoded is not None:
                return self.value(Encoded(encoded))
        return self.value(value)

    def names(self) -> dict[str, str]:
        """The ExpressionAttributeNames map: ``{"#n0": "status"}``."""
        return {placeholder: name for name, placeholder in self._names.items()}

    def values(self) -> dict[str, dict[str, Any]]:
        """The ExpressionAttributeValues map: ``{":v0": {"S": "active"}}``."""
        return dict(self._values)

    def apply(self, request: dict[str, Any]) -> dict[str, Any]:
        """Add both maps to a request, each only when non-empty, and return the request."""
        if self._names:
            request["ExpressionAttributeNames"] = self.names()
        if self._values:
            request["ExpressionAttributeValues"] = self.values()
        return request


@dataclass(frozen=True, slots=True)
class Encoded:
    """A value already in DynamoDB JSON; `Parameters.value` passes it through as is."""

    attribute_value: dict[str, Any]


def _operand(operand: object, params: Parameters, subject: object = None) -> str:
    if isinstance(operand, _Operand):
        return operand.encode(params)
    if isinstance(subject, Path) and len(subject.segments) == 1:
        return params.value_for(str(subject.segments[0]), operand)
    return params.value(operand)


class _Operand(ABC):
    """Something that can be compared: an attribute path or ``size(path)``."""

    __slots__ = ()

    @abstractmethod
    def encode(self, params: Parameters) -> str:
        """Encode into expression syntax."""

    @abstractmethod
    def _key(self) -> tuple[object, ...]: ...

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __eq__(self, other: object) -> Condition:  # type: ignore[override]
        """``F("a") == 1`` -> ``#n0 = :v0``."""
        return Comparison(self, "=", other)

    def __ne__(self, other: object) -> Condition:  # type: ignore[override]
        """``F("a") != 1`` -> ``#n0 <> :v0``."""
        return Comparison(self, "<>", other)

    def __lt__(self, other: object) -> Condition:
        """``F("a") < 1`` -> ``#n0 < :v0``."""
        return Comparison(self, "<", other)

    def __le__(self, other: object) -> Condition:
        """``F("a") <= 1`` -> ``#n0 <= :v0``."""
        return Comparison(self, "<=", other)

    def __gt__(self, other: object) -> Condition:
        """``F("a") > 1`` -> ``#n0 > :v0``."""
        return Comparison(self, ">", other)

    def __ge__(self, other: object) -> Condition:
        """``F("a") >= 1`` -> ``#n0 >= :v0``."""
        return Comparison(self, ">=", other)

    def between(self, low: object, high: object) -> Condition:
        """Inclusive range: ``F("a").between(1, 9)`` -> ``#n0 BETWEEN :v0 AND :v1``."""
        return Between(self, low, high)

    def is_in(self, *values: object) -> Condition:
        """Equal to one of 1 to 100 values: ``F("a").is_in(1, 2)`` -> ``#n0 IN (:v0, :v1)``.

        Raises:
            InvalidValue: no values, or more than 100 (DynamoDB's limit).
        """
        return In(self, values)


@dataclass(frozen=True, slots=True, eq=False)
class Path(_Operand):
    """An attribute path such as ``a.b[0].c``: names (str) and list indexes (int).

    Build one with `F`. Comparing two paths compares attributes
    (``F("a") < F("b")`` -> ``#n0 < #n1``); ``==`` between two paths also answers
    ``bool()`` structurally, so paths work as dict keys.
    """

    segments: tuple[str | int, ...]

    def __post_init__(self) -> None:
        if not self.segments or not isinstance(self.segments[0], str):
            raise ValueError(f"a path must start with an attribute name, got {self.segments!r}")
        for segment in self.segments:
            _check_segment(segment)

    @classmethod
    def parse(cls, path: str) -> Path:
        """Parse dotted syntax: ``"a.b[0]"`` -> segments ``("a", "b", 0)``.

        Raises:
            TypeError: path is not a str.
            ValueError: empty name, stray bracket, or bad index.
        """
        if not isinstance(path, str):
            raise TypeError(f"an attribute path must be a str, got {type(path).__name__}")
        segments: list[str | int] = []
        for part in path.split("."):
            match = _SEGMENT.fullmatch(part)
            if match is None:
                raise ValueError(
                    f"invalid attribute path {path!r}: each dotted part must be a non-empty "
                    "name with optional [index] suffixes; use F.attr() or path[key] for a "
                    "name containing '.', '[' or ']'"
                )
            segments.append(match[1])
            segments.extend(int(index) for index in _INDEX.findall(match[2]))
        return cls(tuple(segments))

    @classmethod
    def attr(cls, name: str) -> Path:
        """One top-level attribute, taken literally: ``"a.b"`` is a single name."""
        return cls((name,))

    def __getitem__(self, key: str | int) -> Path:
        """Step into a map key or list index: ``F("a")["b"][0]`` -> ``#n0.#n1[0]``."""
        return Path((*self.segments, key))

    def _render(self, name: Callable[[str], str], root: Callable[[str], str] | None = None) -> str:
        first = root or name
        return "".join(
            f"[{s}]" if isinstance(s, int) else ("." + name(s) if i else first(s))
            for i, s in enumerate(self.segments)
        )

    def __str__(self) -> str:
        return self._render(str)

    def _key(self) -> tuple[object, ...]:
        return self.segments

    def encode(self, params: Parameters) -> str:
        """``F("a.b[0]")`` -> ``#n0.#n1[0]``."""
        return self._render(params.name, params.root)

    def covers(self, other: Path) -> bool:
        """True when this path is ``other`` or one of its ancestors (``a`` covers ``a.b``)."""
        return other.segments[: len(self.segments)] == self.segments

    def overlaps(self, other: Path) -> bool:
        """True when one path covers the other; DynamoDB rejects such pairs in one update."""
        return self.covers(other) or other.covers(self)

    def begins_with(self, prefix: object) -> Condition:
        """``F("sk").begins_with("NODE#")`` -> ``begins_with(#n0, :v0)``."""
        return Function("begins_with", (self, prefix))

    def contains(self, value: object) -> Condition:
        """Substring, set member or list element: ``contains(#n0, :v0)``."""
        return Function("contains", (self, value))

    def exists(self) -> Condition:
        """``F("a").exists()`` -> ``attribute_exists(#n0)``."""
        return Function("attribute_exists", (self,))

    def not_exists(self) -> Condition:
        """``F("a").not_exists()`` -> ``attribute_not_exists(#n0)``."""
        return Function("attribute_not_exists", (self,))

    def attribute_type(self, type_name: str) -> Condition:
        """``F("a").attribute_type("SS")`` -> ``attribute_type(#n0, :v0)``.

        Raises:
            ValueError: type_name is not one of `ATTRIBUTE_TYPES`.
        """
        if type_name not in ATTRIBUTE_TYPES:
            raise ValueError(f"unknown attribute type {type_name!r}: not in {ATTRIBUTE_TYPES}")
        return Function("attribute_type", (self, type_name))

    def size(self) -> Size:
        """Length of a string, binary, set, list or map: ``size(#n0)``, comparable like a path."""
        return Size(self)


def _check_segment(segment: object) -> None:
    if isinstance(segment, bool) or not isinstance(segment, str | int):
        raise TypeError(f"path segments are str names or int indexes, got {segment!r}")
    if segment == "":
        raise ValueError("attribute names in a path must not be empty")
    if isinstance(segment, int) and segment < 0:
        raise ValueError(f"list indexes must not be negative, got {segment}")


@dataclass(frozen=True, slots=True, eq=False)
class Size(_Operand):
    """``size(path)``, an operand: ``F("tags").size() > 3`` -> ``size(#n0) > :v0``."""

    path: Path

    def _key(self) -> tuple[object, ...]:
        return self.path.segments

    def encode(self, params: Parameters) -> str:
        """``size(#n0)``."""
        return f"size({self.path.encode(params)})"


class _PathFactory:
    """Type of `F`: ``F("a.b[0]")`` parses a path, ``F.attr("a.b")`` names one attribute."""

    __slots__ = ()

    def __call__(self, path: str) -> Path:
        """Parse a dotted path: ``F("a.b[0].c")`` -> ``#n0.#n1[0].#n2``."""
        return Path.parse(path)

    def attr(self, name: str) -> Path:
        """A single attribute named literally: ``F.attr("weird.name")`` -> ``#n0``."""
        return Path.attr(name)


#: Build attribute paths: ``F("a.b[0]")``, ``F("a")["x.y"]``, ``F.attr("a.b")``.
F: Final = _PathFactory()

# Binding strength, from DynamoDB's precedence rules: OR < AND < NOT < the rest.
_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4


class Condition(ABC):
    """A condition, filter or key expression node; combine with ``&``, ``|`` and ``~``.

    A Condition has no truth value: ``if cond`` and ``a and b`` raise TypeError, which
    also catches the chained ``1 < F("a") < 3`` (write ``F("a").between(...)``).
    """

    __slots__ = ()
    _precedence: ClassVar[int] = _ATOM

    @abstractmethod
    def encode(self, params: Parameters) -> str:
        """Encode into expression syntax, registering names and values in params."""

    def _encode_within(self, params: Parameters, precedence: int) -> str:
        text = self.encode(params)
        return f"({text})" if self._precedence < precedence else text

    def __and__(self, other: Condition) -> Condition:
        """``a & b`` -> ``a AND b``; a nested OR is parenthesised."""
        if not isinstance(other, Condition):
            return NotImplemented
        return And((*_flatten(self, And), *_flatten(other, And)))

    def __or__(self, other: Condition) -> Condition:
        """``a | b`` -> ``a OR b``."""
        if not isinstance(other, Condition):
            return NotImplemented
        return Or((*_flatten(self, Or), *_flatten(other, Or)))

    def __invert__(self) -> Condition:
        """``~a`` -> ``NOT a``, or ``NOT (a AND b)`` for compound conditions."""
        return Not(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a Condition has no truth value; combine conditions with &, | and ~ "
            "instead of and, or, not"
        )


def _flatten(condition: Condition, kind: type[And | Or]) -> tuple[Condition, ...]:
    return condition.operands if isinstance(condition, kind) else (condition,)


@dataclass(frozen=True, slots=True, eq=False)
class Comparison(Condition):
    """``left op right`` with op one of ``= <> < <= > >=``: ``#n0 <= :v0``."""

    left: object
    operator: str
    right: object

    def encode(self, params: Parameters) -> str:
        """``#n0 = :v0``."""
        left = _operand(self.left, params, self.right)
        return f"{left} {self.operator} {_operand(self.right, params, self.left)}"

    def __bool__(self) -> bool:
        """Structural answer for ``path == path`` / ``path != path``; TypeError otherwise."""
        left, right = self.left, self.right
        if self.operator not in ("=", "<>") or not isinstance(left, _Operand):
            return Condition.__bool__(self)
        if not isinstance(right, _Operand):
            return Condition.__bool__(self)
        same = type(left) is type(right) and left._key() == right._key()
        return same == (self.operator == "=")


@dataclass(frozen=True, slots=True, eq=False)
class Between(Condition):
    """``#n0 BETWEEN :v0 AND :v1`` (inclusive at both ends)."""

    operand: object
    low: object
    high: object

    def encode(self, params: Parameters) -> str:
        """``#n0 BETWEEN :v0 AND :v1``."""
        subject = _operand(self.operand, params)
        low = _operand(self.low, params, self.operand)
        return f"{subject} BETWEEN {low} AND {_operand(self.high, params, self.operand)}"


@dataclass(frozen=True, slots=True, eq=False)
class In(Condition):
    """``#n0 IN (:v0, :v1)``: equal to one of 1 to 100 values, else InvalidValue."""

    operand: object
    values: tuple[object, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.values) <= MAX_IN_OPERANDS:
            raise InvalidValue(f"IN takes 1 to {MAX_IN_OPERANDS} values, got {len(self.values)}")

    def encode(self, params: Parameters) -> str:
        """``#n0 IN (:v0, :v1)``."""
        choices = ", ".join(_operand(value, params, self.operand) for value in self.values)
        return f"{_operand(self.operand, params)} IN ({choices})"


@dataclass(frozen=True, slots=True, eq=False)
class Function(Condition):
    """A condition function call: ``attribute_exists(#n0)``, ``begins_with(#n0, :v0)``."""

    name: str
    arguments: tuple[object, ...]

    def encode(self, params: Parameters) -> str:
        """``begins_with(#n0, :v0)``."""
        arguments = ", ".join(_operand(argument, params) for argument in self.arguments)
        return f"{self.name}({arguments})"


@dataclass(frozen=True, slots=True, eq=False)
class And(Condition):
    """``a AND b AND c``; OR operands are parenthesised."""

    operands: tuple[Condition, ...]
    _precedence: ClassVar[int] = _AND

    def encode(self, params: Parameters) -> str:
        """``#n0 = :v0 AND (#n1 = :v1 OR #n2 = :v2)``."""
        return " AND ".join(op._encode_within(params, _AND) for op in self.operands)


@dataclass(frozen=True, slots=True, eq=False)
class Or(Condition):
    """``a OR b OR c``."""

    operands: tuple[Condition, ...]
    _precedence: ClassVar[int] = _OR

    def encode(self, params: Parameters) -> str:
        """``#n0 = :v0 OR #n1 = :v1``."""
        return " OR ".join(op._encode_within(params, _OR) for op in self.operands)


@dataclass(frozen=True, slots=True, eq=False)
class Not(Condition):
    """``NOT a``; ``~~a`` gives back ``a``."""

    operand: Condition
    _precedence: ClassVar[int] = _NOT

    def encode(self, params: Parameters) -> str:
        """``NOT attribute_exists(#n0)`` or ``NOT (#n0 = :v0 AND #n1 = :v1)``."""
        return f"NOT {self.operand._encode_within(params, _ATOM)}"

    def __invert__(self) -> Condition:
        return self.operand


# -- key conditions -------------------------------------------------------------------


def _check_key_value(attribute: str, placeholder: str, params: Parameters, op: str) -> None:
    kind = next(iter(params.values()[placeholder]), "?")
    allowed = ("B", "S") if op == "begins_with" else ("B", "N", "S")
    if kind not in allowed:
        raise InvalidKey(
            f"key attribute {attribute!r} in {op} needs a {'/'.join(allowed)} value, got {kind}"
        )


@dataclass(frozen=True, slots=True)
class SortCondition:
    """The sort key part of a key condition; build it with the class methods.

    The attribute is a top-level key attribute, named literally (never parsed).
    """

    attribute: str
    operator: str
    values: tuple[object, ...]

    @classmethod
    def eq(cls, attribute: str, value: object) -> SortCondition:
        """``#n1 = :v1``."""
        return cls(attribute, "=", (value,))

    @classmethod
    def lt(cls, attribute: str, value: object) -> SortCondition:
        """``#n1 < :v1``."""
        return cls(attribute, "<", (value,))

    @classmethod
    def lte(cls, attribute: str, value: object) -> SortCondition:
        """``#n1 <= :v1``."""
        return cls(attribute, "<=", (value,))

    @classmethod
    def gt(cls, attribute: str, value: object) -> SortCondition:
        """``#n1 > :v1``."""
        return cls(attribute, ">", (value,))

    @classmethod
    def gte(cls, attribute: str, value: object) -> SortCondition:
        """``#n1 >= :v1``."""
        return cls(attribute, ">=", (value,))

    @classmethod
    def between(cls, attribute: str, low: object, high: object) -> SortCondition:
        """``#n1 BETWEEN :v1 AND :v2``."""
        return cls(attribute, "BETWEEN", (low, high))

    @classmethod
    def begins_with(cls, attribute: str, prefix: object) -> SortCondition:
        """``begins_with(#n1, :v1)``; the prefix must encode to S or B."""
        return cls(attribute, "begins_with", (prefix,))

    def encode(self, params: Parameters) -> str:
        """``begins_with(#n1, :v1)``; InvalidKey unless values encode to S/N/B (prefix: S/B)."""
        name = params.name(self.attribute)
        holders = [params.value(value) for value in self.values]
        for holder in holders:
            _check_key_value(self.attribute, holder, params, self.operator)
        if self.operator == "BETWEEN":
            return f"{name} BETWEEN {holders[0]} AND {holders[1]}"
        if self.operator == "begins_with":
            return f"begins_with({name}, {holders[0]})"
        return f"{name} {self.operator} {holders[0]}"


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """A KeyConditionExpression: ``#n0 = :v0 AND begins_with(#n1, :v1)``."""

    partition_attribute: str
    partition_value: object
    sort: SortCondition | None = None

    def __post_init__(self) -> None:
        if self.sort is not None and self.sort.attribute == self.partition_attribute:
            raise ValueError(
                f"the sort condition names the partition key {self.partition_attribute!r}"
            )

    def encode(self, params: Parameters) -> str:
        """``#n0 = :v0 AND #n1 > :v1``; InvalidKey unless values encode to S, N or B."""
        name = params.name(self.partition_attribute)
        holder = params.value(self.partition_value)
        _check_key_value(self.partition_attribute, holder, params, "=")
        text = f"{name} = {holder}"
        return text if self.sort is None else f"{text} AND {self.sort.encode(params)}"


def key_condition(pk_attr: str, pk_value: object, sk: SortCondition | None = None) -> KeyCondition:
    """``key_condition("PK", "U#1", SortCondition.gt("SK", 5))`` -> ``#n0 = :v0 AND #n1 > :v1``."""
    return KeyCondition(pk_attr, pk_value, sk)


# -- updates --------------------------------------------------------------------------

_CLAUSES: Final = ("SET", "REMOVE", "ADD", "DELETE")


def _to_path(path: str | Path) -> Path:
    if isinstance(path, Path):
        return path
    return Path.parse(path)


def _is_number(value: object) -> bool:
    if isinstance(value, Encoded):
        return "N" in value.attribute_value
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_set(value: object) -> bool:
    if isinstance(value, Encoded):
        return bool({"SS", "NS", "BS"} & value.attribute_value.keys())
    return isinstance(value, set | frozenset) and len(value) > 0


def _as_list(path: Path, value: object) -> object:
    if isinstance(value, Encoded) and "L" in value.attribute_value:
        return value
    if not isinstance(value, list | tuple):
        raise InvalidValue(f"list_append on {path} needs a list, got {type(value).__name__}")
    return list(value)


@dataclass(frozen=True, slots=True, eq=False)
class _Action:
    clause: str
    path: Path
    template: str  # "{p}" is the path, "{0}", "{1}" the operands
    operands: tuple[object, ...] = ()

    def encode(self, params: Parameters) -> str:
        path = self.path.encode(params)
        operands = [_operand(operand, params) for operand in self.operands]
        return self.template.format(*operands, p=path)


class Update:
    """Accumulates update actions; encodes them as one UpdateExpression.

    Paths are str (parsed like `F`) or `Path`. Every method returns the Update, so
    calls chain: ``Update().set("a", 1).remove("b")`` -> ``SET #n0 = :v0 REMOVE #n1``.
    Each action raises InvalidValue, naming both paths, when its path is, is inside or
    contains a path another action already writes, as DynamoDB rejects that.
    """

    __slots__ = ("_actions",)

    def __init__(self) -> None:
        self._actions: list[_Action] = []

    @property
    def paths(self) -> tuple[Path, ...]:
        """The paths the actions write, in the order they were added."""
        return tuple(action.path for action in self._actions)

    def _add(self, clause: str, path: str | Path, template: str, *operands: object) -> Update:
        target = _to_path(path)
        for other in self.paths:
            if target.overlaps(other):
                same = target.segments == other.segments
                detail = f"two actions on {target}" if same else f"{other} and {target} overlap"
                raise InvalidValue(f"invalid update: {detail}; DynamoDB rejects this")
        self._actions.append(_Action(clause, target, template, operands))
        return self

    def set(self, path: str | Path, value: object) -> Update:
        """``SET #n0 = :v0``; a `Path` value copies that attribute (``#n0 = #n1``)."""
        return self._add("SET", path, "{p} = {0}", value)

    def set_if_not_exists(self, path: str | Path, value: object) -> Update:
        """Set only when absent: ``SET #n0 = if_not_exists(#n0, :v0)``."""
        return self._add("SET", path, "{p} = if_not_exists({p}, {0})", value)

    def remove(self, path: str | Path) -> Update:
        """Remove an attribute or list element: ``REMOVE #n0``."""
        return self._add("REMOVE", path, "{p}")

    def add(self, path: str | Path, value: object) -> Update:
        """Add to a number or a set: ``ADD #n0 :v0``; InvalidValue for any other value."""
        if not (_is_number(value) or _is_set(value)):
            raise InvalidValue(f"ADD on {path} needs a number or a non-empty set, got {value!r}")
        return self._add("ADD", path, "{p} {0}", value)

    def delete(self, path: str | Path, value: object) -> Update:
        """Remove members from a set: ``DELETE #n0 :v0``; InvalidValue unless a non-empty set."""
        if not _is_set(value):
            raise InvalidValue(f"DELETE on {path} needs a non-empty set, got {value!r}")
        return self._add("DELETE", path, "{p} {0}", value)

    def append(self, path: str | Path, values: object) -> Update:
        """Append a list or tuple, creating the list when absent (else InvalidValue).

        ``SET #n0 = list_append(if_not_exists(#n0, :v0), :v1)`` with :v0 the empty list.
        """
        items = _as_list(_to_path(path), values)
        return self._add("SET", path, "{p} = list_append(if_not_exists({p}, {0}), {1})", [], items)

    def prepend(self, path: str | Path, values: object) -> Update:
        """Prepend a list or tuple, creating the list when absent (else InvalidValue).

        ``SET #n0 = list_append(:v0, if_not_exists(#n0, :v1))`` with :v1 the empty list.
        """
        items = _as_list(_to_path(path), values)
        return self._add("SET", path, "{p} = list_append({0}, if_not_exists({p}, {1}))", items, [])

    def increment(self, path: str | Path, amount: int | float | Decimal = 1) -> Update:
        """Add a number (else InvalidValue), starting from 0 when absent; negative decrements.

        ``SET #n0 = if_not_exists(#n0, :v0) + :v1`` with :v0 = 0. Unlike ADD this works
        on nested paths too.
        """
        if not _is_number(amount):
            raise InvalidValue(f"increment of {path} needs a number, got {amount!r}")
        return self._add("SET", path, "{p} = if_not_exists({p}, {0}) + {1}", 0, amount)

    def encode(self, params: Parameters) -> str:
        """``SET #n0 = :v0, #n1 = :v1 REMOVE #n2 ADD #n3 :v2 DELETE #n4 :v3``.

        Clauses come in the order SET, REMOVE, ADD, DELETE; actions within a clause
        in the order they were added.

        Raises:
            ValueError: the update has no actions.
        """
        if not self._actions:
            raise ValueError("an update needs at least one action")
        clauses = []
        for clause in _CLAUSES:
            actions = [a.encode(params) for a in self._actions if a.clause == clause]
            if actions:
                clauses.append(f"{clause} {', '.join(actions)}")
        return " ".join(clauses)


# -- projections ----------------------------------------------------------------------


def projection(params: Parameters, paths: Iterable[str | Path]) -> str:
    """A ProjectionExpression: ``["a", "b.c"]`` -> ``#n0, #n1.#n2``.

    Exact duplicates are dropped, and a path inside another one listed is dropped
    (``a`` already returns ``a.b``), since DynamoDB rejects overlapping paths.

    Raises:
        ValueError: no paths.
    """
    first_of: dict[tuple[str | int, ...], Path] = {}
    for given in paths:
        path = _to_path(given)
        first_of.setdefault(_stored(params, path), path)
    unique = list(first_of)
    if not unique:
        raise ValueError("a projection needs at least one path")
    kept = [s for s in unique if not any(o != s and s[: len(o)] == o for o in unique)]
    return ", ".join(first_of[segments].encode(params) for segments in kept)


def _stored(params: Parameters, path: Path) -> tuple[str | int, ...]:
    """A path's segments with a field name first segment renamed to its attribute, so
    that a field and its attribute (e.g. `page_id` and `pageId`) count as one path."""
    first = path.segments[0]
    assert isinstance(first, str)
    return (params._rename.get(first, first), *path.segments[1:])
