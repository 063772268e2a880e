"""Converters between single Python values and DynamoDB JSON attribute values.

`dynamap.codec` compiles a model by asking `converter_for` for one `Converter` per field
annotation. A converter is a pair of plain closures, built once, so that encoding and
decoding never look at the annotation again. Scalars that DynamoDB can put in a set
(types S, N and B) also carry a `Scalar`: the text form alone, used for SS/NS/BS.

`encode_any` and `decode_any` are the annotation-free rules, by runtime type on the way in
and by wire type on the way out; they serve `Any` fields, unions that nothing else matches,
and expression values.
"""

from __future__ import annotations

import types
from binascii import a2b_base64, b2a_base64
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Context, Decimal
from enum import Enum
from operator import itemgetter
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel, SecretBytes, SecretStr, TypeAdapter
from pydantic_core import SchemaValidator, core_schema, to_jsonable_python

from dynamap._datetimes import parse_datetime
from dynamap.storage import AsEpochSeconds, AsNumber

AttributeValue = dict[str, Any]
Encoder = Callable[[Any], AttributeValue]
Decoder = Callable[[AttributeValue], Any]

NoneType = type(None)
T = TypeVar("T")
ALL_TAGS = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})
MARKERS = (AsNumber, AsEpochSeconds)

#: What a typed decoder raises when the stored value does not have the expected shape.
DECODE_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)


class UnstorableError(Exception):
    """A value cannot be stored. `path` is filled in with field names on the way up."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


def describe(value: object) -> str:
    """A short description of a value for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _expected(what: str, value: object) -> UnstorableError:
    return UnstorableError(f"expected {what}, got {describe(value)}")


# --------------------------------------------------------------------------- numbers

_MAX_DIGITS = 38
_MIN_ADJUSTED = -130
_MAX_ADJUSTED = 125
_INT_LIMIT = 10**_MAX_DIGITS
_FLOAT_TINY = 1e-130
_FLOAT_HUGE = 1e126
_CONTEXT = Context(prec=_MAX_DIGITS + 2)
_DIGITS = frozenset("0123456789")


def int_text(value: Any) -> str:
    """The N text of an int: at most 38 significant digits, magnitude below 1e126."""
    if value.__class__ is int and -_INT_LIMIT < value < _INT_LIMIT:
        return str(value)
    if not isinstance(value, int):
        raise _expected("an int", value)
    number = int(value)
    decimal_text(Decimal(number))  # checks precision and range
    return str(number)


def int_from_text(text: str) -> int:
    """Decode N text to an int; exponent forms from other writers are accepted if integral."""
    try:
        return int(text)
    except ValueError:
        number = Decimal(text)
        if number != number.to_integral_value():
            raise ValueError(f"{text} is not an integer") from None
        return int(number)


def float_text(value: Any) -> str:
    """The N text of a float: its shortest round-trip `repr`, never rounded."""
    if value.__class__ is float and _FLOAT_TINY <= abs(value) < _FLOAT_HUGE:
        return repr(value)
    if isinstance(value, float):
        if value == 0.0:
            return "0.0"  # DynamoDB has no negative zero
        if value != value or value in (float("inf"), float("-inf")):
            raise UnstorableError(f"DynamoDB numbers must be finite, got {value!r}")
        if _FLOAT_TINY <= abs(value) < _FLOAT_HUGE:
            return repr(float(value))
        raise UnstorableError(f"{value!r} is outside DynamoDB's number range (1e-130 to 1e126)")
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    raise _expected("a float", value)


def decimal_text(value: Any) -> str:
    """The N text of a Decimal, checked against DynamoDB's precision and range.

    Short plain-notation values are written as ``str`` writes them. Others are normalised:
    trailing zeros dropped (DynamoDB drops them too), plain notation unless the exponent is
    extreme, where the ``1E+100`` form (which DynamoDB accepts) is kept.
    """
    if value.__class__ is Decimal:
        text = str(value)
        plain = len(text) <= _MAX_DIGITS and "E" not in text and text[-1] in _DIGITS
        if plain and (text[0] != "-" or value):
            return text  # plain notation: at most 38 digits, magnitude 1e-7..1e38
    elif isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    elif not isinstance(value, Decimal):
        raise _expected("a Decimal", value)
    if not value.is_finite():
        raise UnstorableError(f"DynamoDB numbers must be finite, got {value}")
    if not value:
        return "0"
    digits = value.as_tuple().digits
    if len(digits) > _MAX_DIGITS and len("".join(map(str, digits)).rstrip("0")) > _MAX_DIGITS:
        raise UnstorableError(f"{value} has more than {_MAX_DIGITS} significant digits")
    adjusted = value.adjusted()
    if not _MIN_ADJUSTED <= adjusted <= _MAX_ADJUSTED:
        raise UnstorableError(f"{value} is outside DynamoDB's number range (1e-130 to 1e126)")
    value = value.normalize(_CONTEXT)
    if -20 <= adjusted <= 40:
        return format(value, "f")
    return str(value)


def number_from_text(text: str) -> int | Decimal:
    """Generic N decoding: int unless the text has a '.', 'e' or 'E', else Decimal."""
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


# ---------------------------------------------------------------- other scalar texts


def str_text(value: Any) -> str:
    """The S text of a str (a str subclass, such as a str enum member, gives its content)."""
    if isinstance(value, str):
        return value if value.__class__ is str else str.__str__(value)
    raise _expected("a str", value)


def bytes_text(value: Any) -> str:
    """The B text of bytes: base64, as the DynamoDB JSON protocol carries binary."""
    if not isinstance(value, bytes):
        if not isinstance(value, bytearray | memoryview):
            raise _expected("bytes", value)
        value = bytes(value)
    return b2a_base64(value, newline=False).decode("ascii")


def bytes_from_text(text: str) -> bytes:
    """Decode B text (base64) to bytes."""
    return a2b_base64(text)


def datetime_text(value: Any) -> str:
    """The S text of a datetime: fixed-width UTC ISO-8601, so text order is time order.

    The same text as `dynamap._datetimes.format_datetime` (naive means UTC), built from
    ``isoformat``, which is several times faster and always writes four-digit years.
    """
    if not isinstance(value, datetime):
        raise _expected("a datetime", value)
    moment: datetime = value
    zone = moment.tzinfo
    if zone is None:
        text = moment.isoformat()
    else:
        if zone is not UTC:
            try:
                moment = moment.astimezone(UTC)
            except (OverflowError, ValueError) as exc:
                raise UnstorableError(f"{value!r} cannot be written in UTC: {exc}") from None
        text = moment.isoformat()[:-6]  # drop "+00:00"
    return text + "Z" if moment.microsecond else text + ".000000Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def epoch_text(value: Any) -> str:
    """The N text of a datetime as whole seconds since the Unix epoch (naive = UTC)."""
    if not isinstance(value, datetime):
        raise _expected("a datetime", value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str((value - _EPOCH) // _SECOND)


def timedelta_text(value: Any) -> str:
    """The N text of a timedelta: its exact length in seconds."""
    if not isinstance(value, timedelta):
        raise _expected("a timedelta", value)
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    whole, fraction = divmod(abs(micros), 1_000_000)
    sign = "-" if micros < 0 else ""
    if fraction:
        return f"{sign}{whole}.{fraction:06d}".rstrip("0")
    return f"{sign}{whole}"


def timedelta_from_text(text: str) -> timedelta:
    """Decode N seconds (whole or fractional) to a timedelta."""
    try:
        return timedelta(seconds=int(text))
    except ValueError:
        return timedelta(microseconds=int(Decimal(text).scaleb(6, _CONTEXT)))


def datetime_from_epoch(text: str) -> datetime:
    """Decode N epoch seconds to an aware UTC datetime."""
    return _EPOCH + timedelta_from_text(text)


def date_text(value: Any) -> str:
    """The S text of a date (not a datetime): ISO-8601."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    raise _expected("a date", value)


def time_text(value: Any) -> str:
    """The S text of a time of day: ISO-8601, with its offset if it has one."""
    if isinstance(value, time):
        return value.isoformat()
    raise _expected("a time", value)


def uuid_text(value: Any) -> str:
    """The S text of a UUID: canonical lower-case hyphenated form."""
    if value.__class__ is UUID:
        return to_jsonable_python(value)  # type: ignore[no-any-return]  # faster than str()
    if isinstance(value, UUID):
        return str(value)
    raise _expected("a UUID", value)


uuid_from_text: Callable[[str], UUID] = SchemaValidator(core_schema.uuid_schema()).validate_python


def secret_str_text(value: Any) -> str:
    """The S text of a SecretStr: the secret itself (DynamoDB encrypts at rest)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return str_text(value)


def secret_bytes_text(value: Any) -> str:
    """The B text of a SecretBytes."""
    if isinstance(value, SecretBytes):
        return bytes_text(value.get_secret_value())
    return bytes_text(value)


def _bytearray_from_text(text: str) -> bytearray:
    return bytearray(a2b_base64(text))


def _identity(text: str) -> str:
    return text


_NUMERIC_BOOLS = {"0": False, "1": True}


def numeric_bool_text(value: Any) -> str:
    """The N text of a bool stored with `AsNumber`: "1" or "0"."""
    if value is True:
        return "1"
    if value is False:
        return "0"
    raise _expected("a bool", value)


def bool_from_number(text: str) -> bool:
    """Decode N "0"/"1" to a bool; anything else is rejected."""
    return _NUMERIC_BOOLS[text]


# ------------------------------------------------------------------------ converters


@dataclass(frozen=True, slots=True)
class Scalar:
    """The bare text form of a type stored as S, N or B, as used inside SS, NS and BS."""

    tag: str
    to_wire: Callable[[Any], str]
    from_wire: Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Converter:
    """How one annotated type is encoded and decoded.

    Attributes:
        encode: Python value -> attribute value; raises `UnstorableError`.
        decode: attribute value -> Python value; raises one of `DECODE_ERRORS` when the
            stored value does not have the expected shape.
        tags: the attribute types `decode` understands (used to decode unions).
        py_types: the runtime types `encode` is for (used to encode unions).
        scalar: the text form, for types a DynamoDB set can hold.
        may_be_set: encode can produce a set, so an empty one must be omitted at top level.
        exact_decode: for models, whose `decode` gives the field values for pydantic to
            validate as part of the enclosing model: a decoder that builds the validated
            instance, so that a union can tell which model fits and a set can hash it.
    """

    encode: Encoder
    decode: Decoder
    tags: frozenset[str]
    py_types: tuple[type, ...]
    scalar: Scalar | None = None
    may_be_set: bool = False
    exact_decode: Decoder | None = None


def _scalar_converter(scalar: Scalar, *py_types: type) -> Converter:
    tag, to_wire, from_wire = scalar.tag, scalar.to_wire, scalar.from_wire

    def encode(value: Any) -> AttributeValue:
        return {tag: to_wire(value)}

    def decode(av: AttributeValue) -> Any:
        return from_wire(av[tag])

    decoder: Decoder = itemgetter(tag) if from_wire is _identity else decode
    return Converter(encode, decoder, frozenset({tag}), py_types, scalar)


def _encode_str(value: Any) -> AttributeValue:
    if value.__class__ is str:
        return {"S": value}
    return {"S": str_text(value)}


def _encode_bool(value: Any) -> AttributeValue:
    if value is True or value is False:
        return {"BOOL": value}
    raise _expected("a bool", value)


def _encode_null(value: Any) -> AttributeValue:
    return {"NULL": True}


def _decode_null(av: AttributeValue) -> None:
    if av["NULL"] is not True:
        raise ValueError("NULL must be true")


STR = Converter(
    _encode_str, itemgetter("S"), frozenset({"S"}), (str,), Scalar("S", str_text, _identity)
)
BOOL = Converter(_encode_bool, itemgetter("BOOL"), frozenset({"BOOL"}), (bool,))
NULL = Converter(_encode_null, _decode_null, frozenset({"NULL"}), (NoneType,))
NUMERIC_BOOL = _scalar_converter(Scalar("N", numeric_bool_text, bool_from_number), bool)
EPOCH = _scalar_converter(Scalar("N", epoch_text, datetime_from_epoch), datetime)
DATETIME = _scalar_converter(Scalar("S", datetime_text, parse_datetime), datetime)

_LEAVES: dict[type, Converter] = {
    str: STR,
    int: _scalar_converter(Scalar("N", int_text, int_from_text), int),
    float: _scalar_converter(Scalar("N", float_text, float), float),
    Decimal: _scalar_converter(Scalar("N", decimal_text, Decimal), Decimal),
    bytes: _scalar_converter(Scalar("B", bytes_text, bytes_from_text), bytes),
    bytearray: _scalar_converter(Scalar("B", bytes_text, _bytearray_from_text), bytearray),
    date: _scalar_converter(Scalar("S", date_text, date.fromisoformat), date),
    time: _scalar_converter(Scalar("S", time_text, time.fromisoformat), time),
    timedelta: _scalar_converter(Scalar("N", timedelta_text, timedelta_from_text), timedelta),
    UUID: _scalar_converter(Scalar("S", uuid_text, uuid_from_text), UUID),
    SecretStr: _scalar_converter(Scalar("S", secret_str_text, _identity), SecretStr),
    SecretBytes: _scalar_converter(Scalar("B", secret_bytes_text, bytes_from_text), SecretBytes),
    NoneType: NULL,
}


# ------------------------------------------------------------------ generic encoding


def encode_any(value: Any) -> AttributeValue:
    """Encode by runtime type alone (see `dynamap.codec.encode_value`)."""
    encode = _ANY_ENCODERS.get(value.__class__)
    if encode is not None:
        return encode(value)
    return _encode_any_slow(value)


def _encode_any_list(value: Any) -> AttributeValue:
    return {"L": [encode_any(x) for x in value]}


def any_key(key: Any) -> str:
    """A map key, which DynamoDB requires to be a string."""
    if isinstance(key, str):
        return key if key.__class__ is str else str.__str__(key)
    raise UnstorableError(f"map keys must be str, got {describe(key)}")


def _encode_any_map(value: Any) -> AttributeValue:
    return {"M": {any_key(k): encode_any(x) for k, x in value.items()}}


def _encode_any_set(value: Any) -> AttributeValue:
    elements = [encode_any(x) for x in value]
    tags = {next(iter(av)) for av in elements}
    if len(tags) == 1:
        (tag,) = tags
        if tag in ("S", "N", "B"):
            return {tag + "S": list({av[tag]: None for av in elements})}
    return {"L": elements}


def _encode_any_model(value: Any) -> AttributeValue:
    from dynamap.codec import compile_codec  # a cycle: the codec builds on this module

    try:
        return {"M": compile_codec(type(value))._encode_map(value)}
    except UnstorableError as exc:
        exc.path.insert(0, type(value).__name__)
        raise


def _encode_any_slow(value: Any) -> AttributeValue:
    if isinstance(value, BaseModel):
        return _encode_any_model(value)
    if isinstance(value, Enum):
        return encode_any(value.value)
    for kinds, encode in _ANY_BY_KIND:
        if isinstance(value, kinds):
            return encode(value)
    try:
        plain = to_jsonable_python(value)
    except Exception:
        raise UnstorableError(
            f"DynamoDB cannot store a value of type {type(value).__name__}"
        ) from None
    return encode_any(plain)


def _by_text(tag: str, to_wire: Callable[[Any], str]) -> Encoder:
    def encode(value: Any) -> AttributeValue:
        return {tag: to_wire(value)}

    return encode


_ANY_ENCODERS: dict[type, Encoder] = {
    str: _encode_str,
    bool: _encode_bool,
    int: _by_text("N", int_text),
    float: _by_text("N", float_text),
    Decimal: _by_text("N", decimal_text),
    NoneType: _encode_null,
    bytes: _by_text("B", bytes_text),
    bytearray: _by_text("B", bytes_text),
    memoryview: _by_text("B", bytes_text),
    list: _encode_any_list,
    tuple: _encode_any_list,
    dict: _encode_any_map,
    set: _encode_any_set,
    frozenset: _encode_any_set,
    datetime: _by_text("S", datetime_text),
    date: _by_text("S", date_text),
    time: _by_text("S", time_text),
    timedelta: _by_text("N", timedelta_text),
    UUID: _by_text("S", uuid_text),
}

#: Subclasses of the types above, in an order where a subclass comes before its base.
_ANY_BY_KIND: tuple[tuple[type | tuple[type, ...], Encoder], ...] = (
    (bool, _encode_bool),
    (int, _ANY_ENCODERS[int]),
    (float, _ANY_ENCODERS[float]),
    (str, _encode_str),
    ((bytes, bytearray, memoryview), _ANY_ENCODERS[bytes]),
    (Decimal, _ANY_ENCODERS[Decimal]),
    (datetime, _ANY_ENCODERS[datetime]),
    (date, _ANY_ENCODERS[date]),
    (time, _ANY_ENCODERS[time]),
    (timedelta, _ANY_ENCODERS[timedelta]),
    (UUID, _ANY_ENCODERS[UUID]),
    (SecretStr, _by_text("S", secret_str_text)),
    (SecretBytes, _by_text("B", secret_bytes_text)),
    (Mapping, _encode_any_map),
    (AbstractSet, _encode_any_set),
    ((list, tuple, Sequence), _encode_any_list),
)


# ------------------------------------------------------------------ generic decoding


def decode_any(av: AttributeValue) -> Any:
    """Decode by wire type alone (see `dynamap.codec.decode_value`)."""
    for tag, raw in av.items():
        decode = _ANY_DECODERS.get(tag)
        if decode is None:
            raise ValueError(f"{tag!r} is not a DynamoDB attribute type")
        return decode(raw)
    raise ValueError("an attribute value must have exactly one type")


def _decode_null_raw(raw: Any) -> None:
    return None


_ANY_DECODERS: dict[str, Callable[[Any], Any]] = {
    "S": str,
    "N": number_from_text,
    "B": bytes_from_text,
    "BOOL": bool,
    "NULL": _decode_null_raw,
    "M": lambda raw: {k: decode_any(x) for k, x in raw.items()},
    "L": lambda raw: [decode_any(x) for x in raw],
    "SS": set,
    "NS": lambda raw: set(map(number_from_text, raw)),
    "BS": lambda raw: set(map(bytes_from_text, raw)),
}

ANY = Converter(encode_any, decode_any, ALL_TAGS, (object,), None, may_be_set=True)


# --------------------------------------------------------------- annotation compiler


def converter_for(annotation: Any, markers: frozenset[type] = frozenset()) -> Converter:
    """Compile the converter for a type annotation.

    Args:
        annotation: the annotation, as pydantic resolved it.
        markers: storage markers (`AsNumber`, `AsEpochSeconds`) that apply at this level.

    Raises:
        TypeError: if the type has no DynamoDB storage rule.
    """
    tp, markers = unwrap(annotation, markers)
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _union(get_args(tp), markers)
    if origin is Literal:
        return _literal(get_args(tp))
    if tp is Any or tp is object:
        return ANY
    if isinstance(tp, TypeVar):
        return converter_for(tp.__bound__) if tp.__bound__ is not None else ANY
    if origin is not None:
        return _generic(tp, origin, get_args(tp))
    if isinstance(tp, type):
        return _class(tp, markers)
    raise TypeError(f"no DynamoDB storage rule for {tp!r} (is it a forward reference?)")


def unwrap(tp: Any, markers: frozenset[type] = frozenset()) -> tuple[Any, frozenset[type]]:
    """Strip Annotated, NewType and type aliases, collecting storage markers."""
    while True:
        if get_origin(tp) is Annotated:
            found = {type(m) for m in tp.__metadata__ if isinstance(m, MARKERS)}
            markers = markers | found
            tp = tp.__origin__
        elif hasattr(tp, "__supertype__"):
            tp = tp.__supertype__
        elif type(tp).__name__ == "TypeAliasType":
            tp = tp.__value__
        else:
            return tp, markers


def leaf_types(annotation: Any) -> set[Any]:
    """The types a field may hold at its top level, through Optional, unions and Annotated."""
    tp, _ = unwrap(annotation)
    if get_origin(tp) in (Union, types.UnionType):
        return set().union(*(leaf_types(arg) for arg in get_args(tp)))
    return {tp}


def _class(tp: type, markers: frozenset[type]) -> Converter:
    if tp is bool:
        return NUMERIC_BOOL if AsNumber in markers else BOOL
    if issubclass(tp, Enum):
        return _enum(tp)
    if issubclass(tp, BaseModel):
        return _model(tp)
    if issubclass(tp, datetime):
        return EPOCH if AsEpochSeconds in markers else DATETIME
    leaf = _LEAVES.get(tp)
    if leaf is not None:
        return leaf
    if issubclass(tp, (list, tuple, deque, AbstractSet, Mapping)):
        return _generic(tp, tp, ())
    for base, converter in _LEAVES.items():
        if issubclass(tp, base):
            return converter
    return _adapted(tp)


def _generic(tp: Any, origin: Any, args: tuple[Any, ...]) -> Converter:
    if not isinstance(origin, type):
        return _adapted(tp)
    first = args[0] if args else Any
    if issubclass(origin, Mapping):
        return _map(first, args[1] if len(args) > 1 else Any)
    if issubclass(origin, AbstractSet):
        return _set(first, frozen=issubclass(origin, frozenset))
    if origin is tuple:
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return _list(first, make=tuple)
        return _tuple(args)
    if issubclass(origin, Iterable) and not issubclass(origin, (str, bytes, bytearray)):
        return _list(first, make=list)
    return _adapted(tp)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(
        value, str | bytes | bytearray | Mapping | BaseModel
    )


def _list(element: Any, *, make: type) -> Converter:
    item = converter_for(element)
    encode_item, decode_item = item.encode, item.decode

    def encode(value: Any) -> AttributeValue:
        if value.__class__ is not list and not _is_sequence(value):
            raise _expected("a sequence", value)
        return {"L": [encode_item(x) for x in value]}

    def encode_strings(value: Any) -> AttributeValue:
        if value.__class__ is not list and not _is_sequence(value):
            raise _expected("a sequence", value)
        return {"L": [{"S": x} if x.__class__ is str else _encode_str(x) for x in value]}

    def decode_list(av: AttributeValue) -> Any:
        return [decode_item(x) for x in av["L"]]

    def decode_tuple(av: AttributeValue) -> Any:
        return tuple([decode_item(x) for x in av["L"]])

    decode = decode_list if make is list else decode_tuple
    py_types = (make,) if make is tuple else (list, tuple)
    return Converter(encode_strings if item is STR else encode, decode, frozenset({"L"}), py_types)


def _tuple(args: tuple[Any, ...]) -> Converter:
    parts = [converter_for(arg) for arg in args]
    encoders = [part.encode for part in parts]
    decoders = [part.decode for part in parts]

    def encode(value: Any) -> AttributeValue:
        if not isinstance(value, Sequence) or isinstance(value, str | bytes):
            raise _expected("a tuple", value)
        if len(value) != len(encoders):
            raise UnstorableError(f"expected a tuple of {len(encoders)}, got {len(value)} items")
        return {"L": [enc(x) for enc, x in zip(encoders, value, strict=True)]}

    def decode(av: AttributeValue) -> Any:
        return tuple([dec(x) for dec, x in zip(decoders, av["L"], strict=True)])

    return Converter(encode, decode, frozenset({"L"}), (tuple,))


def _set(element: Any, *, frozen: bool) -> Converter:
    item = converter_for(element)
    make: type = frozenset if frozen else set
    encode_item, decode_item = item.encode, item.exact_decode or item.decode

    def decode_list(av: AttributeValue) -> Any:
        return make([decode_item(x) for x in av["L"]])

    scalar = item.scalar
    if scalar is None:

        def encode_list(value: Any) -> AttributeValue:
            _check_collection(value)
            return {"L": [encode_item(x) for x in value]}

        return Converter(encode_list, decode_list, frozenset({"L"}), (set, frozenset), None, True)
    set_tag, to_wire, from_wire = scalar.tag + "S", scalar.to_wire, scalar.from_wire

    def encode(value: Any) -> AttributeValue:
        _check_collection(value)
        if not value:
            return {"L": []}
        return {set_tag: list({to_wire(x): None for x in value})}

    def encode_strings(value: Any) -> AttributeValue:
        _check_collection(value)
        if not value:
            return {"L": []}
        # distinct set members are distinct strings: nothing to de-duplicate
        return {"SS": [x if x.__class__ is str else str_text(x) for x in value]}

    def decode(av: AttributeValue) -> Any:
        raw = av.get(set_tag)
        if raw is None:
            return decode_list(av)
        return make(raw) if from_wire is _identity else make(map(from_wire, raw))

    encoder = encode_strings if item is STR else encode
    return Converter(encoder, decode, frozenset({set_tag, "L"}), (set, frozenset), None, True)


def _check_collection(value: Any) -> None:
    if value.__class__ is not set and value.__class__ is not frozenset and not _is_sequence(value):
        raise _expected("a set", value)


def _map(key_type: Any, value_type: Any) -> Converter:
    keys = converter_for(key_type)
    key_text: Callable[[Any], str]
    key_from: Callable[[str], Any] | None
    if keys is ANY or keys is STR:
        key_text, key_from = any_key, None
    elif keys.scalar is not None and keys.scalar.tag == "S":
        key_text, key_from = keys.scalar.to_wire, keys.scalar.from_wire
    else:
        raise TypeError(
            f"a DynamoDB map needs str keys, and {key_type!r} is not stored as a string"
        )
    values = converter_for(value_type)
    encode_value, decode_value = values.encode, values.decode

    def encode(value: Any) -> AttributeValue:
        if not isinstance(value, Mapping):
            raise _expected("a mapping", value)
        return {
            "M": {
                (k if k.__class__ is str else key_text(k)): encode_value(x)
                for k, x in value.items()
            }
        }

    def decode(av: AttributeValue) -> Any:
        return {k: decode_value(x) for k, x in av["M"].items()}

    def decode_keys(av: AttributeValue) -> Any:
        assert key_from is not None
        return {key_from(k): decode_value(x) for k, x in av["M"].items()}

    return Converter(encode, decode if key_from is None else decode_keys, frozenset({"M"}), (dict,))


def _model(model: type[BaseModel]) -> Converter:
    from dynamap.codec import compile_codec  # a cycle: the codec builds on this module

    codec = compile_codec(model)

    def encode(value: Any) -> AttributeValue:
        if not isinstance(value, model):
            if not isinstance(value, Mapping):
                raise _expected(f"a {model.__name__}", value)
            try:
                value = model.model_validate(value)
            except ValueError as exc:
                raise UnstorableError(str(exc)) from None
        return {"M": codec._encode_map(value)}

    def decode(av: AttributeValue) -> Any:
        return codec._read_for_validation(av["M"])

    def decode_exact(av: AttributeValue) -> Any:
        return codec.decode(av["M"])

    return Converter(encode, decode, frozenset({"M"}), (model,), exact_decode=decode_exact)


def _enum(enum: type[Enum]) -> Converter:
    value_types = list(dict.fromkeys(type(member.value) for member in enum))
    inner = converter_for(value_types[0]) if len(value_types) == 1 else ANY
    if inner.scalar is not None:
        inner_text, inner_from = inner.scalar.to_wire, inner.scalar.from_wire

        def to_wire(value: Any) -> str:
            return inner_text(_member(enum, value).value)

        def from_wire(text: str) -> Any:
            return enum(inner_from(text))

        return _scalar_converter(Scalar(inner.scalar.tag, to_wire, from_wire), enum)
    inner_encode, inner_decode = inner.encode, inner.decode

    def encode(value: Any) -> AttributeValue:
        return inner_encode(_member(enum, value).value)

    def decode(av: AttributeValue) -> Any:
        return enum(inner_decode(av))

    return Converter(encode, decode, inner.tags, (enum,))


def _member(enum: type[Enum], value: Any) -> Enum:
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        raise UnstorableError(f"{value!r} is not a {enum.__name__}") from None


def _literal(values: tuple[Any, ...]) -> Converter:
    kinds = list(dict.fromkeys(type(v) for v in values))
    return _union(tuple(kinds), frozenset())


def _union(args: tuple[Any, ...], markers: frozenset[type]) -> Converter:
    optional = NoneType in args
    members = [converter_for(arg, markers) for arg in args if arg is not NoneType]
    if not members:
        return NULL
    converter = members[0] if len(members) == 1 else _dispatch(members)
    return _optional(converter) if optional and converter is not ANY else converter


def _optional(inner: Converter) -> Converter:
    inner_encode, inner_decode = inner.encode, inner.decode

    def encode(value: Any) -> AttributeValue:
        if value is None:
            return {"NULL": True}
        return inner_encode(value)

    def decode(av: AttributeValue) -> Any:
        if "NULL" in av:
            return None
        return inner_decode(av)

    return Converter(
        encode, decode, inner.tags | {"NULL"}, (*inner.py_types, NoneType), None, inner.may_be_set
    )


def _dispatch(members: list[Converter]) -> Converter:
    """A union: encode by the value's runtime type, decode by the wire type, in order."""
    encode = _dispatch_encoder([(m.py_types, m.encode) for m in members])
    table: dict[str, list[Decoder]] = {}
    for member in members:
        for tag in member.tags:
            table.setdefault(tag, []).append(member.exact_decode or member.decode)
    decode = _dispatch_decoder({tag: tuple(decoders) for tag, decoders in table.items()})
    scalars = [m.scalar for m in members]
    scalar = None
    if all(s is not None for s in scalars) and len({s.tag for s in scalars if s}) == 1:
        scalar = _union_scalar([s for s in scalars if s is not None], members)
    tags = frozenset().union(*(m.tags for m in members))
    py_types = tuple(dict.fromkeys(t for m in members for t in m.py_types))
    may_be_set = any(m.may_be_set for m in members)
    return Converter(encode, decode, tags, py_types, scalar, may_be_set)


def _dispatch_encoder(
    options: list[tuple[tuple[type, ...], Callable[[Any], T]]],
) -> Callable[[Any], T]:
    by_type: dict[type, list[Callable[[Any], T]]] = {}
    for kinds, encoder in options:
        for kind in kinds:
            by_type.setdefault(kind, []).append(encoder)

    def encode(value: Any) -> T:
        candidates = by_type.get(value.__class__)
        if candidates is None:
            candidates = [enc for kinds, enc in options if isinstance(value, kinds)]
        problem = None
        for candidate in candidates:
            try:
                return candidate(value)
            except UnstorableError as exc:
                problem = exc
        if problem is not None:
            raise problem
        raise UnstorableError(f"{describe(value)} matches no type of the union")

    return encode


def _dispatch_decoder(table: dict[str, tuple[Callable[[Any], Any], ...]]) -> Decoder:
    def decode(av: AttributeValue) -> Any:
        for tag in av:
            for candidate in table.get(tag, ()):
                try:
                    return candidate(av)
                except DECODE_ERRORS:
                    pass
            return decode_any(av)
        raise ValueError("an attribute value must have exactly one type")

    return decode


def _union_scalar(scalars: list[Scalar], members: list[Converter]) -> Scalar:
    to_wire = _dispatch_encoder(
        [(m.py_types, s.to_wire) for m, s in zip(members, scalars, strict=True)]
    )
    readers = tuple(s.from_wire for s in scalars)

    def from_wire(text: str) -> Any:
        for reader in readers:
            try:
                return reader(text)
            except DECODE_ERRORS:
                pass
        return number_from_text(text) if scalars[0].tag == "N" else text

    return Scalar(scalars[0].tag, to_wire, from_wire)


def _adapted(tp: Any) -> Converter:
    """A type with no rule of its own: stored as pydantic's JSON form, validated back."""
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
    except Exception as exc:
        raise TypeError(f"no DynamoDB storage rule for {tp!r}: {exc}") from None
    dump = adapter.dump_python

    def encode(value: Any) -> AttributeValue:
        try:
            plain = dump(value, mode="json")
        except Exception as exc:
            raise UnstorableError(f"{describe(value)} cannot be serialised: {exc}") from None
        return encode_any(plain)

    return Converter(encode, decode_any, ALL_TAGS, (tp,) if isinstance(tp, type) else ())
