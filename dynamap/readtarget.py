"""What a query or scan reads: a model's table or index, or a whole table's collection.

`resolve_target` turns `db.query(Page, index=...)` or `db.query(app_table)` into a
`ReadTarget` that knows the key attributes to condition on, how to build a cursor
key from an item, which entity filter keeps other models out, and how to decode each
item (by its entity attribute, for collections).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from dynamap.codec import ModelCodec, decode_value
from dynamap.compiler import CompiledIndex, CompiledModel, KeyAttribute
from dynamap.declarations import Index, Table
from dynamap.errors import InvalidKey, InvalidValue
from dynamap.expressions import Condition, Encoded, F, Parameters, Path, SortCondition
from dynamap.sortkey import sort_condition
from dynamap.unique import MARKER_ENTITY

__all__ = ["SKIP", "ReadTarget", "from_projection", "plain_item", "resolve_target"]

#: Returned by `ReadTarget.decode` for an item a collection read leaves out.
SKIP: Any = object()


def resolve_target(target: object, index: str | Index | CompiledIndex | None) -> ReadTarget:
    """The read target for a model class or a Table, optionally on one of its indexes.

    Raises:
        TypeError: `target` is neither a dynamap model nor a Table.
        InvalidKey: the index is not declared on the model or table.
    """
    if isinstance(target, Table):
        if not target.compiled:
            raise TypeError(f"table {target.name!r} has no models")
        by_entity = {compiled.entity: compiled for compiled in target.compiled}
        anchor = target.compiled[0]
        return ReadTarget(target, None, _find_index(target.compiled, index), by_entity, anchor)
    compiled: CompiledModel[Any] | None = getattr(target, "__dynamap__", None)
    if compiled is None:
        raise TypeError(f"{target!r} is not a dynamap model with a table, nor a Table")
    found = _find_index([compiled], index)
    return ReadTarget(compiled.table, compiled, found, {compiled.entity: compiled}, compiled)


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
class ReadTarget:
    """A resolved read target; see the module docstring."""

    table: Table[Any]
    compiled: CompiledModel[Any] | None
    index: CompiledIndex | None
    by_entity: Mapping[str, CompiledModel[Any]]
    anchor: CompiledModel[Any]

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
        if self.compiled is None:
            if set(key) != {"pk"}:
                raise InvalidKey("a collection query takes the raw partition key: pk=...")
            return Encoded(_raw_value(attribute, key["pk"])), {}
        missing = [name for name in attribute.fields if key.get(name) is None]
        if missing:
            raise InvalidKey(f"{self.compiled.model.__name__}: the partition key "
                             f"{attribute.attribute!r} needs {', '.join(missing)}")
        value = attribute.value(key, self.compiled.codec)
        assert value is not None
        rest = {name: v for name, v in key.items() if name not in attribute.fields}
        return Encoded(value), rest

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
        """A filter keeping other models of a shared table out of a model's read."""
        shared = len(self.table.compiled) > 1 or any(c.options.unique for c in self.table.compiled)
        if self.compiled is None or not shared:  # unique fields share it with marker items
            return None
        return F.attr(self.table.entity_attribute) == self.compiled.entity

    def decoder(self, *, partial: bool, unknown: str) -> Callable[[Mapping[str, Any]], Any]:
        """`decode` with these options, resolved once for a whole read: for whole items
        of one model it is the model codec's own `decode`, with nothing in between."""
        if self.compiled is not None and not partial:
            return self.compiled.codec.decode
        return functools.partial(self.decode, partial=partial, unknown=unknown)

    def decode(self, raw: Mapping[str, Any], *, partial: bool, unknown: str) -> Any:
        """Decode one item to its model; SKIP, a raw dict or an error for unknown ones."""
        compiled = self.compiled
        if compiled is None:
            entity = raw.get(self.table.entity_attribute, {}).get("S")
            compiled = self.by_entity.get(entity) if isinstance(entity, str) else None
            if entity == MARKER_ENTITY:  # a unique field's marker item, never a model
                return SKIP
            if compiled is None:
                return _unknown(raw, unknown, entity)
        if partial:
            return from_projection(compiled, raw)
        return compiled.from_item(raw)


def from_projection(compiled: CompiledModel[Any], raw: Mapping[str, Any]) -> Any:
    """A model from a projected item: each field read is validated on its own (so a
    nested model is a model), fields not read keep their defaults, and the model as a
    whole is not validated (required fields not read stay unset)."""
    instance = compiled.model.model_construct()
    values = compiled.codec.decode_fields(raw)
    validator = compiled.model.__pydantic_validator__
    for name, attribute in compiled.codec.attribute_names.items():
        if attribute not in values:
            continue
        try:
            validator.validate_assignment(instance, name, values[attribute])
        except ValidationError:  # e.g. a nested model with a required field not read
            instance.__dict__[name] = values[attribute]
            instance.__pydantic_fields_set__.add(name)
    return instance


def plain_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    """An item as a plain dict, as `raw` reads return it: every attribute (keys and
    entity included) decoded by its stored type alone (see `dynamap.codec.decode_value`)."""
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
