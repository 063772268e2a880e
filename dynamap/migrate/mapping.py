"""How source records become items: an explicit mapping per entity.

```python
users = Entity(
    "users", MongoExport(dump / "users.json"), User,
    fields={"id": "_id", "email": "email", "apiUsage.requests": "apiUsage.requests"},
    ignore=("__v",),
)
```

`fields` maps each stored attribute path (as the model stores it, nested paths
dotted) to the source path it comes from, or to a `Field` with a conversion and a
policy for missing values. Source fields that no mapping carries and `ignore` does not
name are reported by name and count, never dropped in silence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from dynamap.migrate.errors import MappingError
from dynamap.migrate.paths import MISSING, get_path, set_path
from dynamap.migrate.sources import Source

__all__ = [
    "NOW",
    "Context",
    "Duplicates",
    "Entity",
    "Field",
    "Fill",
    "Reject",
    "Skip",
    "Transform",
    "map_record",
    "utc_datetime",
]

Duplicates = Literal["first", "last", "reject"]
DUPLICATE_POLICIES: tuple[str, ...] = ("first", "last", "reject")


def NOW(now: datetime) -> datetime:  # noqa: N802 - reads as the value it stands for
    """A `Fill` value: the run's time."""
    return now


class Reject(Exception):  # noqa: N818 - raised by a transform to refuse one record
    """Raised by a conversion or a transform: the record is refused, with this reason."""


@dataclass(frozen=True, slots=True)
class Skip:
    """Returned by a transform: the record is left out on purpose, for this reason."""

    reason: str


@dataclass(frozen=True, slots=True)
class Fill:
    """A value for a field the source does not have (or has as NULL).

    Attributes:
        value: the value, or a callable that makes it from the run's time (`NOW` is
            the run's time itself); a made value is kept as stored on a rerun.
        label: how the report names the policy, e.g. "the migration time".
    """

    value: Any
    label: str = ""

    def make(self, context: Context, target: str) -> Any:
        """The value for one record."""
        if not callable(self.value):
            return self.value
        context.stamp(target)
        return self.value(context.now)

    def describe(self) -> str:
        """The policy in words."""
        return self.label or f"filled with {self.value!r}"


@dataclass(frozen=True, slots=True)
class Field:
    """Where one stored attribute comes from.

    Attributes:
        source: the source path ("apiUsage.requests").
        convert: source value -> the value to store (raise `Reject` to refuse the
            record); not called for a missing value or a NULL.
        missing: what a missing value or NULL becomes: "absent" (default: left out,
            so the model's own default applies), "reject", or a `Fill`.
    """

    source: str
    convert: Callable[[Any], Any] | None = None
    missing: Literal["absent", "reject"] | Fill = "absent"


@dataclass(slots=True)
class Context:
    """What a transform (and a `Fill`) knows of the run.

    Attributes:
        now: the run's time, one value for the whole run.
        where: where the record is in its source.
        meta: what the source knows of the record besides its data (`Record.meta`).
        notes: policies applied to the current record.
        stamped: stored attributes the run made up (from `now`) rather than read: a
            rerun keeps what is stored for them, and verification does not compare them.
    """

    now: datetime
    where: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stamped: set[str] = field(default_factory=set)

    def note(self, policy: str) -> None:
        """Count `policy` ("160 records: past retention, kept with a fresh expiry")."""
        self.notes.append(policy)

    def stamp(self, target: str) -> None:
        """Mark a top-level stored attribute as made up by this run."""
        self.stamped.add(target.split(".")[0])


#: `transform(document, context)`: the mapped document (stored names) before
#: validation; return it (changed or not) or a `Skip`; raise `Reject`.
Transform = Callable[[dict[str, Any], Context], "dict[str, Any] | Skip"]


@dataclass(frozen=True, slots=True)
class Entity:
    """One kind of record: a source, the model its records become, and the mapping.

    Attributes:
        name: how the report names it ("users").
        source: where its records are read from.
        model: the dynamap model of the items.
        fields: stored attribute path -> source path, or a `Field`.
        ignore: source paths deliberately not carried (reported as ignored, by count).
        transform: a step after the mapping (see `Transform`).
        references: stored attribute -> entity name: the value must be the `identity`
            of a record of that entity that was migrated (not rejected).
        identity: the stored attribute other entities refer to.
        duplicates: records with the same key (or unique value): keep the "first",
            the "last", or "reject" them all.
    """

    name: str
    source: Source
    model: type[BaseModel]
    fields: Mapping[str, str | Field]
    ignore: tuple[str, ...] = ()
    transform: Transform | None = None
    references: Mapping[str, str] = field(default_factory=dict)
    identity: str = "id"
    duplicates: Duplicates = "first"

    def __post_init__(self) -> None:
        if self.duplicates not in DUPLICATE_POLICIES:
            raise MappingError(
                f"{self.name}: duplicates must be one of "
                f"{DUPLICATE_POLICIES}, not {self.duplicates!r}"
            )
        for target, spec in self.fields.items():
            if not target or not _spec(spec).source:
                raise MappingError(f"{self.name}: a mapping needs a target and a source path")

    def specs(self) -> dict[str, Field]:
        """The mapping with every entry as a `Field`."""
        return {target: _spec(spec) for target, spec in self.fields.items()}

    def source_paths(self) -> tuple[str, ...]:
        """Every source path the mapping carries, and the ignored ones."""
        return (*(spec.source for spec in self.specs().values()), *self.ignore)


def _spec(spec: str | Field) -> Field:
    return Field(spec) if isinstance(spec, str) else spec


def utc_datetime(value: Any) -> datetime:
    """A conversion (`Field(..., convert=utc_datetime)`) for source timestamps that
    carry no zone: ISO-8601 text (`2024-03-15 12:00:00`), epoch seconds, or a naive
    datetime, all taken as UTC; aware values are kept. dynamap refuses naive datetimes,
    so a source of naive times says here, once, which zone they are in.

    Raises:
        ValueError: the value is not a timestamp.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"{value!r} is not a timestamp")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def map_record(entity: Entity, data: dict[str, Any], context: Context) -> dict[str, Any] | Skip:
    """The document (stored names) a source record maps to.

    Raises:
        Reject: a value is missing under a "reject" policy, or a conversion refused it.
    """
    document: dict[str, Any] = {}
    for target, spec in entity.specs().items():
        value = get_path(data, spec.source)
        if value is MISSING or value is None:
            value = _missing(target, spec, context)
            if value is MISSING:
                continue
        elif spec.convert is not None:
            value = _converted(target, spec, value)
        set_path(document, target, value)
    if entity.transform is None:
        return document
    return entity.transform(document, context)


def _missing(target: str, spec: Field, context: Context) -> Any:
    if spec.missing == "reject":
        raise Reject(f"{spec.source} is missing or NULL")
    if spec.missing == "absent":
        return MISSING  # the model's default, if any, is counted after validation
    context.note(f"{target}: not in the source (or NULL), {spec.missing.describe()}")
    return spec.missing.make(context, target)


def _converted(target: str, spec: Field, value: Any) -> Any:
    assert spec.convert is not None
    try:
        return spec.convert(value)
    except Reject:
        raise
    except (ValueError, TypeError, KeyError) as error:
        raise Reject(f"{spec.source}: {error}") from None
