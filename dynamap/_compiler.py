"""Compile a model's declarations, once, into a frozen `CompiledModel`.

The metaclass calls `compile_model` as each model class is created. Everything that
can be decided about a model is decided here, so a bad declaration fails at import
with a `DefinitionError` naming the class, the field and the fix, and the hot paths
(`to_item`, `from_item`, `key_of`) only run precomputed closures.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any, Generic, TypeVar, get_args, get_origin

from pydantic import BaseModel, PlainSerializer, ValidationError, WrapSerializer
from pydantic.fields import FieldInfo

from dynamap._annotations import KeyScalar, key_scalar_type, unwrap_optional
from dynamap._codec import ModelCodec, compile_codec
from dynamap._declarations import Index, Key, ProjectionType, Table
from dynamap._identity import Item
from dynamap._keys import KeyTemplate, TemplateError
from dynamap.errors import DefinitionError, InvalidKey, InvalidStoredItem

__all__ = [
    "CompiledIndex",
    "CompiledModel",
    "KeyAttribute",
    "ModelOptions",
    "compile_model",
    "compiled_of",
]

M = TypeVar("M", bound=BaseModel)

#: DynamoDB's limits on key values (UTF-8 bytes of a string, bytes of a binary).
PARTITION_KEY_BYTES = 2048
SORT_KEY_BYTES = 1024


@dataclass(frozen=True, slots=True)
class KeyAttribute:
    """One physical key attribute (of the table or an index) and how to compute it.

    Attributes:
        attribute: the attribute name in DynamoDB, e.g. "PK" or "isPublished".
        type: its DynamoDB scalar type, "S", "N" or "B".
        fields: the model fields it is computed from.
        template: the key template, or None when the key is a bare field.
        field: the bare field, or None when the key is a template.
        written_by_codec: the attribute is the field's own attribute, so the codec
            already writes it and the key layer must not.
        max_bytes: DynamoDB's limit on the value: 2048 bytes for a partition key, 1024
            for a sort key (of the table or an index).
    """

    attribute: str
    type: KeyScalar
    fields: tuple[str, ...]
    template: KeyTemplate | None
    field: str | None
    written_by_codec: bool
    max_bytes: int = PARTITION_KEY_BYTES

    def value(self, values: Mapping[str, Any], codec: ModelCodec[Any]) -> dict[str, Any] | None:
        """The attribute's DynamoDB value from field values, or None if a field is unset.

        Raises:
            InvalidKey: the value is empty or over DynamoDB's size limit for keys.
        """
        if self.template is None:
            assert self.field is not None
            raw = values.get(self.field)
            encoded = None if raw is None else codec.encode_field(self.field, raw)
        elif any(values.get(name) is None for name in self.fields):
            return None
        else:
            encoded = {"S": self.template.format_mapping(values)}
        if encoded is not None:
            self.check(encoded)
        return encoded

    def check(self, encoded: Mapping[str, Any]) -> None:
        """Refuse a key value DynamoDB would refuse: empty, or over `max_bytes`.

        Raises:
            InvalidKey: the value is empty or too large.
        """
        text = encoded.get("S")
        if text is not None:
            size = len(text) if text.isascii() else _utf8_length(self.attribute, text)
        elif "B" in encoded:
            size = len(base64.b64decode(encoded["B"]))
        else:
            return  # a number: its digits are bounded by the codec
        if size == 0:
            raise InvalidKey(
                f"key attribute {self.attribute!r} would be empty; DynamoDB "
                "refuses empty strings and binaries in keys"
            )
        if size > self.max_bytes:
            raise InvalidKey(
                f"key attribute {self.attribute!r} would be {size} bytes, over "
                f"DynamoDB's limit of {self.max_bytes} for this key"
            )

    def format(self, **values: Any) -> Any:
        """The key value for these fields, as a query on the table takes it.

        `Page.pk.format(id="p1")` is "PAGE#p1"; for a bare-field key it is the value.

        Raises:
            InvalidKey: a field is missing, unknown, or its value cannot be encoded.
        """
        if self.template is not None:
            return self.template.format(**values)
        if set(values) != {self.field}:
            raise InvalidKey(
                f"key attribute {self.attribute!r} is the field {self.field!r}: "
                f"give exactly {self.field}=..."
            )
        return values[str(self.field)]


@dataclass(frozen=True, slots=True)
class CompiledIndex:
    """A compiled GSI or LSI of one model."""

    name: str
    kind: str
    pk: KeyAttribute
    sk: KeyAttribute | None
    projection: ProjectionType
    include: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """The class keywords of a model: `class Page(Model, table=app, entity="page")`."""

    table: Table
    entity: str
    version: str | None = None
    created: str | None = None
    updated: str | None = None
    ttl: str | None = None
    unique: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CompiledModel(Generic[M]):
    """Everything dynamap knows about one model class, compiled at class creation.

    Available as `Model.__dynamap__`.
    """

    model: type[M]
    options: ModelOptions
    codec: ModelCodec[M]
    pk: KeyAttribute
    sk: KeyAttribute | None
    indexes: Mapping[str, CompiledIndex]

    @property
    def table(self) -> Table:
        """The table the model lives in."""
        return self.options.table

    @property
    def entity(self) -> str:
        """The entity name written on every item of this model."""
        return self.options.entity

    @property
    def key_attributes(self) -> tuple[KeyAttribute, ...]:
        """The table's key attributes: partition key, then sort key if any."""
        return (self.pk,) if self.sk is None else (self.pk, self.sk)

    @property
    def key_fields(self) -> frozenset[str]:
        """The fields that feed the table's primary key."""
        return frozenset(name for key in self.key_attributes for name in key.fields)

    def key_of(self, instance: M) -> Item:
        """The primary key of a model instance, as DynamoDB JSON."""
        return self.key_from(vars(instance))

    def key_from(self, values: Mapping[str, Any]) -> Item:
        """The primary key from field values (e.g. the keywords of `db.get`).

        Raises:
            InvalidKey: a key field is missing or cannot be encoded.
        """
        key: Item = {}
        for attribute in self.key_attributes:
            value = attribute.value(values, self.codec)
            if value is None:
                missing = [name for name in attribute.fields if values.get(name) is None]
                raise InvalidKey(
                    f"{self.model.__name__}: key attribute {attribute.attribute!r} needs "
                    f"field(s) {', '.join(missing)}"
                )
            key[attribute.attribute] = value
        return key

    def to_item(self, instance: M) -> Item:
        """Encode a model instance into a full DynamoDB item: fields, keys, entity.

        Raises:
            InvalidKey: a primary key field is unset or cannot be encoded.
            InvalidValue: a field value cannot be stored.
            ItemTooLarge: the item is over DynamoDB's 400 KB limit.
        """
        values = vars(instance)
        item = self.codec.encode(instance, size_check=False)
        item.update(self.key_from(values))
        for index in self.indexes.values():
            for attribute in (index.pk, index.sk):
                if attribute is None:
                    continue
                if attribute.written_by_codec:
                    if attribute.attribute in item:  # absent: the item is not in the index
                        attribute.check(item[attribute.attribute])
                    continue
                encoded = attribute.value(values, self.codec)
                if encoded is not None:
                    item[attribute.attribute] = encoded
        item[self.table.entity_attribute] = {"S": self.entity}
        self.codec.check_item_size(item)
        return item

    def from_item(self, item: Mapping[str, Any]) -> M:
        """Decode a DynamoDB item into a validated model instance.

        Raises:
            InvalidStoredItem: the stored item does not fit the model.
        """
        try:
            return self.codec.decode(item)
        except ValidationError as error:
            raise self.invalid_item(item, error) from None

    def invalid_item(self, item: Mapping[str, Any], error: ValidationError) -> InvalidStoredItem:
        """The `InvalidStoredItem` for a stored item that failed validation, naming the
        model, the table, the item's key and the fields that failed."""
        key = {a.attribute: item[a.attribute] for a in self.key_attributes if a.attribute in item}
        details = error.errors(include_url=False)
        fields = [".".join(map(str, detail["loc"])) or "(the item)" for detail in details]
        shown = [
            f"{field}: {detail['msg']}" for field, detail in zip(fields, details, strict=True)
        ][:3]
        more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
        key_text = ", ".join(f"{name}={_plain(value)!r}" for name, value in key.items())
        return InvalidStoredItem(
            f"the {self.model.__name__} item with key {key_text} in table "
            f"{self.table.name!r} does not fit the model: {'; '.join(shown)}{more}",
            model=self.model.__name__,
            table=self.table.name,
            key=key,
            fields=fields,
            errors=[dict(detail) for detail in details],
        )

    def fields_from_keys(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """The field values a stored item's templated key attributes (table and index
        keys) hold, parsed back: how a partial read knows its key fields."""
        values: dict[str, Any] = {}
        for attribute in all_key_attributes(self):
            if attribute.template is None:
                continue
            stored = item.get(attribute.attribute)
            text = stored.get("S") if isinstance(stored, Mapping) else None
            if isinstance(text, str):
                try:
                    values.update(attribute.template.parse(text))
                except InvalidKey:
                    continue  # not this model's key: nothing can be said from it
        return values


class _Compiler:
    """Checks and compiles one model's declarations; every failure names the class."""

    def __init__(
        self,
        model: type[BaseModel],
        keys: Mapping[str, Key],
        indexes: Mapping[str, Index],
        options: ModelOptions,
    ) -> None:
        self.model = model
        self.name = model.__name__
        self.keys = keys
        self.index_declarations = indexes
        self.options = options
        self.fields: dict[str, FieldInfo] = dict(model.model_fields)
        self.codec: ModelCodec[Any] | None = None

    def fail(self, message: str, code: str) -> DefinitionError:
        return DefinitionError(f"{self.name}: {message}", code=code)

    def stored_name(self, field: str) -> str:
        info = self.fields[field]
        return info.serialization_alias or info.alias or field

    def compile(self) -> CompiledModel[Any]:
        self.check_options()
        self.check_serializers()
        epoch = (self.options.ttl,) if self.options.ttl else ()
        try:
            self.codec = compile_codec(self.model, epoch_fields=epoch)
        except TypeError as error:
            raise self.fail(str(error), "unsupported_type") from error
        pk, sk = self.primary_keys()
        self.check_unique_keys(pk, sk)
        indexes = {name: self.compile_index(decl, pk, sk) for name, decl in self.indexes_by_name()}
        compiled = CompiledModel(
            self.model, self.options, self.codec, pk, sk, MappingProxyType(indexes)
        )
        self.check_attribute_clashes(compiled)
        keys = {
            attribute.attribute
            for attribute in all_key_attributes(compiled)
            if not attribute.written_by_codec
        }
        self.codec.reserved = frozenset({*keys, self.options.table.entity_attribute})
        return compiled

    def check_serializers(self) -> None:
        """Refuse serializers that would apply when the model is dumped in Python mode:
        dynamap stores each field by its type, so such a serializer would be ignored in
        silence. Serializers for JSON output (`when_used="json"`) are fine."""
        found = serializers_in(self.model)
        if found:
            raise self.fail(
                f"{found[0]} has a serializer that applies outside JSON output; dynamap "
                "stores fields by their type and would not apply it. Give it "
                'when_used="json" (for API output, as FastAPI uses), or store the '
                "converted value in a field of its own type",
                "serializer",
            )

    def indexes_by_name(self) -> list[tuple[str, Index]]:
        seen: set[str] = set()
        result = []
        for declaration in self.index_declarations.values():
            if declaration.name in seen:
                raise self.fail(
                    f"index {declaration.name!r} is declared twice; give each index its own name",
                    "duplicate_index",
                )
            seen.add(declaration.name)
            result.append((declaration.name, declaration))
        return result

    def check_options(self) -> None:
        self.require_field(self.options.version, "version", (int,))
        self.require_field(self.options.created, "created", (datetime,))
        self.require_field(self.options.updated, "updated", (datetime,))
        self.require_field(self.options.ttl, "ttl", (datetime,))
        for name in self.options.unique:
            self.require_field(name, "unique", None)
        if "pk" not in self.keys:
            raise self.fail(
                'no partition key: declare one, e.g. `pk = Key("ITEM#{id}")` or `pk = Key("id")`',
                "missing_pk",
            )

    def check_unique_keys(self, pk: KeyAttribute, sk: KeyAttribute | None) -> None:
        """Unique fields keep marker items in the model's table, keyed by strings."""
        if self.options.unique and (pk.type != "S" or (sk is not None and sk.type != "S")):
            raise self.fail(
                f"unique={self.options.unique!r} needs a table whose keys are strings (S): "
                "unique values are enforced with marker items keyed by text in the model's "
                'table; key the model with a template such as Key("USER#{id}") or a str field',
                "unique_keys",
            )

    def require_field(self, name: str | None, option: str, types: tuple[type, ...] | None) -> None:
        if name is None:
            return
        if name not in self.fields:
            raise self.fail(
                f"{option}={name!r} names no field of the model; name one of: "
                f"{', '.join(self.fields) or '(none)'}",
                "unknown_field",
            )
        annotation, _ = unwrap_optional(self.fields[name].annotation)
        if types is not None and not (
            isinstance(annotation, type) and issubclass(annotation, types)
        ):
            wanted = " or ".join(t.__name__ for t in types)
            raise self.fail(
                f"field {name!r} used as {option} must be {wanted}; change its "
                "annotation or name another field",
                "option_type",
            )

    def primary_keys(self) -> tuple[KeyAttribute, KeyAttribute | None]:
        table = self.options.table
        pk = self.key_attribute("pk", self.keys["pk"].template, table.pk, "PK")
        sk_decl = self.keys.get("sk")
        sk = self.key_attribute("sk", sk_decl.template, table.sk, "SK") if sk_decl else None
        return pk, sk

    def compile_index(
        self, declaration: Index, table_pk: KeyAttribute, table_sk: KeyAttribute | None
    ) -> CompiledIndex:
        label = f"index {declaration.name!r}"
        if declaration.kind == "LSI":
            if table_sk is None:
                raise self.fail(
                    f"LSI {declaration.name!r} needs a table with a sort key (DynamoDB "
                    "allows LSIs only there): declare `sk = Key(...)`, or use a GSI",
                    "lsi_without_sort_key",
                )
            pk = table_pk
        else:
            if declaration.pk is None:
                raise self.fail(f"{label} needs a partition key: give it pk=...", "index_key")
            default = f"{declaration.name}PK"
            pk = self.key_attribute(
                f"{label} partition key", declaration.pk, declaration.pk_attribute, default
            )
        sk = None
        if declaration.sk is not None:
            default = f"{declaration.name}SK"
            sk = self.key_attribute(
                f"{label} sort key", declaration.sk, declaration.sk_attribute, default
            )
        include = tuple(self.projected(declaration))
        return CompiledIndex(
            declaration.name, declaration.kind, pk, sk, declaration.projection, include
        )

    def projected(self, declaration: Index) -> list[str]:
        if declaration.projection != "INCLUDE":
            if declaration.include:
                raise self.fail(
                    f'index {declaration.name!r}: `include` needs projection="INCLUDE"',
                    "index_projection",
                )
            return []
        for name in declaration.include:
            if name not in self.fields:
                raise self.fail(
                    f"index {declaration.name!r} includes {name!r}, which names no "
                    f"field; include field names, of: {', '.join(self.fields)}",
                    "unknown_field",
                )
        # The entity attribute goes along, so that reads of the index can tell the models
        # of a shared table apart (by a filter, and when decoding a collection).
        entity = self.options.table.entity_attribute
        return [*(self.stored_name(name) for name in declaration.include), entity]

    def key_attribute(
        self, role: str, spec: str, explicit: str | None, default: str
    ) -> KeyAttribute:
        if self.is_bare_field(role, spec):
            return self.field_key(role, spec, explicit)
        template = self.template(role, spec)
        attribute = explicit or default
        return KeyAttribute(
            attribute, "S", template.fields, template, None, False, _max_bytes(role)
        )

    def is_bare_field(self, role: str, spec: str) -> bool:
        if not spec.isidentifier():
            return False
        if spec in self.fields:
            return True
        if spec.isupper():
            return False
        raise self.fail(
            f"{role} {spec!r} names no field. For a constant key write it in upper case "
            f"or with a '#' (e.g. {spec.upper()!r} or '{spec}#'); for a template use "
            "'PREFIX#{field}'",
            "unknown_field",
        )

    def field_key(self, role: str, field: str, explicit: str | None) -> KeyAttribute:
        try:
            scalar = key_scalar_type(self.fields[field])
        except ValueError as error:
            raise self.fail(f"{role} field {field!r}: {error}", "key_type") from error
        if field == self.options.ttl:
            scalar = "N"  # the TTL field is stored as epoch seconds
        stored = self.stored_name(field)
        attribute = explicit or stored
        return KeyAttribute(
            attribute, scalar, (field,), None, field, attribute == stored, _max_bytes(role)
        )

    def template(self, role: str, spec: str) -> KeyTemplate:
        types = {name: unwrap_optional(info.annotation)[0] for name, info in self.fields.items()}
        try:
            template = KeyTemplate(spec)
            unknown = [name for name in template.fields if name not in self.fields]
            if unknown:
                raise self.fail(
                    f"{role} template {spec!r} names unknown field {unknown[0]!r}: declare "
                    f"it, or name one of the fields: {', '.join(self.fields) or '(none)'}",
                    "unknown_field",
                )
            return KeyTemplate(spec, {name: types[name] for name in template.fields})
        except TemplateError as error:
            where = f" field {error.field!r}" if error.field else ""
            raise self.fail(
                f"{role} template {spec!r}{where}: {error.reason}", "key_template"
            ) from error

    def check_attribute_clashes(self, compiled: CompiledModel[Any]) -> None:
        stored = {self.stored_name(name): name for name in self.fields}
        entity = self.options.table.entity_attribute
        if entity in stored:
            raise self.fail(
                f"field {stored[entity]!r} is stored as {entity!r}, the table's entity "
                f"attribute; rename the field or set Table(entity_attribute=...)",
                "attribute_clash",
            )
        for attribute in all_key_attributes(compiled):
            if not attribute.written_by_codec and attribute.attribute in stored:
                raise self.fail(
                    f"key attribute {attribute.attribute!r} clashes with field "
                    f"{stored[attribute.attribute]!r}; give the key another attribute name",
                    "attribute_clash",
                )


def all_key_attributes(compiled: CompiledModel[Any]) -> list[KeyAttribute]:
    """Every key attribute of a model: the table's primary key, then each index's."""
    attributes = list(compiled.key_attributes)
    for index in compiled.indexes.values():
        attributes.extend(a for a in (index.pk, index.sk) if a is not None)
    return attributes


def compile_model(
    model: type[M],
    keys: Mapping[str, Key],
    indexes: Mapping[str, Index],
    options: ModelOptions,
) -> CompiledModel[M]:
    """Compile a model class's declarations; the metaclass calls this once per class.

    Raises:
        DefinitionError: a declaration is wrong; the message names the class and field.
    """
    compiled: CompiledModel[M] = _Compiler(model, keys, indexes, options).compile()
    return compiled


_STORED_MODES = ("always", "unless-none")


def serializers_in(model: type[BaseModel], seen: set[type] | None = None) -> list[str]:
    """The fields (as "Model.field", or "Model" for a model serializer) of `model` and
    the models nested in it whose serializers apply in Python mode."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen.add(model)
    decorators = model.__pydantic_decorators__
    found = [
        model.__name__
        for d in decorators.model_serializers.values()
        if d.info.when_used in _STORED_MODES
    ]
    for d in decorators.field_serializers.values():
        if d.info.when_used in _STORED_MODES:
            found += [f"{model.__name__}.{name}" for name in d.info.fields]
    for name, info in model.model_fields.items():
        if any(
            isinstance(m, PlainSerializer | WrapSerializer) and m.when_used in _STORED_MODES
            for m in info.metadata
        ):
            found.append(f"{model.__name__}.{name}")
        for nested in _nested_models(info.annotation):
            found += serializers_in(nested, seen)
    return found


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds: itself, or inside lists, unions, ..."""
    if get_origin(annotation) is Annotated:
        return _nested_models(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _nested_models(arg)]


def _utf8_length(attribute: str, text: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidKey(
            f"key attribute {attribute!r} holds a lone surrogate, which is not "
            "valid Unicode text and cannot be sent"
        ) from None


def _max_bytes(role: str) -> int:
    """The size limit of a key by its role ("pk", "sk", "index 'X' sort key", ...)."""
    return SORT_KEY_BYTES if role == "sk" or role.endswith("sort key") else PARTITION_KEY_BYTES


def _plain(value: Any) -> Any:
    """A DynamoDB JSON scalar's value, for messages: {"S": "a"} -> "a"."""
    if isinstance(value, Mapping) and len(value) == 1:
        return next(iter(value.values()))
    return value


def key_shape(compiled: CompiledModel[Any]) -> tuple[str, ...]:
    """The shape of a model's primary key, used to detect two models that collide."""
    return tuple(_shape(attribute) for attribute in compiled.key_attributes)


def _shape(attribute: KeyAttribute) -> str:
    return attribute.template.shape if attribute.template is not None else "{}"


def compiled_of(model: type[M]) -> CompiledModel[M]:
    """The compiled form of a dynamap model class.

    Raises:
        TypeError: `model` is not a dynamap model with a table.
    """
    compiled: CompiledModel[M] | None = getattr(model, "__dynamap__", None)
    if compiled is None:
        raise TypeError(f"{model!r} is not a dynamap model with a table")
    return compiled
