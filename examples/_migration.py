"""What the examples' data migrations share: `dynamap.migrate`, and one helper for
the web API's error messages.

Every example's `migration.py` describes its export as `dynamap.migrate.Entity`s
(a source, a model, an explicit field mapping) and runs `dynamap.migrate.migrate`,
which accounts for every record (read = written + unchanged + rejected + duplicates +
skipped), reports source fields that are not mapped, leaves items already migrated
alone, and verifies the table against the source read again.
"""

from __future__ import annotations

from pydantic import ValidationError

from dynamap.migrate import EntityReport, MigrationReport, Problem, describe_validation

__all__ = ["EntityReport", "MigrationReport", "Problem", "describe_validation_error"]


def describe_validation_error(error: ValidationError) -> str:
    """A pydantic validation error in one line: `field: problem; field: problem`."""
    return describe_validation(error)
