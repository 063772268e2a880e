"""What a user writes in a model class body: the table, its keys and its indexes.

These objects only record the declaration. The metaclass hands them to
`dynamap._compiler`, which checks them against the model's fields and compiles them.

```python
app = Table("PageManager")

class Page(Model, table=app, entity="page"):
    pk = Key("PAGE#{id}")
    sk = Key("META#")
    published = GSI("PublishedPagesIndex", pk="is_published", sk="created_at")
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal

from pydantic import BaseModel
from typing_extensions import TypeVar

from dynamap._prefixes import TablePrefix

if TYPE_CHECKING:
    from dynamap._compiler import CompiledIndex, CompiledModel, KeyAttribute

__all__ = [
    "GSI",
    "LSI",
    "BillingMode",
    "Encryption",
    "Index",
    "Key",
    "ProjectionType",
    "StreamView",
    "Table",
    "TableClass",
]

BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]
ProjectionType = Literal["ALL", "KEYS_ONLY", "INCLUDE"]
StreamView = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]
TableClass = Literal["STANDARD", "STANDARD_INFREQUENT_ACCESS"]
Encryption = Literal["AWS_OWNED", "KMS"]

#: The models a Table holds, for typing collection reads; `BaseModel` unless annotated.
M = TypeVar("M", bound=BaseModel, default=BaseModel)


@dataclass(eq=False)
class Table(Generic[M]):
    """A DynamoDB table that one or more models live in.

    Several models may share a table (single-table design) or each have its own.
    The physical name gets the session's table prefix at run time, so the same
    models serve every environment.

    For type checkers, a collection read (`db.query(table, Model, **key)`) yields the
    table's type parameter: annotate the table with its models to get their union,
    `app: Table[Page | Node] = Table("PageManager")`; unannotated, it is `BaseModel`.

    Args:
        name: the table name, without any per-environment prefix.
        pk: the partition key attribute. Default: "PK" when the models' partition key
            is a template, or the field's own attribute when it is a bare field.
        sk: the sort key attribute, likewise ("SK" by default for templates).
        entity_attribute: the attribute that names each item's model.
        billing_mode: "PAY_PER_REQUEST" (default) or "PROVISIONED".
        read_capacity: read capacity units, for provisioned tables (and their GSIs).
        write_capacity: write capacity units, for provisioned tables (and their GSIs).
        stream: the stream's view type ("NEW_AND_OLD_IMAGES", ...); None for no stream.
        point_in_time_recovery: keep continuous backups (PITR).
        deletion_protection: refuse DeleteTable until it is turned off.
        table_class: "STANDARD" or "STANDARD_INFREQUENT_ACCESS".
        encryption: "AWS_OWNED" (DynamoDB's own key, the default) or "KMS".
        kms_key: the KMS key (id, ARN or alias) for "KMS"; None for the AWS managed key.
        tags: the table's tags.
        prefix: the application's own prefix (`TablePrefix`: an environment variable
            and how it joins the name), applied wherever the table is named.
    """

    name: str
    pk: str | None = None
    sk: str | None = None
    entity_attribute: str = "entity"
    billing_mode: BillingMode = "PAY_PER_REQUEST"
    read_capacity: int | None = None
    write_capacity: int | None = None
    stream: StreamView | None = None
    point_in_time_recovery: bool = False
    deletion_protection: bool = False
    table_class: TableClass = "STANDARD"
    encryption: Encryption = "AWS_OWNED"
    kms_key: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    prefix: TablePrefix | None = None
    compiled: list[CompiledModel[Any]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a Table needs a non-empty name")
        if self.kms_key is not None and self.encryption != "KMS":
            raise ValueError(f'Table {self.name!r}: kms_key needs encryption="KMS"')
        if self.billing_mode == "PROVISIONED" and not (self.read_capacity and self.write_capacity):
            raise ValueError(
                f"Table {self.name!r} is PROVISIONED: give read_capacity and write_capacity"
            )

    def physical_name(self, outer_prefix: str = "") -> str:
        """The name in DynamoDB: the session's prefix, then the application's
        (`prefix`), then the name."""
        name = self.name if self.prefix is None else self.prefix.apply(self.name)
        return f"{outer_prefix}{name}"

    @property
    def models(self) -> list[type]:
        """Every model class that lives in this table, in declaration order."""
        return [compiled.model for compiled in self.compiled]


@dataclass(frozen=True, slots=True)
class Key:
    """The partition key (`pk = Key(...)`) or sort key (`sk = Key(...)`) of a model.

    Args:
        template: a key template such as "PAGE#{id}" (placeholders name fields), a
            constant such as "META#", or a bare field name such as "id" to key the item
            on that field's own attribute (stored as its own type: S, N or B).
    """

    template: str

    if TYPE_CHECKING:
        # Once the model class exists its `pk`/`sk` is the compiled `KeyAttribute`
        # (the metaclass swaps it in); this tells type checkers so.
        def __get__(self, instance: object, owner: type | None = None) -> KeyAttribute: ...


@dataclass(frozen=True, slots=True)
class Index:
    """A secondary index declared on a model. Use `GSI` or `LSI`.

    Args:
        name: the index name in DynamoDB.
        pk: the index partition key: a bare field name or a key template.
        sk: the index sort key: a bare field name, a key template, or None.
        projection: "ALL" (default), "KEYS_ONLY" or "INCLUDE".
        include: the attributes projected when projection is "INCLUDE".
        pk_attribute: the physical attribute of a templated partition key
            (default: the index name + "PK", e.g. "GSI1PK").
        sk_attribute: likewise for the sort key (default: index name + "SK").
    """

    name: str
    pk: str | None
    sk: str | None = None
    projection: ProjectionType = "ALL"
    include: Sequence[str] = ()
    pk_attribute: str | None = None
    sk_attribute: str | None = None

    @property
    def kind(self) -> Literal["GSI", "LSI"]:
        """ "GSI" or "LSI"."""
        return "GSI"

    if TYPE_CHECKING:
        # On the model class an index is its `CompiledIndex` (swapped in by the metaclass).
        def __get__(self, instance: object, owner: type | None = None) -> CompiledIndex: ...


@dataclass(frozen=True, slots=True)
class GSI(Index):
    """A global secondary index: its own partition and sort key over the table's items."""


@dataclass(frozen=True, slots=True, init=False)
class LSI(Index):
    """A local secondary index: the table's partition key with another sort key.

    Args:
        name: the index name in DynamoDB.
        sk: the index sort key: a bare field name or a key template.
        projection: "ALL" (default), "KEYS_ONLY" or "INCLUDE".
        include: the attributes projected when projection is "INCLUDE".
        sk_attribute: the physical attribute of a templated sort key.
    """

    def __init__(
        self,
        name: str,
        sk: str,
        projection: ProjectionType = "ALL",
        include: Sequence[str] = (),
        sk_attribute: str | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "pk", None)
        object.__setattr__(self, "sk", sk)
        object.__setattr__(self, "projection", projection)
        object.__setattr__(self, "include", tuple(include))
        object.__setattr__(self, "pk_attribute", None)
        object.__setattr__(self, "sk_attribute", sk_attribute)

    @property
    def kind(self) -> Literal["GSI", "LSI"]:
        """ "LSI"."""
        return "LSI"
