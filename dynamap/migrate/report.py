"""What one migration run did, record by record, with counts that add up."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EntityReport", "MigrationReport", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One record not written: where it is, why, and the record as read."""

    where: str
    reason: str
    record: Any = None

    def to_json(self) -> dict[str, Any]:
        """As one JSON object."""
        return {"where": self.where, "reason": self.reason, "record": self.record}


@dataclass(slots=True)
class EntityReport:
    """The outcome for one entity.

    Every record read is exactly one of: written, unchanged (already in the table as
    this run would write it), rejected, duplicate, or skipped on purpose.

    Attributes:
        name: the entity.
        read: records read from the source.
        written: items written by this run.
        unchanged: items already stored exactly as this run would write them.
        rejected: records refused, with the reason.
        duplicates: records that share a key (or a unique value) with another record,
            naming it.
        skipped: records left out on purpose (by a transform), with the reason.
        unmapped: source fields no mapping carries -> how many records have them.
        ignored: source fields the mapping ignores on purpose -> how many records.
        policies: "what was done" -> how many records it was done to.
        verified: items read back equal to the source, field by field.
        expired: items written with an expiry already past and gone by the check
            (DynamoDB's TTL deleted them, as the run's policy asked).
        mismatches: one line per difference between the source and the table.
    """

    name: str
    read: int = 0
    written: int = 0
    unchanged: int = 0
    rejected: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    policies: Counter[str] = field(default_factory=Counter)
    verified: int = 0
    expired: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        """Items this entity has in the table after the run (written or unchanged)."""
        return self.written + self.unchanged

    @property
    def balanced(self) -> bool:
        """Whether read = written + unchanged + rejected + duplicates + skipped."""
        return self.read == (
            self.stored + len(self.rejected) + len(self.duplicates) + len(self.skipped)
        )

    @property
    def ok(self) -> bool:
        """Balanced, and every stored item verified against the source."""
        return self.balanced and not self.mismatches and self.verified + self.expired == self.stored

    def lines(self) -> list[str]:
        """The report for people, one fact a line."""
        state = "verified" if self.ok else f"{len(self.mismatches)} MISMATCHED"
        lines = [
            f"{self.name}: read {self.read} = written {self.written} + unchanged "
            f"{self.unchanged} + rejected {len(self.rejected)} + duplicates "
            f"{len(self.duplicates)} + skipped {len(self.skipped)}; "
            f"{self.verified} checked against the source: {state}"
        ]
        if self.expired:
            lines.append(
                f"  {self.expired} records: written past their expiry, already "
                "deleted by DynamoDB's TTL"
            )
        lines += [
            f"  {name}: {count} records, not mapped"
            for name, count in sorted(self.unmapped.items())
        ]
        lines += [
            f"  {name}: {count} records, ignored on purpose"
            for name, count in sorted(self.ignored.items())
        ]
        lines += [f"  {count} records: {policy}" for policy, count in sorted(self.policies.items())]
        lines += [f"  mismatch {line}" for line in self.mismatches[:20]]
        return lines


@dataclass(slots=True)
class MigrationReport:
    """The outcome of a run over several entities."""

    entities: list[EntityReport] = field(default_factory=list)

    def __getitem__(self, name: str) -> EntityReport:
        return next(entity for entity in self.entities if entity.name == name)

    @property
    def ok(self) -> bool:
        """Whether every entity is balanced and verified."""
        return all(entity.ok for entity in self.entities)

    def total(self, what: str) -> int:
        """A count over all entities: "read", "written", "unchanged", "rejected",
        "duplicates", "skipped" or "verified"."""
        values = (getattr(entity, what) for entity in self.entities)
        return sum(len(value) if isinstance(value, list) else value for value in values)

    def summary(self) -> str:
        """The whole report for people."""
        return "\n".join(line for entity in self.entities for line in entity.lines())

    def write_rejects(self, path: Path) -> Path:
        """Write every rejected, duplicate and skipped record as JSON Lines."""
        with path.open("w", encoding="utf-8") as out:
            for entity in self.entities:
                for kind in ("rejected", "duplicates", "skipped"):
                    for problem in getattr(entity, kind):
                        line = {"entity": entity.name, "kind": kind, **problem.to_json()}
                        out.write(json.dumps(line, default=str) + "\n")
        return path
