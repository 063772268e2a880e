"""What `dynamap import` does with NULLs and with rows that share a key.

NULL (an unquoted empty CSV cell, or a JSON `null`) is not a value, and a default that
is made at import time (`default_factory=utcnow`, `new_id`) is not the row's data: by
default (`--nulls absent`) a NULL leaves the field out so that a constant default
applies, and a row whose NULL would be filled with a value made at import time is
rejected, saying so. `--nulls default` accepts every model default; `--nulls keep`
hands the NULL to the model as None. Every NULL filled in is counted.

Rows whose items have the same key (or the same value of a unique field) would
overwrite each other without a trace; `--duplicates` keeps the `first` (default), the
`last`, or `reject`s them all, and each one not written goes to the rejects file,
naming the line it collides with.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dynamap._compiler import compiled_of
from dynamap.migrate.store import item_key

__all__ = [
    "DUPLICATE_CHOICES",
    "NULL_CHOICES",
    "DuplicateFinder",
    "NullPolicy",
    "NullRejected",
    "Nulls",
    "unknown_fields",
]

Nulls = Literal["absent", "default", "keep"]
NULL_CHOICES = ("absent", "default", "keep")
DUPLICATE_CHOICES = ("first", "last", "reject")


class NullRejected(ValueError):  # noqa: N818 - the row's reason, not a failure
    """A NULL the policy does not fill; the message is the reject reason."""


#: Factories whose every value is the same (an empty container, a zero).
_CONSTANT_FACTORIES: frozenset[Any] = frozenset(
    {list, dict, set, tuple, frozenset, str, int, float, bool, Decimal}
)


def _made_per_call(info: FieldInfo) -> bool:
    """Whether the field's default is made anew for each item (`utcnow`, `new_id`, any
    factory not known to be a constant)."""
    factory = info.default_factory
    return factory is not None and factory not in _CONSTANT_FACTORIES


@dataclass(slots=True)
class NullPolicy:
    """Applies `--nulls` to a row's data and counts what it filled in."""

    model: type[BaseModel]
    mode: Nulls = "absent"
    filled: Counter[str] = field(default_factory=Counter)
    fields: dict[str, FieldInfo] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = {}
        for name, info in self.model.model_fields.items():
            for key in {name, info.alias or name, info.serialization_alias or name}:
                self.fields[key] = info

    def apply(self, data: dict[str, Any]) -> dict[str, Any]:
        """The data with its NULLs handled; raises `NullRejected` for the row."""
        if self.mode == "keep":
            return data
        result = dict(data)
        for key, value in data.items():
            info = self.fields.get(key)
            if value is not None or info is None or info.is_required():
                continue
            if self.mode == "absent" and _made_per_call(info):
                raise NullRejected(
                    f"{key} is NULL, and its default would be made at import time; pass "
                    "--nulls default to accept that, or give the row a value"
                )
            del result[key]
            self.filled[key] += 1
        return result

    def lines(self) -> list[str]:
        """One line per field whose NULLs were filled with the model's default."""
        return [
            f"  {key}: {count:,} NULLs, the model's default"
            for key, count in sorted(self.filled.items())
        ]


@dataclass(slots=True)
class DuplicateFinder:
    """Finds rows whose items share a key or unique value with another row's."""

    model: type[BaseModel]
    mode: str = "first"
    claims: dict[tuple[str, Any], int] = field(default_factory=dict)
    poisoned: set[tuple[str, Any]] = field(default_factory=set)
    dropped: dict[int, str] = field(default_factory=dict)
    lines: dict[int, int] = field(default_factory=dict)

    def add(self, number: int, line: int, instance: BaseModel) -> str | None:
        """Claim the row's key; the reason the row is not written, if it is not."""
        compiled = compiled_of(self.model)
        claims = [("key", item_key(compiled.key_of(instance)))]
        claims += [(name, repr(getattr(instance, name))) for name in compiled.options.unique]
        self.lines[number] = line
        if any(claim in self.poisoned for claim in claims):
            return "same key or unique value as rejected duplicates"
        rivals = {
            self.claims[c]: c[0]
            for c in claims
            if c in self.claims and self.claims[c] not in self.dropped
        }
        if rivals and self.mode == "first":
            other, what = next(iter(rivals.items()))
            return f"same {what} as line {self.lines[other]}, which is kept"
        for other, what in rivals.items():
            self.dropped[other] = f"same {what} as line {line}, which replaces it"
            if self.mode == "reject":
                self.dropped[other] = f"same {what} as line {line} (--duplicates reject)"
        if rivals and self.mode == "reject":
            self.poisoned.update(claims)
            other, what = next(iter(rivals.items()))
            return f"same {what} as line {self.lines[other]} (--duplicates reject)"
        self.claims.update(dict.fromkeys(claims, number))
        return None


def _submodel(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly, optionally, or as list items), and whether
    it is a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    for argument in get_args(annotation):
        if isinstance(argument, type) and issubclass(argument, BaseModel):
            return argument, get_origin(annotation) in (list, tuple)
        inner, listed = _submodel(argument)
        if inner is not None:
            return inner, listed or get_origin(annotation) in (list, tuple)
    return None, False


def _names(model: type[BaseModel]) -> dict[str, FieldInfo]:
    names: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        for key in {name, info.alias or name, info.serialization_alias or name}:
            names[key] = info
    return names


def unknown_fields(model: type[BaseModel], data: Any, prefix: str = "") -> list[str]:
    """The paths of `data` that no field of `model` (or of the models it nests) takes:
    pydantic drops them without a word, so the import reports them."""
    if not isinstance(data, dict) or model.model_config.get("extra") == "allow":
        return []
    fields = _names(model)
    unknown = []
    for key, value in data.items():
        info = fields.get(key)
        path = f"{prefix}{key}"
        if info is None:
            unknown.append(path)
            continue
        inner, listed = _submodel(info.annotation)
        if inner is None:
            continue
        for item in value if listed and isinstance(value, list) else [value]:
            unknown += unknown_fields(inner, item, f"{path}{'[]' if listed else ''}.")
    return sorted(set(unknown))
