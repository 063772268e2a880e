"""An update's changes, resolved against the model before anything is sent.

`db.update(page, set={"title": "New"}, add={"views": 1})` names fields (or paths into
them, `"prefs.theme"`, `"history[0]"`). Each path is resolved here through the model's
fields, nested models, maps and lists, so that:

- a path that names no field is refused, with the nearest field name suggested;
- a value is validated by the type at its path (as pydantic would on the model) and
  encoded as that type is stored, so the stored item keeps fitting the model;
- `add` needs a number or a set there, `delete` a set, `append`/`prepend` a list;
- removing (or setting to None) a field that would then not read back is refused: a
  required field, or one whose default is made anew on each read (`new_id`, `utcnow`);
- what dynamap manages itself is refused: the primary key's fields (a new key is
  another item), the version field (optimistic locking) and the created timestamp.
  The entity attribute and templated index keys are not fields, so they are refused
  as unknown paths; index keys built from changed fields are rewritten by dynamap.

`Session.update_raw` takes attribute paths literally, for deliberate schema-less writes.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal, TypedDict, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from dynamap._annotations import is_optional, unwrap_optional
from dynamap._codec import ModelCodec, compile_codec, encode_value
from dynamap._converters import UnstorableError, converter_for
from dynamap.errors import InvalidUpdate, InvalidValue
from dynamap.expressions import Encoded, Path

__all__ = ["Action", "ResolvedChanges", "UpdateChanges", "resolve_changes"]

Operation = Literal["set", "remove", "add", "delete", "append", "prepend", "set_if_not_exists"]

_EMPTY_FACTORIES: tuple[Any, ...] = (list, dict, set, frozenset, tuple)


class UpdateChanges(TypedDict, total=False):
    """The change keywords every update entry point takes (`Session.update`,
    `Session.update_key`, `Model.update`, `Transaction.update`).

    Keys are field names or paths into fields (`"prefs.theme"`, `"history[0]"`).
    """

    set: Mapping[str, Any]
    remove: Iterable[str]
    add: Mapping[str, Any]
    delete: Mapping[str, Any]
    append: Mapping[str, Any]
    prepend: Mapping[str, Any]
    set_if_not_exists: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    """One resolved change: the operation, the path in stored attribute names, and the
    value already encoded as DynamoDB JSON (None for a removal)."""

    operation: Operation
    path: Path
    value: Encoded | None


@dataclass(slots=True)
class ResolvedChanges:
    """An update's changes, resolved and encoded.

    Attributes:
        actions: the changes, in the order given.
        fields: the top-level fields the changes touch.
        whole: the fields given whole by `set`/`remove`: field -> new value (None when
            removed), which is what index keys built from them are computed from.
    """

    actions: list[Action] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    whole: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a path leads: the stored path, its top-level field, and the type there.

    `owner`/`name` are set when the path ends at a field of a (nested) model: that
    field's codec then encodes the value, markers and aliases included.
    """

    path: Path
    field: str
    annotation: Any
    info: FieldInfo | None
    owner: type[BaseModel] | None
    name: str | None


def resolve_changes(
    codec: ModelCodec[Any], changes: Mapping[str, Any], managed: Mapping[str, str]
) -> ResolvedChanges:
    """Resolve and encode an update's changes against a model.

    Args:
        codec: the model's compiled codec (it knows how each field is stored).
        changes: the change keywords (`UpdateChanges`).
        managed: fields dynamap manages -> why it refuses to update them (a sentence
            that follows "Model: ").

    Raises:
        InvalidUpdate: a path, a value or a removal is refused; nothing is sent.
    """
    resolved = ResolvedChanges()
    model = codec.model
    for operation, entries in _entries(changes):
        for path, value in entries:
            target = _resolve(model, path, managed)
            resolved.fields.add(target.field)
            resolved.actions.append(_action(codec, operation, target, value))
            if len(target.path.segments) == 1 and operation in ("set", "remove"):
                resolved.whole[target.field] = (
                    None if operation == "remove" else _python(model, target, value)
                )
    return resolved


def _entries(changes: Mapping[str, Any]) -> Iterable[tuple[Operation, list[tuple[str, Any]]]]:
    for operation in ("set", "remove", "add", "delete", "append", "prepend", "set_if_not_exists"):
        given = changes.get(operation)
        if not given:
            continue
        if operation == "remove":
            if isinstance(given, str):
                raise InvalidUpdate(f"remove= takes a list of paths, not the string {given!r}")
            yield "remove", [(path, None) for path in given]
        elif isinstance(given, Mapping):
            yield operation, list(given.items())
        else:
            raise InvalidUpdate(
                f"{operation}= takes a mapping of path -> value, got {type(given).__name__}"
            )


# -- paths ------------------------------------------------------------------------------


def _resolve(model: type[BaseModel], text: object, managed: Mapping[str, str]) -> _Target:
    if not isinstance(text, str):
        raise InvalidUpdate(f"{model.__name__}: update paths are strings, got {text!r}")
    try:
        segments = Path.parse(text).segments
    except ValueError as error:
        raise InvalidUpdate(f"{model.__name__}: {error}") from None
    root = str(segments[0])
    name, info = _model_field(model, root, text)
    if name in managed:
        raise InvalidUpdate(f"{model.__name__}: {managed[name]}")
    stored: list[str | int] = [_stored_name(name, info)]
    target = _Target(Path((stored[0],)), name, info.annotation, info, model, name)
    for segment in segments[1:]:
        target = _step(model, target, segment, text)
    return target


def _step(model: type[BaseModel], target: _Target, segment: str | int, text: str) -> _Target:
    annotation, _ = unwrap_optional(target.annotation)
    annotation = _strip_annotated(annotation)
    origin = get_origin(annotation) or annotation
    path = Path((*target.path.segments, segment))
    if annotation is Any or annotation is object:
        return _Target(path, target.field, Any, None, None, None)
    if isinstance(origin, type) and issubclass(origin, BaseModel) and isinstance(segment, str):
        name, info = _model_field(origin, segment, text)
        stored = Path((*target.path.segments, _stored_name(name, info)))
        return _Target(stored, target.field, info.annotation, info, origin, name)
    if isinstance(origin, type) and issubclass(origin, Mapping) and isinstance(segment, str):
        args = get_args(annotation)
        return _Target(path, target.field, args[1] if len(args) == 2 else Any, None, None, None)
    if _is_sequence(origin) and isinstance(segment, int):
        return _Target(path, target.field, _element(annotation), None, None, None)
    raise InvalidUpdate(
        f"{model.__name__}: {text!r} goes into "
        f"{'.'.join(map(str, target.path.segments))}, which is "
        f"{_type_name(target.annotation)} and has no part {segment!r}"
    )


def _model_field(model: type[BaseModel], name: str, text: str) -> tuple[str, FieldInfo]:
    fields = model.model_fields
    if name in fields:
        return name, fields[name]
    for field_name, info in fields.items():
        if name == _stored_name(field_name, info):
            return field_name, info
    choices = [*fields, *(_stored_name(n, i) for n, i in fields.items())]
    close = difflib.get_close_matches(name, choices, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; its fields: {', '.join(fields)}"
    raise InvalidUpdate(f"{model.__name__} has no field {name!r} (in update path {text!r}){hint}")


def _stored_name(name: str, info: FieldInfo) -> str:
    return info.serialization_alias or info.alias or name


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_sequence(origin: Any) -> bool:
    return (
        isinstance(origin, type)
        and issubclass(origin, list | tuple | Sequence)
        and not (issubclass(origin, str | bytes))
    )


def _element(annotation: Any) -> Any:
    args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
    return args[0] if len(set(map(repr, args))) == 1 else Any


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


# -- values -----------------------------------------------------------------------------


def _action(codec: ModelCodec[Any], operation: Operation, target: _Target, value: Any) -> Action:
    model = codec.model
    if operation == "remove" or (value is None and operation == "set"):
        _check_removable(model, target, "removed" if operation == "remove" else "set to None")
        return Action("remove", target.path, None)
    kind = _kind(target.annotation)
    if operation == "add" and kind not in ("number", "set", "any"):
        raise _wrong_operation(model, target, "add", "a number or a set")
    if operation == "delete" and kind not in ("set", "any"):
        raise _wrong_operation(model, target, "delete", "a set")
    if operation in ("append", "prepend") and kind not in ("list", "any"):
        raise _wrong_operation(model, target, operation, "a list")
    encoded = _encoded(codec, target, value)
    if encoded is None:  # an empty set: DynamoDB has none, so the attribute goes
        if operation in ("add", "delete"):
            raise InvalidUpdate(
                f"{model.__name__}: {operation} on {target.path} needs a non-empty set"
            )
        return Action("remove", target.path, None)
    return Action(operation, target.path, Encoded(encoded))


def _check_removable(model: type[BaseModel], target: _Target, verb: str) -> None:
    """Refuse a removal (or a None) after which the field would not read back as stored."""
    info = target.info
    if info is None or is_optional(info.annotation):
        return  # a map key, a list element, or a field that may be None
    where = f"{model.__name__}: {target.path}"
    if info.is_required():
        raise InvalidUpdate(f"{where} is required, so it cannot be {verb}")
    factory = info.default_factory
    if factory is not None and factory not in _EMPTY_FACTORIES:
        raise InvalidUpdate(
            f"{where} would read back as a new default "
            f"({_type_name(factory)}()) every time, so it cannot be {verb}; "
            "set a value instead"
        )
    if verb != "removed":
        raise InvalidUpdate(
            f"{where} does not accept None; use remove=[{str(target.path)!r}] "
            "to reset it to its default"
        )


def _kind(annotation: Any) -> str:
    inner = _strip_annotated(unwrap_optional(annotation)[0])
    origin = get_origin(inner) or inner
    if inner is Any or inner is object or not isinstance(origin, type):
        return "any"
    if origin is not bool and issubclass(origin, int | float | Decimal):
        return "number"
    if issubclass(origin, AbstractSet):
        return "set"
    if issubclass(origin, list | tuple):
        return "list"
    return "other"


def _wrong_operation(
    model: type[BaseModel], target: _Target, operation: str, needs: str
) -> InvalidUpdate:
    return InvalidUpdate(
        f"{model.__name__}: {operation} on {target.path} needs {needs} "
        f"there, but it is {_type_name(target.annotation)}"
    )


def _python(model: type[BaseModel], target: _Target, value: Any) -> Any:
    """The value validated by the type at the target (as the model would hold it)."""
    if value is None or target.annotation is Any:
        return value
    try:
        return _adapter(target.owner, target.name, target.annotation).validate_python(value)
    except ValidationError as error:
        problem = "; ".join(detail["msg"] for detail in error.errors(include_url=False))
        raise InvalidUpdate(
            f"{model.__name__}: {value!r} is not a valid value for {target.path}: {problem}"
        ) from None


def _encoded(codec: ModelCodec[Any], target: _Target, value: Any) -> Any:
    model = codec.model
    validated = _python(model, target, value)
    try:
        if target.owner is not None and target.name is not None:
            owner = codec if target.owner is model else compile_codec(target.owner)
            return owner.encode_field(target.name, validated)
        if target.annotation is Any:
            return encode_value(validated)
        return _converter(target.annotation).encode(validated)
    except UnstorableError as error:
        raise InvalidUpdate(
            f"{model.__name__}: cannot store {target.path}: {error.problem}"
        ) from None
    except InvalidValue as error:
        raise InvalidUpdate(str(error)) from None


@functools.lru_cache(maxsize=1024)
def _field_adapter(owner: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = owner.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return TypeAdapter(annotation)


def _adapter(owner: type[BaseModel] | None, name: str | None, annotation: Any) -> TypeAdapter[Any]:
    if owner is not None and name is not None:
        return _field_adapter(owner, name)
    try:
        return _annotation_adapter(annotation)
    except TypeError:  # an annotation that cannot be hashed, so not cached
        return TypeAdapter(annotation)


@functools.lru_cache(maxsize=1024)
def _annotation_adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _converter(annotation: Any) -> Any:
    try:
        return _cached_converter(annotation)
    except TypeError:  # unhashable, or no storage rule: let converter_for say which
        return converter_for(annotation)


@functools.lru_cache(maxsize=1024)
def _cached_converter(annotation: Any) -> Any:
    return converter_for(annotation)
