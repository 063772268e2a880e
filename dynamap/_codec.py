"""Conversion between pydantic models and DynamoDB's JSON wire format.

The DynamoDB HTTP API speaks JSON in which every value is tagged with its type::

    {"S": "text"}   {"N": "1.5"}    {"B": "<base64>"}   {"BOOL": true}   {"NULL": true}
    {"M": {"name": <value>, ...}}   {"L": [<value>, ...]}
    {"SS": ["a", "b"]}   {"NS": ["1", "2.5"]}   {"BS": ["<base64>", ...]}

Numbers travel as text, so they keep their exact digits; binary travels as base64 text.
An item is a JSON object of attribute name -> tagged value. This module produces and
reads exactly that JSON (it is sent with orjson, never through boto3's serializers).

`compile_codec` walks a model's fields once and builds one encoder and one decoder
closure per field; `ModelCodec.encode` and `ModelCodec.decode` then just run them.

Storage rules, chosen by the field's annotation:

- ``str`` -> S (the empty string is allowed outside keys); ``bool`` -> BOOL, or N "0"/"1"
  with the `AsNumber` marker (`NumericBool`); ``int``, ``float``, ``Decimal`` -> N and back
  to the annotated type. A float is written as its shortest round-trip ``repr``; NaN,
  infinities, more than 38 significant digits and magnitudes outside 1e-130..1e126 are
  rejected, as DynamoDB would reject them.
- ``bytes``/``bytearray`` -> B. ``datetime`` -> S in the fixed-width UTC form of
  `dynamap._datetimes` (string order is time order), or N whole epoch seconds with
  `AsEpochSeconds` (`EpochSeconds`) or when listed in ``epoch_fields``; it reads back as an
  aware UTC datetime. ``date``/``time`` -> S ISO-8601; ``timedelta`` -> N seconds;
  ``UUID`` -> S; an ``Enum`` -> its value (read back as the member); ``Literal`` -> by the
  type of its values.
- ``set``/``frozenset`` of a type stored as S, N or B -> SS, NS or BS; of anything else -> L.
  DynamoDB has no empty set: a field holding an empty set is left out of the item and reads
  back as the field's default, so declare set fields with ``Field(default_factory=set)``.
  An empty set *inside* a list or map is written as an empty L, which reads back as an
  empty set.
- ``list``/``tuple``/sequences -> L; ``dict``/mappings with string keys -> M (a key type
  that is not stored as a string is refused when the model is compiled); a nested model
  -> M with that model's own codec (self-referencing models work).
- ``X | None`` -> X. A field whose value is None is left out of the item (not NULL);
  None inside a list or map is NULL. Other unions encode by the value's runtime type and
  decode by the stored type, trying the members in order. ``Any`` uses `encode_value` and
  `decode_value`. Types with no rule of their own are stored as pydantic's JSON form.

Attribute names are the fields' pydantic aliases (serialization alias first), else the
field names. Decoding ignores attributes that are not fields (keys, entity markers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import orjson
from pydantic import AliasChoices, AliasPath, BaseModel

from dynamap import _nested
from dynamap._converters import (
    DECODE_ERRORS,
    AttributeValue,
    Converter,
    Decoder,
    UnstorableError,
    converter_for,
    decode_any,
    encode_any,
    leaf_types,
)
from dynamap._identity import Item
from dynamap._storage import AsEpochSeconds, AsNumber
from dynamap.errors import InvalidValue, ItemTooLarge

__all__ = [
    "MAX_ITEM_BYTES",
    "MAX_NESTING",
    "AttributeValue",
    "Item",
    "ModelCodec",
    "check_nesting",
    "compile_codec",
    "decode_value",
    "encode_value",
    "item_size",
]

M = TypeVar("M", bound=BaseModel)

#: DynamoDB's maximum item size, names and values included.
MAX_ITEM_BYTES = 400 * 1024
#: DynamoDB's limit on nesting: an attribute is level 1, each map or list in it one more.
MAX_NESTING = 32

_FieldEncoder = Callable[[Any], AttributeValue | None]  # None: leave the attribute out
_Write = tuple[str, str, _FieldEncoder]  # field name, attribute name, encoder
_Read = tuple[str, str, Decoder]  # attribute name, output key, decoder


class _Plan:
    """The compiled per-field closures of one model.

    `passthrough` is set when the model can read stored attributes that are not its
    fields (a `mode="before"` or `"wrap"` model validator, a validation alias,
    `extra="allow"`): decoding then hands those attributes to pydantic as well, so an
    item written by an older version of the model can be upgraded on the way in.
    """

    __slots__ = (
        "by_field",
        "field_attributes",
        "passthrough",
        "read_attributes",
        "read_validation",
        "writes",
    )

    def __init__(
        self,
        writes: tuple[_Write, ...],
        reads: tuple[_Read, ...],
        validation_keys: list[str],
        passthrough: bool,
    ) -> None:
        self.writes = writes
        self.by_field = {name: (attr, encode) for name, attr, encode in writes}
        self.read_attributes = reads
        self.field_attributes = frozenset(attr for attr, _, _ in reads)
        pairs = zip(reads, validation_keys, strict=True)
        self.read_validation = tuple((attr, key, decode) for (attr, _, decode), key in pairs)
        self.passthrough = passthrough


class ModelCodec(Generic[M]):
    """Encodes instances of one pydantic model to DynamoDB items and decodes them back.

    Build one with `compile_codec`, which caches it per model class.

    Attributes:
        model: the model class.
        attribute_names: field name -> the attribute name it is stored under.
    """

    __slots__ = ("_epoch_fields", "_plan", "attribute_names", "model", "reserved")

    def __init__(self, model: type[M], epoch_fields: frozenset[str]) -> None:
        fields = model.model_fields
        unknown = sorted(epoch_fields - fields.keys())
        if unknown:
            raise TypeError(f"{model.__name__} has no field {unknown[0]!r} (in epoch_fields)")
        self.model = model
        self.attribute_names: Mapping[str, str] = MappingProxyType(
            {name: info.serialization_alias or info.alias or name for name, info in fields.items()}
        )
        taken: dict[str, str] = {}
        for name, attr in self.attribute_names.items():
            if attr in taken:
                raise TypeError(
                    f"{model.__name__}.{name} and .{taken[attr]} are both stored as {attr!r}"
                )
            taken[attr] = name
        self._epoch_fields = epoch_fields
        self._plan: _Plan | None = None
        #: Attributes the model's table gives every item (keys, entity), never handed to
        #: pydantic as data; set by the compiler.
        self.reserved: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"ModelCodec({self.model.__name__})"

    # ------------------------------------------------------------------ encoding

    def encode(self, instance: M, *, size_check: bool = True) -> Item:
        """Encode a model instance as a DynamoDB item.

        Fields whose value is None and set fields holding an empty set are left out.

        Args:
            instance: the model instance.
            size_check: check the 400 KB limit here; a caller that adds attributes
                (keys, the entity) turns it off and calls `check_item_size` on the result.

        Raises:
            InvalidValue: a value cannot be stored; the message names the model and field.
            ItemTooLarge: the item is over DynamoDB's 400 KB limit.
        """
        if not isinstance(instance, self.model):
            raise TypeError(f"expected a {self.model.__name__}, got {type(instance).__name__}")
        try:
            item = self._encode_map(instance)
        except UnstorableError as exc:
            raise _invalid(self.model, exc) from None
        except RecursionError:
            raise _too_deep(f"a {self.model.__name__} item") from None
        if size_check:
            self.check_item_size(item)
        return item

    def encode_field(self, field: str, value: object) -> AttributeValue | None:
        """Encode one field's value as it is stored, e.g. for an update or a key.

        Returns:
            The attribute value, or None when the value would be left out of the item
            (None, or an empty set).

        Raises:
            InvalidValue: the model has no such field, or the value cannot be stored.
        """
        entry = (self._plan or self._compile()).by_field.get(field)
        if entry is None:
            raise InvalidValue(f"{self.model.__name__} has no field {field!r}")
        if value is None:
            return None
        try:
            encoded = entry[1](value)
        except UnstorableError as exc:
            exc.path.insert(0, field)
            raise _invalid(self.model, exc) from None
        except RecursionError:
            raise _too_deep(f"{self.model.__name__}.{field}") from None
        if encoded is not None:
            _check_json(self.model, field, encoded)
            check_nesting(encoded, f"{self.model.__name__}.{field}")
        return encoded

    def _encode_map(self, instance: BaseModel) -> Item:
        """The attributes of an instance, without the size check; raises `UnstorableError`."""
        plan = self._plan or self._compile()
        values = instance.__dict__
        item: Item = {}
        name = ""
        try:
            for name, attr, encode in plan.writes:
                value = values.get(name)
                if value is not None:
                    encoded = encode(value)
                    if encoded is not None:
                        item[attr] = encoded
        except UnstorableError as exc:
            exc.path.insert(0, name)
            raise
        return item

    def check_item_size(self, item: Item) -> None:
        """Raise `ItemTooLarge` if `item` is over DynamoDB's 400 KB item limit.

        The item's JSON text is never smaller than its size by DynamoDB's rules, so the
        rules are only walked for items whose JSON is over the limit.
        """
        try:
            text = orjson.dumps(item)
        except orjson.JSONEncodeError:
            for name, attr in self.attribute_names.items():
                if attr in item:
                    _check_json(self.model, name, item[attr])
            raise
        # Each level of nesting is one map or list tag, so few tags mean shallow items:
        # only an item with many is walked.
        if text.count(b'{"M":') + text.count(b'{"L":') >= MAX_NESTING:
            for attr, value in item.items():
                check_nesting(value, f"{self.model.__name__} attribute {attr!r}")
        length = len(text)
        if length > MAX_ITEM_BYTES:
            size = item_size(item)
            if size > MAX_ITEM_BYTES:
                raise ItemTooLarge(
                    f"a {self.model.__name__} item is {size} bytes, over DynamoDB's"
                    f" limit of {MAX_ITEM_BYTES} bytes",
                    size=size,
                )

    # ------------------------------------------------------------------ decoding

    def decode(self, item: Mapping[str, AttributeValue]) -> M:
        """Decode an item into a validated model instance.

        Missing attributes take the field default. Attributes that are not fields are
        left out, unless the model can read them (see `_Plan`): then they reach
        pydantic too, decoded by their stored type.

        Raises:
            pydantic.ValidationError: the stored data does not fit the model.
            ValueError: an attribute is not DynamoDB JSON.
        """
        plan = self._plan or self._compile()
        values = self._read(plan.read_validation, item)
        if plan.passthrough:
            self._add_other_attributes(plan, item, values)
        # what `model_validate` runs, without its per-call argument checks
        instance: M = self.model.__pydantic_validator__.validate_python(values)
        return instance

    def _add_other_attributes(
        self, plan: _Plan, item: Mapping[str, AttributeValue], values: dict[str, Any]
    ) -> None:
        for attr, stored in item.items():
            if attr not in plan.field_attributes and attr not in self.reserved:
                values.setdefault(attr, self._decode_loosely(attr, stored))

    def decode_fields(self, item: Mapping[str, AttributeValue]) -> dict[str, object]:
        """Decode the field attributes of an item to Python values, keyed by attribute name.

        No model is built and nothing is validated beyond the conversion itself; a nested
        model comes back as a dict of its decoded fields (unless it is in a union or a set).
        """
        plan = self._plan or self._compile()
        return self._read(plan.read_attributes, item)

    def _read_for_validation(self, item: Mapping[str, AttributeValue]) -> dict[str, Any]:
        """The decoded fields keyed as model_validate reads them (for nested models)."""
        plan = self._plan or self._compile()
        return self._read(plan.read_validation, item)

    def _read(self, reads: tuple[_Read, ...], item: Mapping[str, AttributeValue]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        get = item.get
        for attr, key, decode in reads:
            stored = get(attr)
            if stored is not None:
                try:
                    values[key] = decode(stored)
                except DECODE_ERRORS:
                    values[key] = self._decode_loosely(attr, stored)
        return values

    def _decode_loosely(self, attr: str, stored: AttributeValue) -> Any:
        """A stored value of an unexpected shape: decode it generically, let pydantic judge."""
        try:
            return decode_any(stored)
        except DECODE_ERRORS as exc:
            raise ValueError(
                f"{self.model.__name__}: attribute {attr!r} is not a DynamoDB value: {exc}"
            ) from None

    # ----------------------------------------------------------------- compiling

    def _compile(self) -> _Plan:
        with _LOCK:
            if self._plan is None:
                if not self.model.__pydantic_complete__:
                    self.model.model_rebuild()
                self._plan = _build_plan(self.model, self._epoch_fields)
            return self._plan


def _build_plan(model: type[BaseModel], epoch_fields: frozenset[str]) -> _Plan:
    writes: list[_Write] = []
    reads: list[_Read] = []
    keys: list[str] = []
    for name, info in model.model_fields.items():
        attr = info.serialization_alias or info.alias or name
        markers = frozenset(
            type(marker)
            for marker in info.metadata
            if isinstance(marker, AsNumber | AsEpochSeconds)
        )
        if name in epoch_fields:
            markers |= {AsEpochSeconds}
        try:
            converter = converter_for(info.annotation, markers)
            _check_markers(info.annotation, markers, converter, ttl=name in epoch_fields)
        except TypeError as exc:
            raise TypeError(f"{model.__name__}.{name}: {exc}") from None
        writes.append((name, attr, _field_encoder(converter)))
        reads.append((attr, attr, converter.decode))
        keys.append(_validation_key(model, name, info.validation_alias, info.alias))
    return _Plan(tuple(writes), tuple(reads), keys, _reads_other_attributes(model))


def _reads_other_attributes(model: type[BaseModel]) -> bool:
    """Whether validating `model` can use input keys that are not its stored fields."""
    validators = model.__pydantic_decorators__.model_validators.values()
    if any(validator.info.mode in ("before", "wrap") for validator in validators):
        return True
    if model.model_config.get("extra") == "allow":
        return True
    return any(info.validation_alias is not None for info in model.model_fields.values())


def _check_markers(
    annotation: Any, markers: frozenset[type], converter: Converter, *, ttl: bool
) -> None:
    leaves = leaf_types(annotation)
    if AsNumber in markers and bool not in leaves:
        raise TypeError("AsNumber (NumericBool) applies to bool fields only")
    if AsEpochSeconds not in markers or any(
        isinstance(leaf, type) and issubclass(leaf, datetime) for leaf in leaves
    ):
        return
    if not ttl:
        raise TypeError("AsEpochSeconds (EpochSeconds) applies to datetime fields only")
    if not converter.tags <= {"N", "NULL"}:
        raise TypeError("an epoch-seconds (TTL) field must be a datetime or a number")


def _field_encoder(converter: Converter) -> _FieldEncoder:
    """A field's encoder; for fields that may hold a set, an empty set is left out."""
    encode = converter.encode
    if not converter.may_be_set:
        return encode

    def encode_field(value: Any) -> Any:
        if not value and isinstance(value, set | frozenset):
            return None
        return encode(value)

    return encode_field


def _validation_key(model: type[BaseModel], name: str, alias: Any, plain_alias: str | None) -> str:
    """The key under which model_validate accepts a field's value."""
    config = model.model_config
    if config.get("validate_by_alias", True) is False:
        return name
    if alias is None:
        return plain_alias or name
    if isinstance(alias, str):
        return alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
    for choice in choices:
        if isinstance(choice, str):
            return choice
        if isinstance(choice, AliasPath) and len(choice.path) == 1:
            return str(choice.path[0])
    if config.get("validate_by_name") or config.get("populate_by_name"):
        return name
    raise TypeError(f"{model.__name__}.{name}: its validation alias has no plain name to read into")


def check_nesting(value: AttributeValue, where: str) -> None:
    """Refuse a value nested deeper than DynamoDB's `MAX_NESTING` levels.

    Raises:
        InvalidValue: the value is too deep.
    """
    level = [(value, 1)]
    while level:
        current, depth = level.pop()
        inner = current.get("M") or current.get("L")
        if not inner:
            continue
        if depth >= MAX_NESTING:
            raise _too_deep(where)
        children = inner.values() if isinstance(inner, dict) else inner
        level.extend((child, depth + 1) for child in children if isinstance(child, dict))


def _too_deep(where: str) -> InvalidValue:
    return InvalidValue(
        f"cannot store {where}: it is nested more than {MAX_NESTING} levels deep, DynamoDB's limit"
    )


def _invalid(model: type[BaseModel], exc: UnstorableError) -> InvalidValue:
    where = ".".join([model.__name__, *exc.path])
    return InvalidValue(f"cannot store {where}: {exc.problem}")


def _check_json(model: type[BaseModel], field: str, value: AttributeValue) -> None:
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise InvalidValue(f"cannot store {model.__name__}.{field}: {exc}") from None


_LOCK = threading.RLock()
_CODECS: dict[tuple[type[BaseModel], frozenset[str]], ModelCodec[Any]] = {}


def compile_codec(model: type[M], *, epoch_fields: Collection[str] = ()) -> ModelCodec[M]:
    """Compile (or fetch from the cache) the codec of a pydantic model class.

    Args:
        model: any pydantic BaseModel subclass.
        epoch_fields: datetime fields to store as N epoch seconds (e.g. a TTL attribute),
            as the `AsEpochSeconds` marker does. A number field may be listed too (it is
            stored as a number anyway).

    A model whose annotations cannot be resolved yet (forward references to classes not
    defined yet) is compiled when it is first used instead.

    Raises:
        TypeError: a field's type has no storage rule (e.g. a dict with int keys), a
            marker or an epoch field is on the wrong type, or two fields share a name.
    """
    key = (model, frozenset(epoch_fields))
    codec = _CODECS.get(key)
    if codec is None:
        with _LOCK:
            codec = _CODECS.get(key)
            if codec is None:
                codec = ModelCodec(model, key[1])
                _CODECS[key] = codec  # before compiling, so self-references find it
                try:
                    if model.__pydantic_complete__:
                        codec._compile()
                except BaseException:
                    del _CODECS[key]
                    raise
    return codec


_nested.register(compile_codec)


# --------------------------------------------------------------------- generic values


def encode_value(value: object) -> AttributeValue:
    """Encode any value by its runtime type, e.g. for a condition or update expression.

    Follows the module's rules; a model is encoded with its compiled codec; a set of
    strings, numbers or binaries becomes SS, NS or BS and any other set (or an empty one)
    an L; None becomes NULL.

    Raises:
        InvalidValue: the value cannot be stored.
    """
    try:
        encoded = encode_any(value)
    except UnstorableError as exc:
        where = f" at {'.'.join(exc.path)}" if exc.path else ""
        raise InvalidValue(f"cannot store this value{where}: {exc.problem}") from None
    except RecursionError:
        raise _too_deep("this value") from None
    check_nesting(encoded, "this value")
    return encoded


def decode_value(value: AttributeValue) -> object:
    """Decode one attribute value without an annotation.

    N becomes an int when its text has no '.', 'e' or 'E', else a Decimal; B becomes
    bytes; SS, NS and BS become sets; M a dict; L a list; NULL None.

    Raises:
        ValueError: the value is not DynamoDB JSON.
    """
    return decode_any(value)


# ------------------------------------------------------------------------- item size


def item_size(item: Mapping[str, AttributeValue]) -> int:
    """The size of an item by DynamoDB's rules, in bytes.

    Each attribute counts its name's UTF-8 length plus its value: S its UTF-8 length, N
    about one byte per two significant digits plus one, B its raw (decoded) length, BOOL
    and NULL one byte, sets the sum of their elements, and M and L three bytes plus, per
    element, one byte, its value and (in a map) its name.
    """
    return sum(_text_size(name) + _value_size(value) for name, value in item.items())


def _text_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _number_size(text: str) -> int:
    mantissa = text.lstrip("+-").partition("e")[0].partition("E")[0]
    significant = mantissa.replace(".", "").strip("0")
    return (len(significant) + 1) // 2 + 1


def _binary_size(data: str | bytes) -> int:
    if isinstance(data, bytes | bytearray):
        return len(data)
    length = len(data)
    padding = 2 if data.endswith("==") else 1 if data.endswith("=") else 0
    return length * 3 // 4 - padding


def _value_size(value: AttributeValue) -> int:
    for tag, raw in value.items():
        return _SIZES[tag](raw)
    return 0


_SIZES: dict[str, Callable[[Any], int]] = {
    "S": _text_size,
    "N": _number_size,
    "B": _binary_size,
    "BOOL": lambda raw: 1,
    "NULL": lambda raw: 1,
    "SS": lambda raw: sum(map(_text_size, raw)),
    "NS": lambda raw: sum(map(_number_size, raw)),
    "BS": lambda raw: sum(map(_binary_size, raw)),
    "M": lambda raw: 3 + sum(_text_size(k) + 1 + _value_size(v) for k, v in raw.items()),
    "L": lambda raw: 3 + sum(1 + _value_size(v) for v in raw),
}
