"""Unique fields: marker items that let a value belong to one item at most.

```python
class User(Model, table=app, unique=("email", "username")):
    ...

await db.put(User(email="ada@example.com", username="ada"))
await db.put(User(email="ada@example.com", username="other"))   # UniqueConstraintViolated
```

For each unique field that has a value, the model's own table holds a marker item
keyed by the model's entity, the field and the value, e.g. partition key
`__unique__#user#email#S#ada@example.com` (and sort key `__unique__` when the table
has one; both must be strings, which the compiler checks). Markers are written in the
same transaction as the item, each on the condition that it does not exist yet or
already belongs to that item, so two items can never hold one value: the second
write is cancelled and raises `UniqueConstraintViolated` naming the field.

- A create (a put with version 0) puts the item, which must not exist, and its markers.
- Any other put, and an update that sets or removes a unique field, first reads the
  stored item (consistently). Markers of changed values move (the old one deleted,
  the new one put), and the item's write is conditioned on the unique values read, so
  a concurrent change cannot slip in between the read and the write; when one does,
  the transaction is planned again from a fresh read and retried. A put also writes
  the markers of unchanged values again, which repairs any that are missing.
- A delete reads the stored item and deletes it with its markers.

Markers carry the entity `__unique__` and are never decoded as models: model queries
and scans filter them out, and collection reads skip them. Values compare exactly as
stored (case-sensitive); normalise them in a validator if needed. A field without a
value (None) has no marker: any number of items may lack it.

`Session.put`, `update` and `delete` take this path by themselves for models with
unique fields; batch writes refuse such models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from dynamap._compiler import CompiledModel
from dynamap._identity import Item, canonical_key, item_identity
from dynamap._operations import UpdateSpec
from dynamap.errors import (
    InvalidKey,
    InvalidValue,
)
from dynamap.expressions import Condition, F, Parameters

__all__ = [
    "MARKER_ENTITY",
    "MARKER_SORT_KEY",
    "OWNER_ATTRIBUTE",
    "Marker",
    "UniqueIntent",
    "delete_intent",
    "expand",
    "marker_key",
    "put_intent",
    "raced",
    "refuse_marker_key",
    "touches",
    "update_intent",
]

Rebuild = Callable[[Condition | None], dict[str, Any]]

#: The entity attribute value of marker items; model reads never decode them.
MARKER_ENTITY = "__unique__"
#: The sort key of marker items, in tables that have a sort key.
MARKER_SORT_KEY = "__unique__"
#: The marker attribute holding its owner's primary key (canonical JSON).
OWNER_ATTRIBUTE = "__owner__"
#: DynamoDB's limit on a partition key value.
MAX_PARTITION_KEY_BYTES = 2048


# -- marker keys ----------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("#", "%23")


def _canonical_text(tag: str, raw: Any) -> str:
    if tag == "S":
        return str(raw)
    if tag == "N":
        return _number_text(str(raw))
    if tag in ("SS", "NS", "BS"):
        members = [_number_text(m) for m in raw] if tag == "NS" else list(raw)
        return orjson.dumps(sorted(members)).decode()
    return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS).decode()


def _number_text(text: str) -> str:
    try:
        return str(Decimal(text).normalize())
    except InvalidOperation:
        return text


def marker_text(compiled: CompiledModel[Any], field: str, value: object) -> str | None:
    """The partition key of the marker of `field` = `value`, or None for no value.

    Raises:
        InvalidValue: the value cannot be stored, or makes a key over 2048 bytes.
    """
    if value is None:
        return None
    encoded = compiled.codec.encode_field(field, value)
    if encoded is None:
        return None
    ((tag, raw),) = encoded.items()
    parts = (MARKER_ENTITY, compiled.entity, field, tag, _canonical_text(tag, raw))
    text = "#".join(_escape(part) for part in parts)
    if len(text.encode()) > MAX_PARTITION_KEY_BYTES:
        raise InvalidValue(
            f"{compiled.model.__name__}.{field} is unique, and this value is too long for "
            f"its marker key (DynamoDB partition keys hold at most "
            f"{MAX_PARTITION_KEY_BYTES} bytes)"
        )
    return text


def marker_key(compiled: CompiledModel[Any], field: str, value: object) -> Item | None:
    """The primary key of the marker of `field` = `value`, or None for no value."""
    text = marker_text(compiled, field, value)
    if text is None:
        return None
    return _key_of(compiled, text)


def _key_of(compiled: CompiledModel[Any], text: str) -> Item:
    key: Item = {compiled.pk.attribute: {"S": text}}
    if compiled.sk is not None:
        key[compiled.sk.attribute] = {"S": MARKER_SORT_KEY}
    return key


def _owner(key: Mapping[str, Any]) -> str:
    return canonical_key(key).decode()


def refuse_marker_key(compiled: CompiledModel[Any], key: Mapping[str, Any]) -> None:
    """Refuse an item key that could name a marker item (a bare-field key chosen by a
    caller could otherwise overwrite or delete another item's marker).

    Raises:
        InvalidKey: the partition key starts with the marker prefix.
    """
    value = key.get(compiled.pk.attribute, {}).get("S")
    if isinstance(value, str) and value.startswith(MARKER_ENTITY + "#"):
        raise InvalidKey(
            f"{compiled.model.__name__}: keys starting with "
            f"{MARKER_ENTITY + '#'!r} are reserved for unique markers"
        )


# -- intents and their expansion ------------------------------------------------------


@dataclass(slots=True)
class UniqueIntent:
    """What one write does to the unique values of its item; expanded at commit.

    Attributes:
        kind: "put", "update" or "delete".
        rebuild: the write's request with an extra (guard) condition.
        values: the unique fields the write sets, and their new values (None: removed).
        needs_read: whether the stored item must be read before the write.
        current: the stored item as read (DynamoDB JSON), or None when there is none.
        was_read: whether `current` has been read.
    """

    kind: Literal["put", "update", "delete"]
    rebuild: Rebuild
    values: Mapping[str, Any]
    needs_read: bool
    current: Item | None = None
    was_read: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    """A marker write brought along by an item's write.

    Attributes:
        kind: "Put" (claim the value) or "Delete" (release it).
        field: the unique field.
        value: the field's value.
        body: the TransactItems request body.
        identity: the marker's table and key, in canonical form.
    """

    kind: Literal["Put", "Delete"]
    field: str
    value: object
    body: dict[str, Any]
    identity: bytes


def put_intent(compiled: CompiledModel[Any], instance: BaseModel, rebuild: Rebuild) -> UniqueIntent:
    """The intent of a put: every unique field takes the instance's value.

    A put with version 0 creates the item (it must not exist), so nothing is read.
    """
    values = {name: getattr(instance, name) for name in compiled.options.unique}
    for name, value in values.items():
        marker_text(compiled, name, value)
    version = compiled.options.version
    creating = version is not None and getattr(instance, version) == 0
    return UniqueIntent("put", rebuild, values, needs_read=not creating)


def touches(compiled: CompiledModel[Any], spec: UpdateSpec) -> bool:
    """Whether an update changes any unique field of the model."""
    return bool(set(compiled.options.unique) & spec.touched_fields())


def update_intent(
    compiled: CompiledModel[Any], spec: UpdateSpec, rebuild: Rebuild
) -> UniqueIntent | None:
    """The intent of an update, or None when it leaves every unique field alone.

    Raises:
        InvalidValue: the update changes a unique field other than by set or remove.
    """
    if not touches(compiled, spec):
        return None
    values: dict[str, Any] = {}
    removed = set(spec.remove)
    for name in compiled.options.unique:
        if name in spec.set:
            values[name] = spec.set[name]
            marker_text(compiled, name, spec.set[name])
        elif name in removed:
            values[name] = None
        elif name in spec.touched_fields():
            raise InvalidValue(
                f"{compiled.model.__name__}.{name} is unique: an update may only set it or "
                "remove it as a whole"
            )
    return UniqueIntent("update", rebuild, values, needs_read=True)


def delete_intent(compiled: CompiledModel[Any], rebuild: Rebuild) -> UniqueIntent | None:
    """The intent of a delete (every unique value released), for models with unique fields."""
    if not compiled.options.unique:
        return None
    values = dict.fromkeys(compiled.options.unique)
    return UniqueIntent("delete", rebuild, values, needs_read=True)


def _stored_values(compiled: CompiledModel[Any], item: Mapping[str, Any]) -> dict[str, Any]:
    decoded = compiled.codec.decode_fields(item)
    names = compiled.codec.attribute_names
    return {name: decoded.get(names[name]) for name in compiled.options.unique}


def expand(
    compiled: CompiledModel[Any], table: str, key: Item, intent: UniqueIntent
) -> tuple[Condition | None, list[Marker]]:
    """The guard condition for the item's write, and the marker writes to add.

    Args:
        compiled: the model.
        table: the physical table name.
        key: the item's primary key.
        intent: the write's intent, with the stored item read if it needs one.
    """
    old = _stored_values(compiled, intent.current) if intent.current is not None else {}
    owner = _owner(key)
    markers: list[Marker] = []
    for name in compiled.options.unique:
        before = old.get(name)
        after = intent.values.get(name, before)
        before_text = marker_text(compiled, name, before)
        after_text = marker_text(compiled, name, after)
        if before_text is not None and before_text != after_text:
            markers.append(_marker(compiled, table, "Delete", name, before, before_text, owner))
        if after_text is not None and (intent.kind == "put" or after_text != before_text):
            markers.append(_marker(compiled, table, "Put", name, after, after_text, owner))
    return _guard(compiled, intent, old), markers


def _guard(
    compiled: CompiledModel[Any], intent: UniqueIntent, old: Mapping[str, Any]
) -> Condition | None:
    """The stored item still has the unique values read (or still does not exist)."""
    if not intent.was_read:
        return None
    if intent.current is None:
        return F.attr(compiled.pk.attribute).not_exists()
    guard: Condition | None = None
    for name in compiled.options.unique:
        value = old.get(name)
        term = F.attr(name).not_exists() if value is None else F.attr(name) == value
        guard = term if guard is None else guard & term
    return guard


def _marker(
    compiled: CompiledModel[Any],
    table: str,
    kind: Literal["Put", "Delete"],
    name: str,
    value: object,
    text: str,
    owner: str,
) -> Marker:
    key = _key_of(compiled, text)
    params = Parameters()
    mine = F.attr(compiled.pk.attribute).not_exists() | (F.attr(OWNER_ATTRIBUTE) == owner)
    body: dict[str, Any] = {"TableName": table, "ConditionExpression": mine.encode(params)}
    if kind == "Put":
        body["Item"] = {
            **key,
            compiled.table.entity_attribute: {"S": MARKER_ENTITY},
            OWNER_ATTRIBUTE: {"S": owner},
        }
    else:
        body["Key"] = key
    params.apply(body)
    identity = item_identity(table, key)
    return Marker(kind, name, value, body, identity)


def raced(compiled: CompiledModel[Any], intent: UniqueIntent, now: Item | None) -> bool:
    """Whether the stored item's unique values changed since they were read.

    `now` is the item as DynamoDB returned it with a cancellation (None if absent).
    """
    if not intent.was_read:
        return False
    return _state(compiled, intent.current) != _state(compiled, now)


def _state(compiled: CompiledModel[Any], item: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    if item is None:
        return None
    values = _stored_values(compiled, item)
    return tuple(marker_text(compiled, name, values[name]) for name in compiled.options.unique)
