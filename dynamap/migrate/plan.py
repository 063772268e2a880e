"""Reading one entity's source into the items to write, accounting for every record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from dynamap._compiler import compiled_of
from dynamap.errors import InvalidValue
from dynamap.migrate.mapping import Context, Entity, Reject, Skip, map_record
from dynamap.migrate.paths import MISSING, covers, get_path, leaf_paths
from dynamap.migrate.report import EntityReport, Problem
from dynamap.migrate.sources import Record
from dynamap.migrate.store import item_key

__all__ = ["Planned", "hashable", "plan_entity"]


@dataclass(slots=True)
class Planned:
    """One record that will be written: where it came from and the item it became."""

    where: str
    instance: BaseModel
    key: str
    claims: list[tuple[str, Any]]
    stamped: set[str] = field(default_factory=set)
    record: Any = None
    dropped: bool = False
    notes: list[str] = field(default_factory=list)


def describe_validation(error: ValidationError) -> str:
    """A pydantic error in one line: `field: problem; field: problem`."""
    return "; ".join(
        f"{'.'.join(str(p) for p in issue['loc']) or 'record'}: {issue['msg']}"
        for issue in error.errors(include_url=False)
    )


class _Planner:
    def __init__(
        self, entity: Entity, report: EntityReport, now: datetime, known: dict[str, set[Any]]
    ) -> None:
        self.entity, self.report, self.now, self.known = entity, report, now, known
        self.compiled = compiled_of(entity.model)
        self.planned: list[Planned] = []
        self.claims: dict[tuple[str, Any], Planned] = {}
        self.poisoned: set[tuple[str, Any]] = set()
        self.paths = entity.source_paths()
        self.targets = {target.split(".")[0] for target in entity.fields}

    def add(self, record: Record) -> None:
        self.report.read += 1
        if record.data is None:
            self.report.rejected.append(
                Problem(record.where, record.problem or "unreadable", record.raw)
            )
            return
        self.survey(record.data)
        try:
            planned = self.plan(record)
        except Reject as error:
            self.report.rejected.append(Problem(record.where, str(error), record.raw))
            return
        if planned is not None:
            self.claim(planned)

    def survey(self, data: dict[str, Any]) -> None:
        """Count, once per record, each ignored path it has and each field it has that
        nothing maps."""
        ignored: set[str] = set()
        for path in leaf_paths(data):
            hit = next((name for name in self.entity.ignore if covers(path, name)), None)
            if hit is not None:
                ignored.add(hit)
            elif not any(covers(path, mapped) for mapped in self.paths):
                self.report.unmapped[path] += 1
        self.report.ignored.update(ignored)

    def plan(self, record: Record) -> Planned | None:
        assert record.data is not None
        context = Context(self.now, record.where, record.meta)
        document = map_record(self.entity, record.data, context)
        if isinstance(document, Skip):
            self.report.skipped.append(Problem(record.where, document.reason, record.raw))
            self.report.policies.update(context.notes)
            return None
        self.check_references(document)
        instance = self.validate(document)
        claims: list[tuple[str, Any]] = [("key", item_key(self.compiled.key_of(instance)))]
        claims += [
            (name, hashable(getattr(instance, name))) for name in self.compiled.options.unique
        ]
        identity = get_path(document, self.entity.identity)
        if identity is not MISSING:  # what other entities refer to must be unique too
            claims.append((self.entity.identity, hashable(identity)))
        return Planned(
            record.where,
            instance,
            claims[0][1],
            claims,
            context.stamped,
            record.raw,
            notes=[*context.notes, *self.defaults(instance)],
        )

    def check_references(self, document: dict[str, Any]) -> None:
        for attribute, entity in self.entity.references.items():
            value = get_path(document, attribute)
            if hashable(value) not in self.known.get(entity, set()):
                raise Reject(f"{attribute} {value!r} is not a migrated record of {entity}")

    def validate(self, document: dict[str, Any]) -> BaseModel:
        try:
            instance = self.entity.model.model_validate(document)
            self.compiled.to_item(instance)  # NaN, an item over 400 KB: refused here
        except ValidationError as error:
            raise Reject(describe_validation(error)) from None
        except InvalidValue as error:
            raise Reject(str(error)) from None
        unset = self.compiled.key_fields - instance.model_fields_set
        if unset:
            raise Reject(
                f"the key field(s) {sorted(unset)} are not in the source: "
                "every run would make a new item"
            )
        return instance

    def defaults(self, instance: BaseModel) -> list[str]:
        """The mapped fields the source did not have and the model filled in."""
        names = self.compiled.codec.attribute_names
        notes = []
        for name, info in type(instance).model_fields.items():
            stored = names.get(name, name)
            value = getattr(instance, name)
            if name in instance.model_fields_set or stored not in self.targets or value is None:
                continue
            shown = repr(value) if info.default_factory is None else "made per record"
            if len(shown) > 40:
                shown = type(value).__name__
            notes.append(f"{stored}: not in the source (or NULL), the model's default ({shown})")
        return notes

    def claim(self, planned: Planned) -> None:
        if any(claim in self.poisoned for claim in planned.claims):
            self.duplicate(planned, "shares a key or unique value with rejected duplicates")
            return
        rivals = {
            id(self.claims[c]): self.claims[c]
            for c in planned.claims
            if c in self.claims and not self.claims[c].dropped
        }
        if rivals and self.entity.duplicates == "first":
            first = next(iter(rivals.values()))
            self.duplicate(planned, f"{self.what(planned, first)} as {first.where}, which is kept")
            return
        for rival in rivals.values():
            self.duplicate(rival, f"{self.what(rival, planned)} as {planned.where}")
        if rivals and self.entity.duplicates == "reject":
            self.poisoned.update(planned.claims)
            self.duplicate(
                planned,
                "same key or unique value as "
                + ", ".join(rival.where for rival in rivals.values()),
            )
            return
        self.claims.update(dict.fromkeys(planned.claims, planned))
        self.planned.append(planned)

    @staticmethod
    def what(one: Planned, other: Planned) -> str:
        shared = [name for name, value in one.claims if (name, value) in other.claims]
        return f"same {shared[0]}"

    def duplicate(self, planned: Planned, reason: str) -> None:
        planned.dropped = True
        self.report.duplicates.append(Problem(planned.where, reason, planned.record))


def hashable(value: Any) -> Any:
    """`value`, or its repr when it cannot be a set member (a dict, a list)."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def plan_entity(
    entity: Entity, report: EntityReport, now: datetime, known: dict[str, set[Any]]
) -> list[Planned]:
    """Read the entity's source; every record ends up planned or in the report.

    Args:
        entity: what to read and how to map it.
        report: where the counts go.
        now: the run's time.
        known: entity name -> identities migrated so far (for `references`).
    """
    planner = _Planner(entity, report, now, known)
    for record in entity.source:
        planner.add(record)
    kept = [planned for planned in planner.planned if not planned.dropped]
    for planned in kept:
        report.policies.update(planned.notes)
    return kept
