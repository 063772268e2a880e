"""Sort-key conditions from template fields.

`db.query(Message, conv_id=c).sk_gte(timestamp=t)` must find messages from time `t`
on, and nothing of another entity sharing the partition. With a templated sort key
such as ``MSG#{timestamp}#{id}``, a condition on a leading subset of the fields
becomes a condition on a key *prefix* (``MSG#<t>#``), and every range is kept inside
the template's literal prefix (``MSG#``) with BETWEEN, so other entities' items are
never read. This works because encoded segments never contain the delimiter ``#``:
the string just above every key with prefix ``p#`` is ``p$``.

Ranges on a partly-given template are exact for fields whose encoding sorts like the
value (int, datetime, date; str by code point among values without ``#`` or ``%``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynamap._codec import ModelCodec
from dynamap._compiler import KeyAttribute
from dynamap.errors import InvalidKey
from dynamap.expressions import Encoded, SortCondition

__all__ = ["SortOp", "sort_condition", "successor"]

SortOp = str  # "eq", "lt", "lte", "gt", "gte", "begins_with", "between"


def successor(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def sort_condition(
    attribute: KeyAttribute,
    codec: ModelCodec[Any],
    op: SortOp,
    values: Mapping[str, Any],
    high: Mapping[str, Any] | None = None,
) -> SortCondition:
    """Build the sort condition `op` on `attribute` from field values.

    Args:
        attribute: the sort key (of the table or an index).
        codec: the model's codec, to encode a bare-field sort key.
        op: eq, lt, lte, gt, gte, begins_with or between.
        values: the fields (a leading subset for templates), or the low end of between.
        high: the high end of between.

    Raises:
        InvalidKey: values that do not fit the sort key.
    """
    if attribute.template is None:
        return _field_condition(attribute, codec, op, values, high)
    if op == "between":
        if high is None:
            raise InvalidKey("between needs a high end")
        low_text, _ = _text(attribute, values)
        high_text, high_complete = _text(attribute, high)
        top = high_text if high_complete else successor(high_text)
        return SortCondition.between(attribute.attribute, low_text, top)
    text, complete = _text(attribute, values)
    return _template_condition(attribute, op, text, complete)


def _text(attribute: KeyAttribute, values: Mapping[str, Any]) -> tuple[str, bool]:
    template = attribute.template
    assert template is not None
    unknown = set(values) - set(template.fields)
    if unknown:
        raise InvalidKey(
            f"sort key {template.template!r} has no field(s) {', '.join(sorted(unknown))}"
        )
    complete = len(values) == len(template.fields)
    text = template.format(**values) if complete else template.prefix(**values)
    return text, complete


def _template_condition(
    attribute: KeyAttribute, op: SortOp, text: str, complete: bool
) -> SortCondition:
    name = attribute.attribute
    assert attribute.template is not None
    floor = attribute.template.literal_prefix
    ceiling = successor(floor) if floor else None
    if op == "eq":
        return SortCondition.eq(name, text) if complete else SortCondition.begins_with(name, text)
    if op == "begins_with":
        return SortCondition.begins_with(name, text)
    if op == "lt" and complete:
        # No inclusive bound excludes an exact key, so a plain '<' is used; items of other
        # entities below the template are dropped by the query's entity filter.
        return SortCondition.lt(name, text)
    low, high = _bounds(op, text, complete)
    low = low or floor
    high = high or ceiling
    if low and high:
        return SortCondition.between(name, low, high)
    if high:
        return SortCondition.lte(name, high)
    return SortCondition.gte(name, low)


def _bounds(op: SortOp, text: str, complete: bool) -> tuple[str | None, str | None]:
    """Inclusive (low, high) bounds for a range on a key or a key prefix.

    A prefix ends with the delimiter and is never a whole key, so it (and its
    successor) can serve as an inclusive bound without matching an item itself.
    """
    if op == "gte":
        return text, None
    if op == "gt":
        return (text + "\x00" if complete else successor(text)), None
    if op == "lte":
        return None, (text if complete else successor(text))
    if op == "lt":
        return None, text
    raise InvalidKey(f"unknown sort key operator {op!r}")


def _field_condition(
    attribute: KeyAttribute,
    codec: ModelCodec[Any],
    op: SortOp,
    values: Mapping[str, Any],
    high: Mapping[str, Any] | None,
) -> SortCondition:
    field = attribute.field
    assert field is not None
    value = _field_value(codec, field, values)
    name = attribute.attribute
    if op == "between":
        if high is None:
            raise InvalidKey("between needs a high end")
        return SortCondition.between(name, value, _field_value(codec, field, high))
    factory = {
        "eq": SortCondition.eq,
        "lt": SortCondition.lt,
        "lte": SortCondition.lte,
        "gt": SortCondition.gt,
        "gte": SortCondition.gte,
        "begins_with": SortCondition.begins_with,
    }.get(op)
    if factory is None:
        raise InvalidKey(f"unknown sort key operator {op!r}")
    return factory(name, value)


def _field_value(codec: ModelCodec[Any], field: str, values: Mapping[str, Any]) -> Any:
    if set(values) != {field}:
        raise InvalidKey(f"the sort key is the field {field!r}: give exactly {field}=...")
    encoded = codec.encode_field(field, values[field])
    if encoded is None:
        raise InvalidKey(f"sort key field {field!r} cannot be None")
    return Encoded(encoded)
