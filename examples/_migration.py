"""What the examples' data migrations share: the report of one run and its rejects.

A migration reads records from the old store, validates each one before anything is
written, writes the valid ones in batches, then reads everything back and compares.
Records that fail validation are never written: they go to the rejects report with
the reason, so that they can be fixed and imported again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

__all__ = ["MigrationReport", "Reject", "describe_validation_error"]


@dataclass(frozen=True, slots=True)
class Reject:
    """One record that was not imported.

    Attributes:
        source: where the record came from, e.g. "pages[3].nodes[1]" or "users row 7".
        reason: why it was refused, in words.
        record: the record as it was read (JSON-compatible), so it can be fixed.
    """

    source: str
    reason: str
    record: Any = None

    def to_json(self) -> dict[str, Any]:
        """The reject as one JSON object."""
        return {"source": self.source, "reason": self.reason, "record": self.record}


@dataclass(slots=True)
class MigrationReport:
    """The outcome of one migration run.

    Attributes:
        read: records read from the old store.
        imported: records written, per entity (e.g. {"page": 10, "node": 90}).
        rejects: records refused, with their reasons.
        verified: records read back and found equal to what was written.
        mismatches: one line per record read back different, or missing.
    """

    read: int = 0
    imported: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    verified: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def imported_total(self) -> int:
        """How many records were written, all entities together."""
        return sum(self.imported.values())

    @property
    def ok(self) -> bool:
        """Whether every written record was read back exactly as written."""
        return not self.mismatches and self.verified == self.imported_total

    def reject(self, source: str, reason: str, record: Any = None) -> None:
        """Record one refused record."""
        self.rejects.append(Reject(source, reason, record))

    def count(self, entity: str, number: int = 1) -> None:
        """Count records of one entity as imported."""
        self.imported[entity] = self.imported.get(entity, 0) + number

    def write_rejects(self, path: Path) -> Path:
        """Write the rejects as JSON Lines (one `Reject.to_json()` per line)."""
        lines = (json.dumps(reject.to_json(), default=str) for reject in self.rejects)
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path

    def summary(self) -> str:
        """One line for people: what was read, written, refused and verified."""
        parts = ", ".join(f"{n} {entity}" for entity, n in sorted(self.imported.items()))
        state = "verified" if self.ok else f"{len(self.mismatches)} MISMATCHED"
        return (f"read {self.read}, imported {self.imported_total} ({parts or 'nothing'}), "
                f"rejected {len(self.rejects)}, {self.verified} read back: {state}")


def describe_validation_error(error: ValidationError) -> str:
    """A pydantic validation error in one line: `field: problem; field: problem`."""
    problems: Iterable[str] = (
        f"{'.'.join(str(part) for part in issue['loc']) or 'record'}: {issue['msg']}"
        for issue in error.errors(include_url=False)
    )
    return "; ".join(problems)
