"""Key templates: turn ``"PAGE#{id}"`` into DynamoDB key strings and back.

A template is literal text with ``{field}`` placeholders. ``#`` is the segment
delimiter: every pair of placeholders must have a ``#`` in the literal text between
them. Literal text may otherwise hold anything except braces.

Each value is encoded into its segment so that keys are safe and sortable:

* **No forgery.** A str value is escaped percent-style, ``%`` -> ``%25`` and
  ``#`` -> ``%23`` (nothing else changes, case is kept), so an encoded segment never
  contains ``#``. A value such as ``"a#b"`` therefore cannot produce, or be parsed
  as, the key of some other value: the encoding is one-to-one and reversible.
* **No prefix leaks.** ``prefix(user="a")`` for ``"CONV#{user}#{id}"`` is
  ``"CONV#a#"``, which no key of user ``"a#x"`` (``"CONV#a%23x#..."``) or ``"ab"``
  starts with, so a ``begins_with`` query never returns another user's items.
* **Numeric order.** An int becomes 20 zero-padded digits; a negative ``n`` becomes
  ``"-"`` and the 20 digits of ``10**20 + n``. String order is numeric order, with
  every negative before every non-negative. Datetimes use the fixed-width UTC form
  of `dynamap._datetimes`, so string order is time order.

Dates are ISO-8601 (``2024-03-15``), UUIDs their lowercase canonical form, and an
Enum member is encoded by its value (str or int rules). Parsing accepts exactly the
encoded forms, so every key maps back to one set of values and vice versa.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any, Final, NoReturn
from uuid import UUID

from dynamap._datetimes import format_datetime, parse_datetime
from dynamap.errors import InvalidKey

__all__ = ["DELIMITER", "KeyTemplate", "TemplateError"]

#: The segment delimiter. Encoded values never contain it.
DELIMITER: Final = "#"

_INT_LIMIT: Final = 10**20
_SEGMENT: Final = "([^#]+)"

_Encoder = Callable[[object], str]
_Decoder = Callable[[str], object]
_Step = tuple[str, _Encoder, str]


class TemplateError(ValueError):
    """A key template string, or the type of one of its fields, is not usable.

    Attributes:
        template: the template string.
        field: the placeholder the problem is about, or None if it is about the whole
            template.
        reason: what is wrong and how to fix it.
    """

    def __init__(self, template: str, reason: str, *, field: str | None = None) -> None:
        self.template = template
        self.field = field
        self.reason = reason
        super().__init__(f"invalid key template {template!r}: {reason}")


class _SegmentError(Exception):
    """A value cannot be encoded or a segment decoded; becomes InvalidKey naming the field."""


# --- segment codecs -------------------------------------------------------------------


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _encode_str(value: object) -> str:
    if not isinstance(value, str):
        raise _SegmentError(f"expects str, got {_type_name(value)}")
    if not value:
        raise _SegmentError("is an empty string; key segments cannot be empty")
    return value.replace("%", "%25").replace("#", "%23")


def _decode_str(text: str) -> str:
    if "%" not in text:
        return text
    value = text.replace("%23", "#").replace("%25", "%")
    if _encode_str(value) != text:
        raise _SegmentError("has an invalid escape sequence (only %25 and %23 are used)")
    return value


def _int_text(number: int) -> str:
    if not -_INT_LIMIT < number < _INT_LIMIT:
        raise _SegmentError("is out of range: key ints must be within +/-(10**20 - 1)")
    if number >= 0:
        return f"{number:020d}"
    return f"-{number + _INT_LIMIT:020d}"


def _encode_int(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _SegmentError(f"expects int, got {_type_name(value)}")
    return _int_text(int(value))


def _decode_int(text: str) -> int:
    negative = text[0] == "-"
    digits = text[1:] if negative else text
    if len(digits) != 20 or not (digits.isascii() and digits.isdigit()):
        raise _SegmentError("is not an encoded int (20 digits, optionally after '-')")
    number = int(digits)
    if not negative:
        return number
    if number == 0:
        raise _SegmentError("is not an encoded int ('-' followed by 20 zeros)")
    return number - _INT_LIMIT


def _encode_datetime(value: object) -> str:
    if not isinstance(value, datetime):
        raise _SegmentError(f"expects datetime, got {_type_name(value)}")
    if value.tzinfo is None:
        raise _SegmentError(
            "is a naive datetime (no time zone), which would read back "
            "different; give it one, e.g. value.replace(tzinfo=UTC)"
        )
    try:
        text = format_datetime(value)
    except (OverflowError, ValueError):
        raise _SegmentError("is out of range once converted to UTC") from None
    return text


def _decode_datetime(text: str) -> datetime:
    try:
        value = parse_datetime(text)
    except ValueError:
        raise _SegmentError("is not an encoded datetime") from None
    if format_datetime(value) != text:
        raise _SegmentError("is not an encoded datetime (YYYY-MM-DDTHH:MM:SS.ffffffZ)")
    return value


def _encode_date(value: object) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _SegmentError(f"expects date, got {_type_name(value)}")
    return value.isoformat()


def _decode_date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise _SegmentError("is not an encoded date") from None
    if value.isoformat() != text:
        raise _SegmentError("is not an encoded date (YYYY-MM-DD)")
    return value


def _encode_uuid(value: object) -> str:
    if not isinstance(value, UUID):
        raise _SegmentError(f"expects UUID, got {_type_name(value)}")
    return str(value)


def _decode_uuid(text: str) -> UUID:
    try:
        value = UUID(text)
    except ValueError:
        raise _SegmentError("is not an encoded UUID") from None
    if str(value) != text:
        raise _SegmentError("is not an encoded UUID (lowercase, hyphenated)")
    return value


_CODECS: Final[tuple[tuple[type, _Encoder, _Decoder], ...]] = (
    (datetime, _encode_datetime, _decode_datetime),
    (date, _encode_date, _decode_date),
    (UUID, _encode_uuid, _decode_uuid),
    (int, _encode_int, _decode_int),
    (str, _encode_str, _decode_str),
)


def _enum_codec(template: str, field: str, enum_type: type[Enum]) -> tuple[_Encoder, _Decoder]:
    """Precompute the segment of every member; encode and decode are then lookups."""
    by_value: dict[object, str] = {}
    for member in enum_type:
        raw = member.value
        try:
            if isinstance(raw, str):
                by_value[raw] = _encode_str(raw)
            elif isinstance(raw, int) and not isinstance(raw, bool):
                by_value[raw] = _int_text(raw)
            else:
                raise _SegmentError(f"has a {_type_name(raw)} value; key enums need str or int")
        except _SegmentError as exc:
            reason = f"field {field!r}: {enum_type.__name__}.{member.name} {exc}"
            raise TemplateError(template, reason, field=field) from None
    by_text = {by_value[member.value]: member for member in enum_type}
    if len(by_text) != len(by_value):
        reason = f"field {field!r}: two values of {enum_type.__name__} encode the same"
        raise TemplateError(template, reason, field=field)
    return _enum_encoder(enum_type, by_value), _enum_decoder(enum_type, by_text)


def _enum_encoder(enum_type: type[Enum], by_value: Mapping[object, str]) -> _Encoder:
    def encode(value: object) -> str:
        if isinstance(value, enum_type):
            value = value.value
        elif type(value) is not str and type(value) is not int:
            raise _SegmentError(f"expects {enum_type.__name__}, got {_type_name(value)}")
        text = by_value.get(value)
        if text is None:
            raise _SegmentError(f"is not a value of {enum_type.__name__}")
        return text

    return encode


def _enum_decoder(enum_type: type[Enum], by_text: Mapping[str, Enum]) -> _Decoder:
    def decode(text: str) -> object:
        member = by_text.get(text)
        if member is None:
            raise _SegmentError(f"is not a value of {enum_type.__name__}")
        return member

    return decode


def _codec(template: str, field: str, field_type: object) -> tuple[_Encoder, _Decoder]:
    """Pick the codec for a field's type, or explain why the type cannot be in a key."""
    if not isinstance(field_type, type):
        reason = f"field {field!r} has type {field_type!r}, which is not a class"
        raise TemplateError(template, reason, field=field)
    if issubclass(field_type, Enum):
        return _enum_codec(template, field, field_type)
    if issubclass(field_type, bool):
        reason = (
            f"field {field!r} is a bool, which cannot be part of a key: "
            "use a str or int field (or an Enum) instead"
        )
        raise TemplateError(template, reason, field=field)
    if issubclass(field_type, (float, Decimal)):
        reason = (
            f"field {field!r} is a {field_type.__name__}, which cannot be part of a "
            "key (its text form does not sort or round-trip): use int "
            "(e.g. cents) or str"
        )
        raise TemplateError(template, reason, field=field)
    for base, encode, decode in _CODECS:
        if issubclass(field_type, base):
            return encode, decode
    reason = (
        f"field {field!r} has type {field_type.__name__}, which cannot be part of a "
        "key: use str, int, datetime, date, UUID or an Enum"
    )
    raise TemplateError(template, reason, field=field)


# --- template string parsing ----------------------------------------------------------


def _split(template: str) -> tuple[list[str], list[str]]:
    """Split a template into its literals and placeholder names (one more literal)."""
    literals: list[str] = []
    fields: list[str] = []
    pos = 0
    while True:
        opening = template.find("{", pos)
        closing = template.find("}", pos)
        if opening < 0 or 0 <= closing < opening:
            if closing >= 0:
                reason = f"unbalanced braces: '}}' at position {closing} closes nothing"
                raise TemplateError(template, reason)
            literals.append(template[pos:])
            return literals, fields
        if closing < 0:
            reason = f"unbalanced braces: '{{' at position {opening} is never closed"
            raise TemplateError(template, reason)
        name = template[opening + 1 : closing]
        _check_name(template, name, opening, fields)
        literals.append(template[pos:opening])
        fields.append(name)
        pos = closing + 1


def _check_name(template: str, name: str, position: int, seen: list[str]) -> None:
    if "{" in name:
        reason = f"unbalanced braces: '{{' at position {position} is never closed"
        raise TemplateError(template, reason)
    if not name:
        reason = f"empty placeholder '{{}}' at position {position}: name the field"
        raise TemplateError(template, reason)
    if not name.isidentifier():
        reason = f"placeholder {{{name}}} is not a valid field name (a Python identifier)"
        raise TemplateError(template, reason, field=name)
    if name in seen:
        reason = f"field {name!r} appears twice; each field may appear once"
        raise TemplateError(template, reason, field=name)


def _check_delimiters(template: str, literals: list[str], fields: list[str]) -> None:
    """Each pair of placeholders needs a '#' between them, or keys could not be split."""
    for index in range(1, len(fields)):
        between, before, after = literals[index], fields[index - 1], fields[index]
        if DELIMITER in between:
            continue
        if between:
            problem = f"the text {between!r} between {{{before}}} and {{{after}}} has no '#'"
        else:
            problem = f"placeholders {{{before}}} and {{{after}}} have nothing between them"
        reason = (
            f"{problem}, so a key could not be split back into fields: "
            f"put a '#' between them, e.g. '{{{before}}}#{{{after}}}'"
        )
        raise TemplateError(template, reason, field=after)


def _shorten(text: str, limit: int = 80) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


# --- the template ---------------------------------------------------------------------


class KeyTemplate:
    """A parsed key template such as ``"PAGE#{id}"`` or ``"CONV#{created_at}#{id}"``.

    Parsed once; `format`, `parse` and `prefix` then only run precomputed steps.
    Instances are immutable, hashable and compare equal when their template and
    field types are equal.

    Attributes:
        template: the template string.
        fields: the placeholder names, in order.
        field_types: the type of each placeholder field (str where none was given).
        is_constant: True when the template has no placeholders.
        literal_prefix: the text before the first placeholder (the whole template if
            constant).
        shape: the template with each placeholder replaced by ``{}``, e.g. ``"PAGE#{}"``.
            Two templates of equal shape can produce the same key. (Differing shapes
            can still overlap when one's literal text extends the other's, such as
            ``"A#{}"`` and ``"A#B{}"``.)
    """

    __slots__ = (
        "_decoders",
        "_field_set",
        "_pattern",
        "_steps",
        "field_types",
        "fields",
        "is_constant",
        "literal_prefix",
        "shape",
        "template",
    )

    template: str
    fields: tuple[str, ...]
    field_types: Mapping[str, type]
    is_constant: bool
    literal_prefix: str
    shape: str
    _field_set: frozenset[str]
    _steps: tuple[_Step, ...]
    _decoders: tuple[tuple[str, _Decoder], ...]
    _pattern: re.Pattern[str]

    def __init__(self, template: str, field_types: Mapping[str, type] | None = None) -> None:
        """Parse `template` and precompute how each field is encoded.

        Args:
            template: literal text with ``{field}`` placeholders, e.g. ``"PAGE#{id}"``.
            field_types: the Python type of each placeholder field: str, int, datetime,
                date, UUID or an Enum with str or int values. A field missing here is
                taken as str; entries for names not in the template are ignored.

        Raises:
            TemplateError: the template is empty, has unbalanced braces, an empty or
                non-identifier placeholder, a field twice, two placeholders without a
                '#' between them, or a field of a type that cannot be in a key.
        """
        if not template:
            raise TemplateError(template, "the template is empty; DynamoDB keys cannot be")
        literals, fields = _split(template)
        _check_delimiters(template, literals, fields)
        given = field_types or {}
        types = {name: given.get(name, str) for name in fields}
        codecs = [_codec(template, name, types[name]) for name in fields]
        init = object.__setattr__
        init(self, "template", template)
        init(self, "fields", tuple(fields))
        init(self, "field_types", MappingProxyType(types))
        init(self, "is_constant", not fields)
        init(self, "literal_prefix", literals[0])
        init(self, "shape", "{}".join(literals))
        init(self, "_field_set", frozenset(fields))
        steps = zip(fields, (encode for encode, _ in codecs), literals[1:], strict=True)
        init(self, "_steps", tuple(steps))
        init(self, "_decoders", tuple(zip(fields, (d for _, d in codecs), strict=True)))
        init(self, "_pattern", re.compile(_SEGMENT.join(re.escape(t) for t in literals)))

    def format(self, **values: object) -> str:
        """Build the key from a value for every field.

        Args:
            **values: one value per placeholder field, of that field's type.

        Returns:
            The key string.

        Raises:
            InvalidKey: a field is missing, an unknown field is given, or a value has
                the wrong type or cannot be encoded (empty str, int out of range...).
        """
        if not self._field_set.issuperset(values):
            raise self._unknown_error(values)
        return self._render(values, self._steps)

    def format_mapping(self, values: Mapping[str, object]) -> str:
        """Build the key from a mapping that holds (at least) every field.

        Keys of `values` that are not fields of the template are ignored, so a
        model's whole field dict can be passed.

        Args:
            values: a mapping from field name to value.

        Returns:
            The key string.

        Raises:
            InvalidKey: a field is missing, or a value has the wrong type or cannot
                be encoded.
        """
        return self._render(values, self._steps)

    def parse(self, key: str) -> dict[str, object]:
        """Split a key back into typed field values; the inverse of `format`.

        Args:
            key: a key string.

        Returns:
            One value per field, typed as declared (int, aware UTC datetime, date,
            UUID, Enum member or str). Empty for a constant template.

        Raises:
            InvalidKey: `key` could not have been produced by this template.
        """
        match = self._pattern.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise InvalidKey(
                f"key {_shorten(str(key))} does not match key template {self.template!r}"
            )
        result: dict[str, object] = {}
        for (name, decode), text in zip(self._decoders, match.groups(), strict=True):
            try:
                result[name] = decode(text)
            except _SegmentError as exc:
                raise InvalidKey(
                    f"key {_shorten(key)} does not match key template "
                    f"{self.template!r}: field {name!r} {exc}"
                ) from None
        return result

    def prefix(self, **values: object) -> str:
        """Build the key prefix for a ``begins_with`` query on a partly-filled template.

        The values must be a leading run of the fields: for ``"CONV#{user}#{ts}#{id}"``
        none, ``user``, or ``user`` and ``ts``. The prefix ends with the literal text
        (holding the '#') that follows the last given field, so it never matches keys
        of a different value that merely starts the same way.

        Args:
            **values: values for a leading run of the fields.

        Returns:
            The prefix, e.g. ``"CONV#"`` or ``"CONV#a#"``; `format` exactly when every
            field is given.

        Raises:
            InvalidKey: an unknown field is given, the given fields are not a leading
                run, or a value cannot be encoded.
        """
        if not self._field_set.issuperset(values):
            raise self._unknown_error(values)
        count = len(values)
        if any(name not in values for name in self.fields[:count]):
            raise self._order_error(values)
        return self._render(values, self._steps[:count])

    def matches(self, key: str) -> bool:
        """Tell whether `key` could have been produced by this template.

        Args:
            key: a key string.

        Returns:
            True if `parse` would accept `key`.
        """
        try:
            self.parse(key)
        except InvalidKey:
            return False
        return True

    def _render(self, values: Mapping[str, object], steps: Iterable[_Step]) -> str:
        parts = [self.literal_prefix]
        for name, encode, literal in steps:
            try:
                value = values[name]
            except KeyError:
                raise self._missing_error(values) from None
            try:
                parts.append(encode(value))
            except _SegmentError as exc:
                raise InvalidKey(
                    f"field {name!r} of key template {self.template!r} {exc}"
                ) from None
            parts.append(literal)
        return "".join(parts)

    def _missing_error(self, values: Mapping[str, object]) -> InvalidKey:
        missing = ", ".join(repr(name) for name in self.fields if name not in values)
        return InvalidKey(f"key template {self.template!r} needs a value for field(s) {missing}")

    def _unknown_error(self, values: Mapping[str, object]) -> InvalidKey:
        unknown = ", ".join(repr(name) for name in values if name not in self._field_set)
        return InvalidKey(
            f"key template {self.template!r} has no field(s) {unknown}; "
            f"its fields are {list(self.fields)}"
        )

    def _order_error(self, values: Mapping[str, object]) -> InvalidKey:
        skipped = next(name for name in self.fields if name not in values)
        later = next(name for name in self.fields[::-1] if name in values)
        return InvalidKey(
            f"prefix of key template {self.template!r} takes a leading run of "
            f"its fields in order {list(self.fields)}: {later!r} was given "
            f"without {skipped!r}"
        )

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"KeyTemplate is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"KeyTemplate is immutable; cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyTemplate):
            return NotImplemented
        return self.template == other.template and self.field_types == other.field_types

    def __hash__(self) -> int:
        return hash((self.template, tuple(self.field_types.values())))

    def __repr__(self) -> str:
        return f"KeyTemplate({self.template!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (KeyTemplate, (self.template, dict(self.field_types)))
