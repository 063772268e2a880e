"""`Partial`: the fields of a stored item that a read returned, and nothing else.

A projection (`db.get(..., fields=[...])`, `query.fields(...)`) or an index that
projects `KEYS_ONLY` or `INCLUDE` reads only some attributes of an item. Building the
model from them would fill the other fields from their defaults (a fresh `new_id()`,
`utcnow()`, an empty list): values that were never stored, which a later `put` would
write over the real ones. So such reads return a `Partial` instead:

```python
title = await db.get(Page, id=pid, fields=["title"])   # Partial[Page] | None
title.title          # the value read, validated by the field's type
title.id             # key fields are always there, parsed back from the key
title.body           # FieldNotRead: it was not read, and is never made up
await db.put(title)  # PartialItem: a put writes a whole item; refused
await db.update(title, set={"title": "New"})   # changes only what is named
```

A `Partial` is not a model instance, so type checkers tell the two apart: `db.put`
and `Model` methods do not accept it. Field access is dynamic (typed `Any`), because
which fields a read returns is only known at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from dynamap.errors import FieldNotRead, PartialItem
from dynamap.expressions import Path

if TYPE_CHECKING:
    from dynamap._compiler import CompiledModel

__all__ = ["Partial", "from_projection", "read_in_part", "refuse_partial"]

M = TypeVar("M")
Model_ = TypeVar("Model_", bound=BaseModel)


class Partial(Generic[M]):
    """Some fields of one stored item of `model`; see the module docstring.

    Attributes:
        model: the model class the item belongs to.
        source: what read it, e.g. "fields=['title']" or "index 'ByAuthor' (KEYS_ONLY)".
    """

    __slots__ = ("_values", "model", "source")

    model: type[M]
    source: str

    def __init__(self, model: type[M], values: Mapping[str, Any], source: str) -> None:
        self.model = model
        self.source = source
        self._values = dict(values)

    @property
    def _model(self) -> type[BaseModel]:
        model: type[BaseModel] = self.model  # type: ignore[assignment]
        return model

    @property
    def fields(self) -> frozenset[str]:
        """The names of the fields that were read."""
        return frozenset(self._values)

    def to_dict(self) -> dict[str, Any]:
        """The fields read, by field name."""
        return dict(self._values)

    def key(self) -> dict[str, Any]:
        """The fields of the model's primary key (always read), e.g. for `db.get`."""
        compiled: CompiledModel[Any] = self._model.__dynamap__  # type: ignore[attr-defined]
        return {
            name: self._values[name] for name in sorted(compiled.key_fields) if name in self._values
        }

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value if it was read, else `default`."""
        return self._values.get(name, default)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            pass
        model = self._model.__name__
        if name in self._model.model_fields:
            read = ", ".join(sorted(self._values)) or "none"
            raise FieldNotRead(
                f"{model}.{name} was not read ({self.source} read: {read}); read the whole "
                f"item, e.g. `await db.get({model}, **partial.key())`, or add it to the "
                "fields read"
            )
        raise AttributeError(f"{model} has no field {name!r}")

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self._values.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Partial):
            return NotImplemented
        return self.model is other.model and self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # mutable values, like models

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._values.items())
        return f"Partial[{self._model.__name__}]({shown})"


def from_projection(
    compiled: CompiledModel[Model_],
    raw: Mapping[str, Any],
    source: str,
    nested: frozenset[str] = frozenset(),
) -> Partial[Model_]:
    """A `Partial` from a projected item: each field read validated by its own type, key
    fields parsed back from the key attributes, nothing else filled in.

    Args:
        compiled: the model.
        raw: the item as DynamoDB returned it.
        source: what read it, for messages.
        nested: fields of which only parts were read (paths such as "prefs.theme"):
            they hold what was read, decoded but not validated (a nested model is a
            dict of the parts read), since validating would fill in the rest.

    Raises:
        InvalidStoredItem: a field read does not fit its type.
    """
    model = compiled.model
    decoded = compiled.codec.decode_fields(raw)
    values: dict[str, Any] = {}
    holder = model.model_construct()
    validator = model.__pydantic_validator__
    for name, attribute in compiled.codec.attribute_names.items():
        if attribute not in decoded:
            continue
        if name in nested:
            values[name] = decoded[attribute]
        else:
            values[name] = _validated(compiled, holder, validator, name, decoded[attribute], raw)
    for name, value in compiled.fields_from_keys(raw).items():
        values.setdefault(name, value)
    return Partial(model, values, source)


def read_in_part(compiled: CompiledModel[Any], paths: Iterable[str]) -> frozenset[str]:
    """The fields that a projection of `paths` reads only in part (`"prefs.theme"`
    without `"prefs"`), by field name."""
    whole: set[str] = set()
    parts: set[str] = set()
    by_attribute = {attr: name for name, attr in compiled.codec.attribute_names.items()}
    for path in paths:
        segments = Path.parse(path).segments
        root = str(segments[0])
        name = root if root in compiled.codec.attribute_names else by_attribute.get(root, root)
        (parts if len(segments) > 1 else whole).add(name)
    return frozenset(parts - whole)


def _validated(
    compiled: CompiledModel[Any],
    holder: BaseModel,
    validator: Any,
    name: str,
    value: Any,
    raw: Mapping[str, Any],
) -> Any:
    try:
        validator.validate_assignment(holder, name, value)
    except ValidationError as error:
        errors = [e for e in error.errors() if e["loc"][:1] == (name,)]
        if errors:
            raise compiled.invalid_item(raw, error) from None
        return value  # only a model-level check failed: the partial holder is not whole
    return holder.__dict__[name]


def refuse_partial(instance: object, operation: str) -> None:
    """Refuse a `Partial` where a whole item is written (a put, in any form).

    Raises:
        PartialItem: `instance` is a `Partial`.
    """
    if not isinstance(instance, Partial):
        return
    model = instance._model.__name__
    read = ", ".join(sorted(instance.fields))
    raise PartialItem(
        f"{operation} writes a whole {model} item, but this Partial[{model}] holds only "
        f"{read} ({instance.source}): the write would erase the other fields. Change what "
        f"was read with `db.update(partial, set={{...}})`, or read the whole item first: "
        f"`await db.get({model}, **partial.key())`"
    )
