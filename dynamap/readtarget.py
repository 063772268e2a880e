"""What a query or scan reads: a model's table or index, or a whole table's collection.

`resolve_target` turns `db.query(Page, index=...)` or `db.query(app_table)` into a
`ReadTarget` that knows the key attributes to condition on, how to build a cursor
key from an item, which entity filter keeps other models out, and how to decode each
item (by its entity attribute, for collections).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dynamap._codec import ModelCodec, decode_value
from dynamap._compiler import CompiledIndex, CompiledModel, KeyAttribute
from dynamap._declarations import Index, Table
from dynamap._partial import from_projection, read_in_part
from dynamap._sortkey import sort_condition
from dynamap._unique import MARKER_ENTITY
from dynamap.errors import InvalidKey, InvalidStoredItem, InvalidValue, PartialItem
from dynamap.expressions import Condition, Encoded, F, Parameters, Path, SortCondition

__all__ = ["SKIP", "Projection", "ReadTarget", "plain_item", "resolve_target"]

#: Returned by `ReadTarget.decode` for an item a collection read leaves out.
SKIP: Any = object()


def resolve_target(
    target: object,
    index: str | Index | CompiledIndex | None,
    anchor: object = None,
) -> ReadTarget:
    """The read target for a model class or a Table, optionally on one of its indexes.

    Args:
        target: a model class, or a Table for a collection read.
        index: the index to read, if any.
        anchor: for a collection read, the model whose key fields name the partition
            (`db.query(app, Page, id=pid)`).

    Raises:
        TypeError: `target` is neither a dynamap model nor a Table, or `anchor` is not
            a model of that table.
        InvalidKey: the index is not declared on the model or table.
    """
    if isinstance(target, Table):
        if not target.compiled:
            raise TypeError(f"table {target.name!r} has no models")
        by_entity = {compiled.entity: compiled for compiled in target.compiled}
        found = _find_index(target.compiled, index)
        if anchor is None:
            return ReadTarget(target, None, found, by_entity, target.compiled[0])
        return ReadTarget(target, None, found, by_entity, _anchor(target, anchor), True)
    if anchor is not None:
        raise TypeError("an anchor model is for collection reads: db.query(table, Model, ...)")
    compiled: CompiledModel[Any] | None = getattr(target, "__dynamap__", None)
    if compiled is None:
        raise TypeError(f"{target!r} is not a dynamap model with a table, nor a Table")
    found = _find_index([compiled], index)
    return ReadTarget(compiled.table, compiled, found, {compiled.entity: compiled}, compiled)


def _anchor(table: Table[Any], anchor: object) -> CompiledModel[Any]:
    compiled = getattr(anchor, "__dynamap__", None)
    if not isinstance(compiled, CompiledModel) or compiled.table is not table:
        models = ", ".join(c.model.__name__ for c in table.compiled)
        raise TypeError(
            f"the anchor of a collection read of {table.name!r} must be one of its "
            f"models ({models}), got {anchor!r}"
        )
    return compiled


def _find_index(
    models: list[CompiledModel[Any]], index: str | Index | CompiledIndex | None
) -> CompiledIndex | None:
    if index is None:
        return None
    name = index if isinstance(index, str) else index.name
    for compiled in models:
        if name in compiled.indexes:
            return compiled.indexes[name]
    known = sorted({n for compiled in models for n in compiled.indexes})
    raise InvalidKey(f"no index {name!r} here; declared indexes: {', '.join(known) or 'none'}")


@dataclass(frozen=True, slots=True)
class Projection:
    """What a partial read returns: the fields asked for (None: whatever the index
    holds), how to describe the read in messages, and, per entity, the fields read
    only in part (resolved once for the read, not per item)."""

    fields: tuple[str, ...] | None
    source: str
    nested: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReadTarget:
    """A resolved read target; see the module docstring."""

    table: Table[Any]
    compiled: CompiledModel[Any] | None
    index: CompiledIndex | None
    by_entity: Mapping[str, CompiledModel[Any]]
    anchor: CompiledModel[Any]
    #: A collection read whose partition is named by the anchor model's key fields.
    anchored: bool = False

    def parameters(self) -> Parameters:
        """Expression parameters that understand the model's field names."""
        if self.compiled is None:
            return Parameters()
        codec = self.compiled.codec
        return Parameters(rename=codec.attribute_names, encode_field=codec.encode_field)

    def codec(self) -> ModelCodec[Any]:
        """The model's codec (collections have none: give raw key text there)."""
        if self.compiled is None:
            raise InvalidKey("a collection read takes raw key values, not fields")
        return self.compiled.codec

    def partition_attribute(self) -> KeyAttribute:
        """The partition key attribute of the table or index read."""
        return self.index.pk if self.index is not None else self.anchor.pk

    def sort_attribute(self) -> KeyAttribute | None:
        """The sort key attribute of the table or index read, if any."""
        return self.index.sk if self.index is not None else self.anchor.sk

    def key_attributes(self) -> list[str]:
        """Every attribute that makes up a LastEvaluatedKey here."""
        names = [a.attribute for a in self.anchor.key_attributes]
        if self.index is not None:
            names += [a.attribute for a in (self.index.pk, self.index.sk) if a is not None]
        return list(dict.fromkeys(names))

    def required_attributes(self) -> list[Path]:
        """Attributes a projection must keep: keys (for cursors), the entity, and the
        fields that make up each model's key (so a projected model knows its item)."""
        names = [*self.key_attributes(), self.table.entity_attribute]
        for compiled in self.by_entity.values():
            names += [compiled.codec.attribute_names[name] for name in sorted(compiled.key_fields)]
        return [Path.attr(name) for name in dict.fromkeys(names)]

    def cursor_key(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The ExclusiveStartKey that resumes right after item `raw`."""
        return {name: raw[name] for name in self.key_attributes() if name in raw}

    def partition_value(self, key: Mapping[str, Any]) -> tuple[Encoded, dict[str, Any]]:
        """The partition key value from the query's keywords, and the keywords left over.

        Raises:
            InvalidKey: a partition field is missing.
        """
        attribute = self.partition_attribute()
        if self.compiled is None and not self.anchored:
            return Encoded(self._raw_partition(attribute, key)), {}
        model = self.compiled or self.anchor
        missing = [name for name in attribute.fields if key.get(name) is None]
        if missing:
            raise InvalidKey(
                f"{model.model.__name__}: the partition key "
                f"{attribute.attribute!r} needs {', '.join(missing)}"
            )
        value = attribute.value(key, model.codec)
        assert value is not None
        rest = {name: v for name, v in key.items() if name not in attribute.fields}
        return Encoded(value), rest

    def _raw_partition(self, attribute: KeyAttribute, key: Mapping[str, Any]) -> dict[str, Any]:
        if set(key) == {"raw_pk"}:
            return _raw_value(attribute, key["raw_pk"])
        models = [compiled.model.__name__ for compiled in self.table.compiled]
        example = models[0]
        fields = ", ".join(f"{name}=..." for name in self.anchor.pk.fields) or "..."
        raise InvalidKey(
            f"a collection query of {self.table.name!r} names its partition by a model and "
            f"that model's key fields, e.g. db.query(table, {example}, {fields}) (escaped "
            "like every key); a raw key value, taken as given, is raw_pk=..."
        )

    def default_sort(self, rest: Mapping[str, Any]) -> SortCondition | None:
        """The sort condition implied by the model: the template's fields given, or its
        literal prefix (so `query(Node, page_id=p)` reads only `NODE#...` items)."""
        attribute = self.sort_attribute()
        if self.compiled is None or attribute is None:
            if rest:
                raise InvalidKey(f"unexpected key fields {', '.join(rest)}")
            return None
        if rest:
            return sort_condition(attribute, self.compiled.codec, "eq", rest)
        template = attribute.template
        if template is None or not template.literal_prefix:
            return None
        if template.is_constant:
            return SortCondition.eq(attribute.attribute, template.template)
        return SortCondition.begins_with(attribute.attribute, template.literal_prefix)

    def entity_filter(self) -> Condition | None:
        """A filter keeping other models of a shared table out of a model's read.

        A KEYS_ONLY index holds no entity attribute to filter on; it needs none when no
        other model declares the index, since only this model's items are in it.

        Raises:
            PartialItem: a KEYS_ONLY index that several models declare, whose items
                therefore cannot be told apart.
        """
        shared = len(self.table.compiled) > 1 or any(c.options.unique for c in self.table.compiled)
        if self.compiled is None or not shared:  # unique fields share it with marker items
            return None
        index = self.index
        if index is not None and index.projection == "KEYS_ONLY":
            declaring = [c.model.__name__ for c in self.table.compiled if index.name in c.indexes]
            if len(declaring) > 1:
                raise PartialItem(
                    f"index {index.name!r} projects KEYS_ONLY and holds items of "
                    f"{', '.join(declaring)}, which its keys cannot tell apart; project "
                    "INCLUDE (the entity attribute is always included) or ALL"
                )
            return None
        return F.attr(self.table.entity_attribute) == self.compiled.entity

    def holds_whole_items(self) -> bool:
        """Whether the table or index read holds whole items (an index projecting ALL)."""
        return self.index is None or self.index.projection == "ALL"

    def projection_of(self, fields: tuple[str, ...] | None) -> Projection:
        """The `Projection` of a partial read of `fields` (None: the index's own)."""
        if fields is not None:
            nested = {
                entity: read_in_part(compiled, fields)
                for entity, compiled in self.by_entity.items()
            }
            return Projection(fields, f"fields={list(fields)!r}", nested)
        if self.index is not None and not self.holds_whole_items():
            return Projection(None, f"index {self.index.name!r} ({self.index.projection})")
        return Projection(None, "a partial read")

    def check_whole(self) -> None:
        """Refuse a read that would return partial items as if they were whole.

        Raises:
            PartialItem: the index projects only some fields.
        """
        if self.holds_whole_items():
            return
        assert self.index is not None
        model = self.anchor.model.__name__
        raise PartialItem(
            f"index {self.index.name!r} projects {self.index.projection}, so its items hold "
            f"only some fields of {model}: add `.partial()` to read them as "
            f"Partial[{model}] (then `db.get` the whole items you need)"
        )

    def decoder(
        self, projection: Projection | None, unknown: str
    ) -> Callable[[Mapping[str, Any]], Any]:
        """How each item is decoded, resolved once for a whole read: whole items of one
        model go straight to the model codec's `decode`, with nothing in between."""
        if self.compiled is not None and projection is None:
            return self.compiled.codec.decode
        return functools.partial(self.decode, projection=projection, unknown=unknown)

    def decode(self, raw: Mapping[str, Any], *, projection: Projection | None, unknown: str) -> Any:
        """Decode one item to its model (a `Partial` for a partial read); SKIP, a raw
        dict or an error for items of unknown entities."""
        compiled = self.model_of(raw, unknown)
        if not isinstance(compiled, CompiledModel):
            return compiled
        if projection is not None:
            nested = projection.nested.get(compiled.entity, frozenset())
            return from_projection(compiled, raw, projection.source, nested)
        return compiled.codec.decode(raw)

    def invalid_item(self, raw: Mapping[str, Any], error: ValidationError) -> InvalidStoredItem:
        """The error for an item of this read that failed its model's validation."""
        compiled = self.model_of(raw, "error")
        assert isinstance(compiled, CompiledModel)
        return compiled.invalid_item(raw, error)

    def model_of(self, raw: Mapping[str, Any], unknown: str) -> Any:
        """The compiled model an item belongs to, or what to return instead of it."""
        if self.compiled is not None:
            return self.compiled
        entity = raw.get(self.table.entity_attribute, {}).get("S")
        if entity == MARKER_ENTITY:  # a unique field's marker item, never a model
            return SKIP
        compiled = self.by_entity.get(entity) if isinstance(entity, str) else None
        return _unknown(raw, unknown, entity) if compiled is None else compiled


def plain_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    """An item as a plain dict, as `raw` reads return it: every attribute (keys and
    entity included) decoded by its stored type alone (see `dynamap._codec.decode_value`)."""
    return {name: decode_value(value) for name, value in raw.items()}


def _unknown(raw: Mapping[str, Any], policy: str, entity: object) -> Any:
    if policy == "raw":
        return plain_item(raw)
    if policy == "error":
        raise InvalidValue(f"item of unknown entity {entity!r} in a collection read")
    return SKIP


def _raw_value(attribute: KeyAttribute, value: object) -> dict[str, Any]:
    if attribute.type == "S" and isinstance(value, str):
        return {"S": value}
    if attribute.type == "N" and isinstance(value, int | float) and not isinstance(value, bool):
        return {"N": str(value)}
    raise InvalidKey(
        f"partition key {attribute.attribute!r} is of type {attribute.type}; got {value!r}"
    )
