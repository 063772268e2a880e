"""Where a migration reads its records from, one `Record` at a time.

Every source can be read more than once (verification reads it again, independently of
the run that wrote the table) and never stops at a bad record: a line that is not
JSON, a CSV row with too many or too few cells, a document that is not an object,
comes out as a `Record` with its `problem` set, so that it is counted and rejected
with its line, and the records after it are still read.

| source          | what it reads                                                    |
|-----------------|------------------------------------------------------------------|
| `JsonDocument`  | one JSON document holding a list of objects (optionally at a path) |
| `Children`      | the objects nested in a list field of another source's records   |
| `JsonLines`     | one JSON object per line                                         |
| `MongoExport`   | `mongoexport` output: JSON Lines in extended JSON                |
| `Csv`           | CSV with a header row; cells by header name, in any column order |
| `Sqlite`        | the rows of one table (or query) of a SQLite database            |
| `Directory`     | one JSON file per record (`*.json` of a directory)               |
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from dynamap.migrate.csvparse import CsvRow, parse_csv
from dynamap.migrate.errors import SourceError
from dynamap.migrate.extjson import ExtendedJsonError, decode_extended_json

__all__ = [
    "Children",
    "Csv",
    "Directory",
    "JsonDocument",
    "JsonLines",
    "MongoExport",
    "Record",
    "Source",
    "Sqlite",
]


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a source.

    Attributes:
        where: where it is, for people: `users.json line 7`, `users row 3`, `a.json`.
        data: the record as plain values (None when it could not be read).
        problem: why it could not be read (None when it could).
        raw: the record as it was in the source (text or values), for the rejects.
        meta: what the source knows about the record besides its data (a file's
            `modified` time), for transforms.
    """

    where: str
    data: dict[str, Any] | None
    problem: str | None = None
    raw: Any = None
    meta: dict[str, Any] = field(default_factory=dict)


class Source(Protocol):
    """Anything that yields `Record`s, every time it is iterated."""

    @property
    def name(self) -> str:
        """How the source is named in the report."""
        ...

    def __iter__(self) -> Iterator[Record]:
        """The records, in source order."""
        ...


def _object(where: str, value: Any, raw: Any) -> Record:
    if not isinstance(value, dict):
        return Record(where, None, f"a record must be an object, not {type(value).__name__}", raw)
    return Record(where, value, None, raw)


def _open_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise SourceError(f"{path} is not UTF-8 text: {error}") from None


@dataclass(frozen=True, slots=True)
class JsonDocument:
    """A JSON file holding a list of records, at the top or under `at` ("pages" or
    "data.pages").

    Raises (when read):
        SourceError: the file is missing, not JSON, or holds no list at `at`.
    """

    path: Path
    at: str | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        """How records are placed: `label`, or the file's name and the path in it."""
        return self.label or self.path.name + (f" {self.at}" if self.at else "")

    def __iter__(self) -> Iterator[Record]:
        try:
            document = json.loads(_open_text(self.path))
        except json.JSONDecodeError as error:
            raise SourceError(f"{self.path} is not valid JSON: {error}") from None
        for part in (self.at or "").split(".") if self.at else ():
            document = document.get(part) if isinstance(document, dict) else None
        if not isinstance(document, list):
            raise SourceError(f"{self.name}: expected a list of records")
        for position, value in enumerate(document):
            record = _object(f"{self.name}[{position}]", value, value)
            yield Record(
                record.where, record.data, record.problem, record.raw, {"position": position}
            )


@dataclass(frozen=True, slots=True)
class Children:
    """The records nested in a list field of another source's records, e.g. each
    page's `nodes`: `pages[3].nodes[1]`. A parent that could not be read, or whose
    field is not a list, has no children here (the parent's own entity reports it).

    `meta` carries the `parent` record's data and the `position` (parent, child).
    """

    parent: Source
    field: str

    @property
    def name(self) -> str:
        """The parent source's name and the field."""
        return f"{self.parent.name}.{self.field}"

    def __iter__(self) -> Iterator[Record]:
        for number, parent in enumerate(self.parent):
            items = parent.data.get(self.field) if parent.data is not None else None
            for position, value in enumerate(items if isinstance(items, list) else []):
                record = _object(f"{parent.where}.{self.field}[{position}]", value, value)
                yield Record(
                    record.where,
                    record.data,
                    record.problem,
                    record.raw,
                    {"parent": parent.data, "position": (number, position)},
                )


@dataclass(frozen=True, slots=True)
class JsonLines:
    """One JSON object per line; blank lines are not records.

    Attributes:
        path: the file.
        extended: decode MongoDB extended JSON (`$oid`, `$date`, ...).
    """

    path: Path
    extended: bool = False

    @property
    def name(self) -> str:
        """The file's name."""
        return self.path.name

    def __iter__(self) -> Iterator[Record]:
        text = _open_text(self.path)
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield self._record(f"{self.name} line {number}", line)

    def _record(self, where: str, line: str) -> Record:
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            return Record(where, None, f"not valid JSON: {error}", line)
        if self.extended:
            try:
                value = decode_extended_json(value)
            except ExtendedJsonError as error:
                return Record(where, None, str(error), line)
        return _object(where, value, line)


def MongoExport(path: Path) -> JsonLines:  # noqa: N802 - reads as the source it names
    """`mongoexport --collection X --out X.json` output: JSON Lines in extended JSON."""
    return JsonLines(path, extended=True)


@dataclass(frozen=True, slots=True)
class Csv:
    """A CSV file with a header row; each row becomes {header name: text}.

    Columns are found by their header names, so their order does not matter. An empty
    unquoted cell is NULL (None), as PostgreSQL's `COPY ... CSV` writes it; a quoted
    empty cell (`""`) is the empty string. Quoted cells may span lines.

    Attributes:
        path: the file.
        null: further cell texts that mean NULL, e.g. `("\\\\N", "NULL")`.
    """

    path: Path
    null: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The file's name."""
        return self.path.name

    def __iter__(self) -> Iterator[Record]:
        rows = parse_csv(_open_text(self.path))
        header = next(rows, None)
        if header is None or header.problem is not None:
            raise SourceError(f"{self.path}: no header row")
        names = [cell or "" for cell in header.cells]
        for row in rows:
            yield self._record(names, row)

    def _record(self, names: list[str], row: CsvRow) -> Record:
        where = f"{self.name} line {row.line}"
        raw = row.text
        if row.problem is not None:
            return Record(where, None, row.problem, raw)
        if len(row.cells) != len(names):
            return Record(
                where, None, f"the row has {len(row.cells)} cells, the header {len(names)}", raw
            )
        data = {
            name: None if cell in self.null else cell
            for name, cell in zip(names, row.cells, strict=True)
        }
        return Record(where, data, None, raw)


@dataclass(frozen=True, slots=True)
class Sqlite:
    """The rows of one table of a SQLite database, opened read-only, in rowid order.

    Attributes:
        path: the database file.
        table: the table to read.
        query: a SELECT to run instead of reading `table` whole.
    """

    path: Path
    table: str
    query: str | None = None

    @property
    def name(self) -> str:
        """The table's name."""
        return self.table

    def __iter__(self) -> Iterator[Record]:
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such database file")
        sql = self.query or f'SELECT * FROM "{self.table}" ORDER BY rowid'
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            rows = connection.execute(sql).fetchall()
        except sqlite3.Error as error:
            raise SourceError(f"{self.path}: {error}") from None
        finally:
            connection.close()
        for number, row in enumerate(rows, start=1):
            data = dict(row)
            yield Record(f"{self.table} row {number}", data, None, data)


@dataclass(frozen=True, slots=True)
class Directory:
    """One JSON document per file: every file of `path` matching `pattern`, in name order.

    Attributes:
        path: the directory.
        pattern: which files are records.
    """

    path: Path
    pattern: str = "*.json"

    @property
    def name(self) -> str:
        """The directory's name."""
        return self.path.name

    def __iter__(self) -> Iterator[Record]:
        if not self.path.is_dir():
            raise SourceError(f"{self.path} is not a directory")
        for file in sorted(self.path.glob(self.pattern)):
            yield self._record(file)

    @staticmethod
    def _record(file: Path) -> Record:
        data = file.read_bytes()
        meta = {"modified": datetime.fromtimestamp(file.stat().st_mtime, UTC), "name": file.name}
        try:
            value = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return Record(
                file.name, None, f"not JSON: {error}", data.decode("utf-8", "replace"), meta
            )
        record = _object(file.name, value, value)
        return Record(record.where, record.data, record.problem, record.raw, meta)
