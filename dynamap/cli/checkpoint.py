"""The progress file of an import, so that `--resume` skips what is already written.

`<FILE>.dynamap-progress` sits next to the input and holds how many rows of it are
done: every valid row among them is confirmed written (and the others rejected). It
is rewritten atomically (a temporary file, fsync, rename) only after a chunk of rows
has been written, so after a crash it never counts a row that is not stored. Rows
written after the last save are written again on resume; a put is idempotent.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from dynamap.cli.errors import CommandError

__all__ = ["Checkpoint", "checkpoint_path"]

SUFFIX = ".dynamap-progress"


def checkpoint_path(source: Path) -> Path:
    """Where the progress file of an import of `source` lives."""
    return source.with_name(source.name + SUFFIX)


@dataclass(slots=True)
class Checkpoint:
    """How far an import has got.

    Attributes:
        model: the model imported, as `module:Class`.
        table: the physical table written to.
        rows: rows of the input done, from the first (written or rejected).
        written: rows written to the table so far.
    """

    model: str
    table: str
    rows: int = 0
    written: int = 0

    @classmethod
    def load(cls, path: Path) -> Checkpoint | None:
        """The saved progress, or None when there is no progress file.

        Raises:
            CommandError: the file exists but cannot be read as a progress file.
        """
        try:
            data: Any = orjson.loads(path.read_bytes())
            return cls(
                model=str(data["model"]),
                table=str(data["table"]),
                rows=int(data["rows"]),
                written=int(data["written"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise CommandError(
                f"{path} is not a readable progress file ({error!r}); delete it to start "
                "the import over"
            ) from error

    def check(self, path: Path, model: str, table: str) -> None:
        """Refuse to resume another import's progress.

        Raises:
            CommandError: the progress was saved for another model or table.
        """
        if (self.model, self.table) != (model, table):
            raise CommandError(
                f"{path} records an import of {self.model} into {self.table}, not {model} into "
                f"{table}; delete it, or run without --resume to start over"
            )

    def save(self, path: Path) -> None:
        """Write the progress durably: temporary file, fsync, atomic rename."""
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("wb") as stream:
            stream.write(orjson.dumps(asdict(self)))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        _sync_directory(path.parent)


def _sync_directory(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening directories)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
