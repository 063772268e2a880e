"""`Model`, the base class of every dynamap model, and its metaclass.

The metaclass is a thin dispatcher, as pydantic's own is: it takes dynamap's
declarations (`Key`, `GSI`, `LSI`) out of the class namespace, lets pydantic build
the class, then calls the compiler and registers the model with its table. A model
without `table=` is abstract: a base for shared fields, never stored itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Self, Unpack, dataclass_transform

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from dynamap import _display as display
from dynamap._compat import ModelMetaclass
from dynamap._compiler import CompiledIndex, CompiledModel, ModelOptions, compile_model
from dynamap._declarations import Index, Key, Table
from dynamap._schema import table_schema
from dynamap.errors import DefinitionError

if TYPE_CHECKING:
    from rich.table import Table as RichTable

    from dynamap._changes import UpdateChanges
    from dynamap._query import Query, Scan
    from dynamap._session import Session
    from dynamap.expressions import Condition

__all__ = ["Model", "ModelMeta"]

_KEY_ROLES = ("pk", "sk")


# Type checkers look for `dataclass_transform` on a model's own metaclass only, not on
# the metaclass's bases, so pydantic's marking is repeated here: it types constructors.
@dataclass_transform(kw_only_default=True, field_specifiers=(Field, PrivateAttr))
class ModelMeta(ModelMetaclass):
    """Compiles dynamap declarations at class creation; see the module docstring."""

    def __new__(
        mcs,
        name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        *,
        table: Table | str | None = None,
        entity: str | None = None,
        version: str | None = None,
        created: str | None = None,
        updated: str | None = None,
        ttl: str | None = None,
        unique: Iterable[str] = (),
        **kwargs: Any,
    ) -> type:
        unique = tuple(unique)
        keys, indexes = _take_declarations(name, namespace)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        keys, indexes = _inherit(bases, keys, indexes)
        type.__setattr__(cls, "__dynamap_declarations__", (keys, indexes))
        if table is None:
            _reject_options_without_table(
                name,
                entity=entity,
                version=version,
                created=created,
                updated=updated,
                ttl=ttl,
                unique=unique,
            )
            # A subclass without `table=` is abstract even when its base is stored: it
            # must not inherit the base's compiled form and be stored as the base.
            type.__setattr__(cls, "__dynamap__", _NO_TABLE)
            return cls
        if isinstance(table, str):
            table = Table(table)
        options = ModelOptions(table, entity or name, version, created, updated, ttl, unique)
        _compile_and_register(cls, keys, indexes, options)
        return cls

    if not TYPE_CHECKING:  # as in pydantic: mypy must not allow any attribute on models

        def __getattr__(self, item: str) -> Any:
            if item == "__dynamap__":
                raise AttributeError(_no_table_message(self.__name__))
            return super().__getattr__(item)


def _take_declarations(
    name: str, namespace: dict[str, Any]
) -> tuple[dict[str, Key], dict[str, Index]]:
    keys: dict[str, Key] = {}
    indexes: dict[str, Index] = {}
    for attribute, value in list(namespace.items()):
        if isinstance(value, Key):
            if attribute not in _KEY_ROLES:
                raise DefinitionError(
                    f"{name}.{attribute}: a Key must be named `pk` (partition key) or "
                    "`sk` (sort key)",
                    code="key_name",
                )
            keys[attribute] = namespace.pop(attribute)
        elif isinstance(value, Index):
            indexes[attribute] = namespace.pop(attribute)
    return keys, indexes


def _inherit(
    bases: tuple[type[Any], ...], keys: dict[str, Key], indexes: dict[str, Index]
) -> tuple[dict[str, Key], dict[str, Index]]:
    merged_keys: dict[str, Key] = {}
    merged_indexes: dict[str, Index] = {}
    for base in reversed(bases):
        base_keys, base_indexes = getattr(base, "__dynamap_declarations__", ({}, {}))
        merged_keys.update(base_keys)
        merged_indexes.update(base_indexes)
    merged_keys.update(keys)
    merged_indexes.update(indexes)
    return merged_keys, merged_indexes


def _reject_options_without_table(name: str, **options: object) -> None:
    given = [option for option, value in options.items() if value]
    if given:
        raise DefinitionError(
            f"{name}: {', '.join(f'{option}=' for option in given)} needs `table=`, and a "
            f"model without a table is an abstract base; add it: "
            f"`class {name}(..., table=Table(...), {given[0]}=...)`",
            code="missing_table",
        )


def _no_table_message(name: str) -> str:
    return (
        f"{name} has no table: it is an abstract model (a base for shared fields) and "
        f"cannot be stored; declare `class {name}(..., table=...)` to store it"
    )


class _NoTable:
    """`__dynamap__` of a model without a table: reading it says why there is none."""

    def __get__(self, instance: object, owner: type[Any]) -> NoReturn:
        raise AttributeError(_no_table_message(owner.__name__))


_NO_TABLE = _NoTable()


def _compile_and_register(
    cls: type[Any], keys: dict[str, Key], indexes: dict[str, Index], options: ModelOptions
) -> None:
    if not cls.__pydantic_complete__:
        raise DefinitionError(
            f"{cls.__name__}: pydantic could not resolve all field annotations yet; define "
            "the models it refers to first",
            code="incomplete_model",
        )
    compiled = compile_model(cls, keys, indexes, options)
    table = options.table
    table_schema(table, [*table.compiled, compiled])
    table.compiled.append(compiled)
    cls.__dynamap__ = compiled
    for attribute in keys:
        setattr(cls, attribute, compiled.pk if attribute == "pk" else compiled.sk)
    for attribute, declaration in indexes.items():
        setattr(cls, attribute, compiled.indexes[declaration.name])


def current_session() -> Session:
    """The session bound by the enclosing `async with Session()`."""
    from dynamap._session import current_session as bound

    return bound()


class Model(BaseModel, metaclass=ModelMeta):
    """The base class of dynamap models: a pydantic model that knows its table and keys.

    ```python
    class Page(Model, table=app, entity="page"):
        pk = Key("PAGE#{id}")
        sk = Key("META#")
        id: str = Field(default_factory=new_id)
        title: str
    ```

    Class keywords: `table` (a `Table`, or a name for a table of its own), `entity`
    (the name stored on each item, default the class name), `version` (an int field
    for optimistic locking), `created` / `updated` (datetime fields kept by dynamap),
    `ttl` (a datetime field stored as epoch seconds for DynamoDB's TTL) and `unique`
    (fields whose values must be unique across the model).
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    __dynamap__: ClassVar[CompiledModel[Any]]
    #: The compiled partition and sort keys (`KeyAttribute`), once the class exists.
    #: Declared here so type checkers (and pydantic's mypy plugin) read `pk = Key(...)`
    #: in a model as a class variable, not as an untyped field; `Key.__get__` tells
    #: them that `Page.pk` is the `KeyAttribute` it is at run time.
    pk: ClassVar[Key]
    sk: ClassVar[Key]

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        """Decode a DynamoDB item (DynamoDB JSON) into a validated instance."""
        compiled: CompiledModel[Self] = cls.__dynamap__
        return compiled.from_item(item)

    def to_item(self) -> dict[str, Any]:
        """Encode this instance into the DynamoDB item dynamap stores (DynamoDB JSON)."""
        compiled: CompiledModel[Any] = type(self).__dynamap__
        return compiled.to_item(self)

    # -- methods on the bound session (`async with Session()`), for web handlers ----------

    @classmethod
    async def get(cls, *, consistent: bool = False, **key: Any) -> Self | None:
        """Read one item by its key fields from the bound session; None if missing."""
        return await current_session().get(
            cls, consistent=consistent, fields=None, raw=False, **key
        )

    @classmethod
    async def get_or_raise(cls, *, consistent: bool = False, **key: Any) -> Self:
        """Like `get`, but a missing item raises `ItemNotFound`."""
        return await current_session().get_or_raise(cls, consistent=consistent, **key)

    @classmethod
    def query(cls, *, index: str | Index | CompiledIndex | None = None, **key: Any) -> Query[Self]:
        """A query on the bound session: `Page.query(id=...)`; see `Session.query`."""
        return current_session().query(cls, index=index, **key)

    @classmethod
    def scan(cls, *, index: str | Index | CompiledIndex | None = None) -> Scan[Self]:
        """A scan on the bound session; see `Session.scan`."""
        return current_session().scan(cls, index=index)

    async def save(self, *, condition: Condition | None = None) -> Self:
        """Put this instance on the bound session (version and timestamps maintained)."""
        return await current_session().put(self, condition=condition)

    async def update(
        self, *, condition: Condition | None = None, **changes: Unpack[UpdateChanges]
    ) -> Self:
        """Update this item on the bound session and refresh it in place; the keywords
        are those of `Session.update` (`UpdateChanges`: set=, remove=, add=, ...)."""
        await current_session().update(self, condition=condition, **changes)
        return self

    async def delete(self, *, condition: Condition | None = None) -> None:
        """Delete this item on the bound session (checking its version, if any)."""
        await current_session().delete(self, condition=condition)

    # -- display: Jupyter and rich ------------------------------------------------------

    def _repr_html_(self) -> str:
        """A two-column field/value HTML table, as Jupyter shows the model."""
        return display.model_html(self)

    def __rich__(self) -> RichTable:
        """A field/value table, as rich prints the model in a terminal."""
        return display.model_rich(self)
