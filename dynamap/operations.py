"""Pure builders of item requests: GetItem, PutItem, UpdateItem, DeleteItem.

Nothing here awaits or sends: each builder returns the request dict the session will
send (and that `to_request()` shows). Everything that can go wrong with the caller's
input is raised here, before the first byte leaves the process, so nothing stored is
ever half-written by bad input.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from dynamap._clock import write_time
from dynamap.compiler import CompiledModel, KeyAttribute
from dynamap.errors import InvalidValue
from dynamap.expressions import Condition, Encoded, F, Parameters, Path, Update, projection

__all__ = [
    "PreparedWrite",
    "delete_request",
    "get_request",
    "put_request",
    "update_request",
]

M = TypeVar("M", bound=BaseModel)


@dataclass(slots=True)
class PreparedWrite(Generic[M]):
    """A write request, and the field values to set on the instance once it succeeds.

    Attributes:
        request: the request dict, ready to send.
        changes: field values (version, timestamps) that become true when the write
            succeeds; the session applies them to the caller's instance then.
    """

    request: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)


def model_parameters(compiled: CompiledModel[Any]) -> Parameters:
    """Parameters whose paths may name fields (translated to their stored attributes)."""
    return Parameters(rename=compiled.codec.attribute_names,
                      encode_field=compiled.codec.encode_field)


def get_request(
    compiled: CompiledModel[Any],
    table_name: str,
    key: Mapping[str, Any],
    *,
    consistent: bool = False,
    fields: Iterable[str] | None = None,
) -> dict[str, Any]:
    """A GetItem request for the item with primary key `key` (DynamoDB JSON)."""
    request: dict[str, Any] = {"TableName": table_name, "Key": dict(key)}
    if consistent:
        request["ConsistentRead"] = True
    if fields is not None:
        params = model_parameters(compiled)
        request["ProjectionExpression"] = projection(params, _with_keys(compiled, fields))
        params.apply(request)
    return request


def _with_keys(compiled: CompiledModel[Any], fields: Iterable[str]) -> list[str]:
    key_fields = (name for key in compiled.key_attributes for name in key.fields)
    return list(dict.fromkeys([*fields, *key_fields]))  # in a stable order


def put_request(
    compiled: CompiledModel[M],
    instance: M,
    table_name: str,
    *,
    condition: Condition | None = None,
    return_old: bool = False,
    now: datetime | None = None,
) -> PreparedWrite[M]:
    """A PutItem request for `instance`, with version and timestamps maintained.

    With a version field, a version of 0 means "new": the put requires that no item
    has the key yet; otherwise it requires the stored version to equal the instance's.
    """
    changes = _timestamps(compiled, instance, now, creating=True)
    conditions = [condition] if condition is not None else []
    version = compiled.options.version
    if version is not None:
        current = getattr(instance, version)
        changes[version] = current + 1
        conditions.append(_version_condition(compiled, version, current))
    staged = instance.model_copy(update=changes) if changes else instance
    request: dict[str, Any] = {"TableName": table_name, "Item": compiled.to_item(staged)}
    _add_condition(compiled, request, conditions)
    if return_old:
        request["ReturnValues"] = "ALL_OLD"
    return PreparedWrite(request, changes)


def _version_condition(compiled: CompiledModel[Any], version: str, current: int) -> Condition:
    if current == 0:
        return F.attr(compiled.pk.attribute).not_exists()
    return F.attr(compiled.codec.attribute_names[version]) == current


def _timestamps(
    compiled: CompiledModel[Any], instance: object, now: datetime | None, *, creating: bool
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    created, updated = compiled.options.created, compiled.options.updated
    if created is None and updated is None:
        return changes
    now = now or write_time()
    if creating and created is not None and getattr(instance, created) is None:
        changes[created] = now
    if updated is not None:
        changes[updated] = now
    return changes


def _add_condition(
    compiled: CompiledModel[Any],
    request: dict[str, Any],
    conditions: list[Condition],
    params: Parameters | None = None,
) -> None:
    if not conditions and params is None:
        return  # nothing to add
    params = params or model_parameters(compiled)
    if conditions:
        combined = conditions[0]
        for extra in conditions[1:]:
            combined = combined & extra
        request["ConditionExpression"] = combined.encode(params)
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    params.apply(request)


def delete_request(
    compiled: CompiledModel[Any],
    key: Mapping[str, Any],
    table_name: str,
    *,
    condition: Condition | None = None,
    expected_version: int | None = None,
    return_old: bool = False,
) -> dict[str, Any]:
    """A DeleteItem request; with `expected_version`, only that version is deleted."""
    request: dict[str, Any] = {"TableName": table_name, "Key": dict(key)}
    conditions = [condition] if condition is not None else []
    version = compiled.options.version
    if version is not None and expected_version is not None:
        conditions.append(F.attr(compiled.codec.attribute_names[version]) == expected_version)
    _add_condition(compiled, request, conditions)
    if return_old:
        request["ReturnValues"] = "ALL_OLD"
    return request


@dataclass(slots=True)
class UpdateSpec:
    """What an update changes, as the caller gave it (field names or paths -> values)."""

    set: Mapping[str, Any] = field(default_factory=dict)
    remove: Iterable[str] = ()
    add: Mapping[str, Any] = field(default_factory=dict)
    delete: Mapping[str, Any] = field(default_factory=dict)
    append: Mapping[str, Any] = field(default_factory=dict)
    prepend: Mapping[str, Any] = field(default_factory=dict)
    set_if_not_exists: Mapping[str, Any] = field(default_factory=dict)

    def touched_fields(self) -> builtins.set[str]:
        """The top-level fields (first path segments) this update changes."""
        paths = [*self.set, *self.remove, *self.add, *self.delete, *self.append,
                 *self.prepend, *self.set_if_not_exists]
        return {_root(path) for path in paths}


def _root(path: str) -> str:
    root = Path.parse(path).segments[0]
    return root if isinstance(root, str) else str(root)


def update_request(
    compiled: CompiledModel[M],
    known: Mapping[str, Any],
    table_name: str,
    spec: UpdateSpec,
    *,
    condition: Condition | None = None,
    expected_version: int | None = None,
    create: bool = False,
    now: datetime | None = None,
) -> PreparedWrite[M]:
    """An UpdateItem request that returns the whole updated item.

    Args:
        compiled: the model.
        known: the field values known for the item (an instance's, or just its key).
        table_name: the physical table name.
        spec: the changes.
        condition: an extra condition.
        expected_version: with a version field, the version the item must have.
        create: allow the update to create a missing item (default: it must exist).
        now: the time for the `updated` timestamp.

    Raises:
        InvalidValue: the update changes a primary key field, or an index key whose
            other fields are not known, or gives a value that cannot be stored.
    """
    spec = _by_field_names(compiled, spec)
    touched = {_field_name(compiled, root) for root in spec.touched_fields()}
    _refuse_key_changes(compiled, touched)
    update = Update()
    _apply_spec(compiled, update, spec)
    changes = _timestamps(compiled, _Known(known), now, creating=False)
    changes = {name: value for name, value in changes.items() if name not in touched}
    for name, value in changes.items():
        update.set(F.attr(compiled.codec.attribute_names[name]), _encoded(compiled, name, value))
    conditions = [] if condition is None else [condition]
    if not create:
        conditions.append(F.attr(compiled.pk.attribute).exists())
    version = compiled.options.version
    if version is not None and version not in touched and expected_version is not None:
        attribute = compiled.codec.attribute_names[version]
        conditions.append(F.attr(attribute) == expected_version)
        update.set(F.attr(attribute), expected_version + 1)
        changes[version] = expected_version + 1
    _sync_index_keys(compiled, update, known, spec, touched, changes)
    params = model_parameters(compiled)
    request: dict[str, Any] = {"TableName": table_name, "Key": compiled.key_from(known)}
    request["UpdateExpression"] = update.encode(params)
    request["ReturnValues"] = "ALL_NEW"
    _add_condition(compiled, request, conditions, params)
    return PreparedWrite(request, changes)


def _field_name(compiled: CompiledModel[Any], path: str) -> str:
    """The field a top-level path names: a field name as is, a stored (alias) name mapped
    back to its field, so that key refusal and index sync see it; else the path."""
    names = compiled.codec.attribute_names
    if path in names:
        return path
    return next((name for name, stored in names.items() if stored == path), path)


def _by_field_names(compiled: CompiledModel[Any], spec: UpdateSpec) -> UpdateSpec:
    """The spec with top-level stored names turned into field names (and `remove` a tuple)."""
    def rename(changes: Mapping[str, Any]) -> dict[str, Any]:
        return {_field_name(compiled, path): value for path, value in changes.items()}

    return UpdateSpec(
        rename(spec.set), tuple(_field_name(compiled, path) for path in spec.remove),
        rename(spec.add), rename(spec.delete), rename(spec.append), rename(spec.prepend),
        rename(spec.set_if_not_exists),
    )


class _Known:
    """Attribute access over a mapping of known field values (None when unknown)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values.get(name)


def _refuse_key_changes(compiled: CompiledModel[Any], touched: set[str]) -> None:
    changed = sorted(touched & compiled.key_fields)
    if changed:
        raise InvalidValue(
            f"{compiled.model.__name__}: updating {', '.join(changed)} would change the "
            "item's primary key; put the item under its new key and delete the old one "
            "(in a transaction) instead"
        )


def _apply_spec(compiled: CompiledModel[Any], update: Update, spec: UpdateSpec) -> None:
    for path, value in spec.set.items():
        encoded = _encoded(compiled, path, value)
        if encoded is None and _is_field(compiled, path):
            update.remove(path)  # None, or an empty set: the field is left out of the item
        else:
            update.set(path, encoded)
    for path in spec.remove:
        update.remove(path)
    for path, value in spec.add.items():
        update.add(path, value)
    for path, value in spec.delete.items():
        update.delete(path, value)
    for path, value in spec.append.items():
        update.append(path, value)
    for path, value in spec.prepend.items():
        update.prepend(path, value)
    for path, value in spec.set_if_not_exists.items():
        update.set_if_not_exists(path, _encoded(compiled, path, value))


def _is_field(compiled: CompiledModel[Any], path: str) -> bool:
    return path in compiled.codec.attribute_names


def _encoded(compiled: CompiledModel[Any], path: str, value: Any) -> Any:
    """A top-level field's value, pre-encoded by its annotation; other paths as given."""
    if not _is_field(compiled, path) or value is None:
        return value
    encoded = compiled.codec.encode_field(path, value)
    return Encoded(encoded) if encoded is not None else None


def _sync_index_keys(
    compiled: CompiledModel[Any],
    update: Update,
    known: Mapping[str, Any],
    spec: UpdateSpec,
    touched: set[str],
    fixed: Mapping[str, Any],
) -> None:
    """Keep templated index keys in step; `fixed` holds what dynamap itself sets
    (timestamps, version), which may feed a key too."""
    given = {k: v for k, v in spec.set.items() if _is_field(compiled, k)}
    merged = {**known, **fixed, **given}
    for name in spec.remove:
        if _is_field(compiled, name):
            merged[name] = None
    exact = {name for name in [*spec.set, *spec.remove] if _is_field(compiled, name)}
    changed = touched | set(fixed)
    for index in compiled.indexes.values():
        for attribute in (index.pk, index.sk):
            if attribute is not None and not attribute.written_by_codec:
                _refuse_inexact(compiled, attribute, touched - exact)
                _sync_attribute(compiled, update, attribute, merged, merged, changed)


def _refuse_inexact(
    compiled: CompiledModel[Any], attribute: KeyAttribute, inexact: set[str]
) -> None:
    """Refuse add/delete/append/prepend/if_not_exists/nested changes to a field that
    feeds a templated index key: its new value, hence the key, is unknown until stored."""
    fields = sorted(inexact & set(attribute.fields))
    if fields:
        raise InvalidValue(
            f"{compiled.model.__name__}: {', '.join(fields)} feeds index key "
            f"{attribute.attribute!r}, which can only be kept in step when the field is "
            "given whole: change it with set= (or remove=)"
        )


def _sync_attribute(
    compiled: CompiledModel[Any],
    update: Update,
    attribute: KeyAttribute,
    merged: Mapping[str, Any],
    known: Mapping[str, Any],
    touched: set[str],
) -> None:
    if not touched & set(attribute.fields):
        return
    unknown = [name for name in attribute.fields if name not in known and name not in touched]
    if unknown:
        raise InvalidValue(
            f"{compiled.model.__name__}: this update changes index key "
            f"{attribute.attribute!r}, which also needs {', '.join(unknown)}; update the "
            "instance (not just its key) or set those fields too"
        )
    value = attribute.value(merged, compiled.codec)
    if value is None:
        update.remove(F.attr(attribute.attribute))
    else:
        update.set(F.attr(attribute.attribute), Encoded(value))
