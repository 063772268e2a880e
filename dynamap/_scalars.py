"""Scalar converters: single Python values to DynamoDB attribute values and back.

DynamoDB JSON carries numbers as text (N), binary as base64 text (B) and strings as
they are (S); sets (SS, NS, BS) hold the same texts. This module has one function per
Python type for each direction, each checking what DynamoDB would reject: numbers
beyond 38 significant digits or outside 1e-130..1e126, non-finite floats, values of
the wrong type. It also defines `Converter`, the compiled encode/decode pair that
`dynamap._converters` builds per annotation, and the converters of the leaf types.
Containers and unions are combined from these in `dynamap._containers`.
"""

from __future__ import annotations

from binascii import a2b_base64, b2a_base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Context, Decimal
from operator import itemgetter
from typing import Any
from uuid import UUID

from pydantic import SecretBytes, SecretStr
from pydantic_core import SchemaValidator, core_schema, to_jsonable_python

from dynamap._datetimes import parse_datetime

AttributeValue = dict[str, Any]
Encoder = Callable[[Any], AttributeValue]
Decoder = Callable[[AttributeValue], Any]

NoneType = type(None)


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


def expected(what: str, value: object) -> UnstorableError:
    """The error for a value of the wrong type."""
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
        raise expected("an int", value)
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
    raise expected("a float", value)


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
        raise expected("a Decimal", value)
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
    raise expected("a str", value)


def bytes_text(value: Any) -> str:
    """The B text of bytes: base64, as the DynamoDB JSON protocol carries binary."""
    if not isinstance(value, bytes):
        if not isinstance(value, bytearray | memoryview):
            raise expected("bytes", value)
        value = bytes(value)
    return b2a_base64(value, newline=False).decode("ascii")


def bytes_from_text(text: str) -> bytes:
    """Decode B text (base64) to bytes."""
    return a2b_base64(text)


_NO_OFFSET = timedelta(0)


def datetime_text(value: Any) -> str:
    """The S text of a datetime: fixed-width UTC ISO-8601, so text order is time order.

    The same text as `dynamap._datetimes.format_datetime`, built from ``isoformat``,
    which is several times faster and always writes four-digit years. A naive datetime
    is refused (see `refuse_naive`).
    """
    if not isinstance(value, datetime):
        raise expected("a datetime", value)
    moment: datetime = value
    zone = moment.tzinfo
    if zone is None:
        raise refuse_naive(moment)
    if zone is not UTC and moment.utcoffset() != _NO_OFFSET:  # e.g. pydantic's TzInfo(0)
        try:
            moment = moment.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise UnstorableError(f"{value!r} cannot be written in UTC: {exc}") from None
    text = moment.isoformat()[:-6]  # drop "+00:00"
    return text + "Z" if moment.microsecond else text + ".000000Z"


def refuse_naive(value: datetime) -> UnstorableError:
    """The error for a naive datetime: dynamap stores instants in UTC and reads them back
    aware, so a naive value would come back different from what was written."""
    return UnstorableError(
        f"{value!r} is a naive datetime (no time zone), which would read back as an aware "
        "UTC datetime, not equal to it; give it a zone, e.g. datetime.now(UTC) or "
        "value.replace(tzinfo=UTC), or annotate the field AwareDatetime to have pydantic "
        "refuse naive input"
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def epoch_text(value: Any) -> str:
    """The N text of a datetime as whole seconds since the Unix epoch (naive: refused)."""
    if not isinstance(value, datetime):
        raise expected("a datetime", value)
    if value.tzinfo is None:
        raise refuse_naive(value)
    return str((value - _EPOCH) // _SECOND)


def timedelta_text(value: Any) -> str:
    """The N text of a timedelta: its exact length in seconds."""
    if not isinstance(value, timedelta):
        raise expected("a timedelta", value)
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
    raise expected("a date", value)


def time_text(value: Any) -> str:
    """The S text of a time of day: ISO-8601, with its offset if it has one."""
    if isinstance(value, time):
        return value.isoformat()
    raise expected("a time", value)


def uuid_text(value: Any) -> str:
    """The S text of a UUID: canonical lower-case hyphenated form."""
    if value.__class__ is UUID:
        return to_jsonable_python(value)  # type: ignore[no-any-return]  # faster than str()
    if isinstance(value, UUID):
        return str(value)
    raise expected("a UUID", value)


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


def bytearray_from_text(text: str) -> bytearray:
    """Decode B text (base64) to a bytearray."""
    return bytearray(a2b_base64(text))


def identity(text: str) -> str:
    """S text is the str itself."""
    return text


_NUMERIC_BOOLS = {"0": False, "1": True}


def numeric_bool_text(value: Any) -> str:
    """The N text of a bool stored with `AsNumber`: "1" or "0"."""
    if value is True:
        return "1"
    if value is False:
        return "0"
    raise expected("a bool", value)


def bool_from_number(text: str) -> bool:
    """Decode N "0"/"1" to a bool; anything else is rejected."""
    return _NUMERIC_BOOLS[text]


# ------------------------------------------------------------- leaf attribute values


def encode_str(value: Any) -> AttributeValue:
    """A str (or str subclass) as S."""
    if value.__class__ is str:
        return {"S": value}
    return {"S": str_text(value)}


def encode_bool(value: Any) -> AttributeValue:
    """A bool as BOOL."""
    if value is True or value is False:
        return {"BOOL": value}
    raise expected("a bool", value)


def encode_null(value: Any) -> AttributeValue:
    """None as NULL."""
    return {"NULL": True}


def decode_null(av: AttributeValue) -> None:
    """NULL (which must be true) as None."""
    if av["NULL"] is not True:
        raise ValueError("NULL must be true")


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


def scalar_converter(scalar: Scalar, *py_types: type) -> Converter:
    """The converter of a type stored as the text `scalar` gives it."""
    tag, to_wire, from_wire = scalar.tag, scalar.to_wire, scalar.from_wire

    def encode(value: Any) -> AttributeValue:
        return {tag: to_wire(value)}

    def decode(av: AttributeValue) -> Any:
        return from_wire(av[tag])

    decoder: Decoder = itemgetter(tag) if from_wire is identity else decode
    return Converter(encode, decoder, frozenset({tag}), py_types, scalar)


STR = Converter(
    encode_str, itemgetter("S"), frozenset({"S"}), (str,), Scalar("S", str_text, identity)
)
BOOL = Converter(encode_bool, itemgetter("BOOL"), frozenset({"BOOL"}), (bool,))
NULL = Converter(encode_null, decode_null, frozenset({"NULL"}), (NoneType,))
NUMERIC_BOOL = scalar_converter(Scalar("N", numeric_bool_text, bool_from_number), bool)
EPOCH = scalar_converter(Scalar("N", epoch_text, datetime_from_epoch), datetime)
DATETIME = scalar_converter(Scalar("S", datetime_text, parse_datetime), datetime)

#: The converters of the leaf types, by exact type.
LEAVES: dict[type, Converter] = {
    str: STR,
    int: scalar_converter(Scalar("N", int_text, int_from_text), int),
    float: scalar_converter(Scalar("N", float_text, float), float),
    Decimal: scalar_converter(Scalar("N", decimal_text, Decimal), Decimal),
    bytes: scalar_converter(Scalar("B", bytes_text, bytes_from_text), bytes),
    bytearray: scalar_converter(Scalar("B", bytes_text, bytearray_from_text), bytearray),
    date: scalar_converter(Scalar("S", date_text, date.fromisoformat), date),
    time: scalar_converter(Scalar("S", time_text, time.fromisoformat), time),
    timedelta: scalar_converter(Scalar("N", timedelta_text, timedelta_from_text), timedelta),
    UUID: scalar_converter(Scalar("S", uuid_text, uuid_from_text), UUID),
    SecretStr: scalar_converter(Scalar("S", secret_str_text, identity), SecretStr),
    SecretBytes: scalar_converter(Scalar("B", secret_bytes_text, bytes_from_text), SecretBytes),
    NoneType: NULL,
}
