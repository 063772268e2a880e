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

from dynamap._changes import Action, ResolvedChanges, UpdateChanges, resolve_changes
from dynamap._clock import write_time
from dynamap._compiler import CompiledModel, KeyAttribute
from dynamap.errors import InvalidUpdate, InvalidValue
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
    return Parameters(
        rename=compiled.codec.attribute_names, encode_field=compiled.codec.encode_field
    )


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

    @classmethod
    def of(cls, changes: UpdateChanges) -> UpdateSpec:
        """The spec of an update's change keywords.

        Raises:
            InvalidUpdate: a keyword is not one of `UpdateChanges`.
        """
        unknown = sorted(set(changes) - set(UpdateChanges.__annotations__))
        if unknown:
            raise InvalidUpdate(
                f"unknown update keyword {unknown[0]!r}; the keywords are "
                f"{', '.join(UpdateChanges.__annotations__)}"
            )
        given: dict[str, Any] = {
            name: value for name, value in changes.items() if value is not None
        }
        return cls(**given)

    def as_changes(self) -> UpdateChanges:
        """The changes as the keywords of an update."""
        return UpdateChanges(
            set=self.set,
            remove=self.remove,
            add=self.add,
            delete=self.delete,
            append=self.append,
            prepend=self.prepend,
            set_if_not_exists=self.set_if_not_exists,
        )

    def touched_fields(self) -> builtins.set[str]:
        """The top-level fields (first path segments) this update changes."""
        paths = [
            *self.set,
            *self.remove,
            *self.add,
            *self.delete,
            *self.append,
            *self.prepend,
            *self.set_if_not_exists,
        ]
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
    resolved = resolve_changes(compiled.codec, spec.as_changes(), managed_fields(compiled))
    touched = resolved.fields
    update = Update()
    for action in resolved.actions:
        _apply_action(update, action)
    changes = _timestamps(compiled, _Known(known), now, creating=False)
    changes = {name: value for name, value in changes.items() if name not in touched}
    for name, value in changes.items():
        timestamp = compiled.codec.encode_field(name, value)
        assert timestamp is not None  # a datetime is always stored
        update.set(F.attr(compiled.codec.attribute_names[name]), Encoded(timestamp))
    conditions = [] if condition is None else [condition]
    if not create:
        conditions.append(F.attr(compiled.pk.attribute).exists())
    version = compiled.options.version
    if version is not None and version not in touched and expected_version is not None:
        attribute = compiled.codec.attribute_names[version]
        conditions.append(F.attr(attribute) == expected_version)
        update.set(F.attr(attribute), expected_version + 1)
        changes[version] = expected_version + 1
    _sync_index_keys(compiled, update, known, resolved, changes)
    params = model_parameters(compiled)
    request: dict[str, Any] = {"TableName": table_name, "Key": compiled.key_from(known)}
    request["UpdateExpression"] = update.encode(params)
    request["ReturnValues"] = "ALL_NEW"
    _add_condition(compiled, request, conditions, params)
    return PreparedWrite(request, changes)


class _Known:
    """Attribute access over a mapping of known field values (None when unknown)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values.get(name)


def managed_fields(compiled: CompiledModel[Any]) -> dict[str, str]:
    """The fields an update may not change, each with the reason: the primary key's
    fields, the version and the created timestamp."""
    managed = {
        name: (
            f"updating {name} would change the item's primary key; put the item "
            "under its new key and delete the old one (in a transaction) instead"
        )
        for name in compiled.key_fields
    }
    version, created = compiled.options.version, compiled.options.created
    if version is not None:
        managed[version] = (
            f"{version} is the version field, which every update checks and "
            "bumps itself (optimistic locking); it cannot be set"
        )
    if created is not None:
        managed[created] = (
            f"{created} is the created timestamp, set once when the item is "
            "first written; it cannot be updated"
        )
    return managed


def _apply_action(update: Update, action: Action) -> None:
    operation, path, value = action.operation, action.path, action.value
    if operation == "remove":
        update.remove(path)
    elif operation == "set":
        update.set(path, value)
    elif operation == "set_if_not_exists":
        update.set_if_not_exists(path, value)
    else:
        getattr(update, operation)(path, value)  # add, delete, append, prepend


def _sync_index_keys(
    compiled: CompiledModel[Any],
    update: Update,
    known: Mapping[str, Any],
    resolved: ResolvedChanges,
    fixed: Mapping[str, Any],
) -> None:
    """Keep templated index keys in step; `fixed` holds what dynamap itself sets
    (timestamps, version), which may feed a key too."""
    touched = resolved.fields
    merged = {**known, **fixed, **resolved.whole}
    exact = set(resolved.whole)
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


def raw_update_request(
    compiled: CompiledModel[Any],
    key: Mapping[str, Any],
    table_name: str,
    update: Update,
    *,
    condition: Condition | None = None,
) -> dict[str, Any]:
    """An UpdateItem request of literal attribute paths (see `Session.update_raw`).

    Raises:
        InvalidUpdate: an action writes a primary key attribute.
    """
    keys = {attribute.attribute for attribute in compiled.key_attributes}
    touched = sorted({str(path.segments[0]) for path in update.paths} & keys)
    if touched:
        raise InvalidUpdate(
            f"{compiled.model.__name__}: {touched[0]} is a primary key "
            "attribute; a raw update cannot change it either"
        )
    params = Parameters()
    request: dict[str, Any] = {
        "TableName": table_name,
        "Key": compiled.key_from(key),
        "ReturnValues": "ALL_NEW",
    }
    request["UpdateExpression"] = update.encode(params)
    exists = F.attr(compiled.pk.attribute).exists()
    combined = exists if condition is None else exists & condition
    request["ConditionExpression"] = combined.encode(params)
    request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    params.apply(request)
    return request
