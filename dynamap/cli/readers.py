"""Reading rows to import: JSON arrays, JSON Lines (with MongoDB extended JSON) and CSV.

A JSON array that cannot be parsed stops the import before anything is written
(`CommandError`). In JSON Lines and CSV each row stands alone: a line that is not
JSON, or a CSV row with too many or too few cells, is that row's problem, like a row
that parses but is not usable (not an object, a bad `$date`): `prepare` raises
`RowError` and the row goes to the rejects file, so that every bad line is reported
in one run. In CSV an unquoted empty cell is NULL (None) and a quoted one (`""`) the
empty string, as PostgreSQL's `COPY ... CSV` writes them.

MongoDB extended JSON, as `mongoexport` writes it, is turned into plain values:
`{"$oid": "..."}` -> str, `{"$date": "2024-03-15T12:00:00Z"}` or
`{"$date": {"$numberLong": "1710504000000"}}` -> an aware UTC datetime,
`$numberLong` / `$numberInt` -> int, `$numberDouble` -> float, `$numberDecimal` ->
Decimal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, cast

import orjson

from dynamap.cli.errors import CommandError
from dynamap.migrate.csvparse import CsvRow, parse_csv

__all__ = [
    "FORMATS",
    "Format",
    "Row",
    "RowError",
    "Unreadable",
    "detect_format",
    "from_extended_json",
    "prepare",
    "read_rows",
]

Format = Literal["json", "jsonl", "csv"]
FORMATS: tuple[str, ...] = ("auto", "json", "jsonl", "csv")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """The data of a row that could not be parsed: why, and its text."""

    problem: str
    text: str


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the input.

    Attributes:
        number: its position among the rows, from 1 (what `--resume` counts).
        line: the line it starts on (for a JSON array: its position in the array).
        data: the row as read: a JSON value, a CSV row ({header: text, or None for
            NULL}), or `Unreadable` when the line could not be parsed.
    """

    number: int
    line: int
    data: Any


class RowError(ValueError):
    """A row that was read but cannot be used as it is; the message says why."""


def detect_format(path: Path, given: str) -> Format:
    """The file's format: as given, else by its suffix, else by its first character.

    Raises:
        CommandError: the format cannot be told.
    """
    if given != "auto":
        return cast(Format, given)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    first = _first_character(path)
    if first == "[":
        return "json"
    if first == "{" or (first == "" and suffix == ".json"):
        return "jsonl"
    raise CommandError(
        f"cannot tell the format of {path}: pass --format json (an array), jsonl (one "
        "object per line) or csv"
    )


def _first_character(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    return chr(head[0]) if head else ""


def read_rows(path: Path, file_format: Format) -> Iterator[Row]:
    """The rows of the file, in order.

    Raises:
        CommandError: the file is malformed; the message names the line.
    """
    readers: dict[str, Callable[[Path], Iterator[Row]]] = {
        "json": _json_array,
        "jsonl": _json_lines,
        "csv": _csv_rows,
    }
    return readers[file_format](path)


def _json_array(path: Path) -> Iterator[Row]:
    try:
        document = orjson.loads(path.read_bytes().lstrip(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as error:
        raise CommandError(
            f"{path} is not valid JSON ({error}); fix the file, or pass --format jsonl if "
            "it holds one object per line"
        ) from error
    if not isinstance(document, list):
        raise CommandError(
            f"{path} holds one JSON {_json_kind(document)}, not an array of rows; pass "
            "--format jsonl if it holds one object per line"
        )
    for position, data in enumerate(document, start=1):
        yield Row(position, position, data)


def _json_lines(path: Path) -> Iterator[Row]:
    number = 0
    with path.open("rb") as stream:
        for line_number, line in enumerate(stream, start=1):
            text = line.lstrip(b"\xef\xbb\xbf") if line_number == 1 else line
            if not text.strip():
                continue
            number += 1
            try:
                data: Any = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                data = Unreadable(
                    f"not valid JSON ({error})", text.decode("utf-8", "replace").rstrip("\n")
                )
            yield Row(number, line_number, data)


def _csv_rows(path: Path) -> Iterator[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text ({error}); re-save it as UTF-8") from error
    rows = parse_csv(text)
    header = next(rows, None)
    if header is None:
        return
    names = [cell or "" for cell in header.cells]
    for number, row in enumerate(rows, start=1):
        yield Row(number, row.line, _csv_data(names, row))


def _csv_data(names: list[str], row: CsvRow) -> Any:
    if row.problem is not None:
        return Unreadable(row.problem, row.text)
    if len(row.cells) != len(names):
        return Unreadable(f"the row has {len(row.cells)} cells, the header {len(names)}", row.text)
    return dict(zip(names, row.cells, strict=True))


def prepare(data: Any, renames: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The row as the model's input: extended JSON converted, fields renamed.

    Raises:
        RowError: the row is not an object, has surplus CSV cells, or holds a bad
            extended-JSON value.
    """
    if isinstance(data, Unreadable):
        raise RowError(data.problem)
    if not isinstance(data, dict):
        raise RowError(f"a row must be an object, not a JSON {_json_kind(data)}")
    converted: dict[str, Any] = from_extended_json(data)
    for old, new in renames:
        if old in converted:
            converted[new] = converted.pop(old)
    return converted


def _json_kind(value: Any) -> str:
    kinds = {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }
    return kinds.get(type(value), type(value).__name__)


def from_extended_json(value: Any) -> Any:
    """`value` with MongoDB extended JSON wrappers replaced by plain values.

    Raises:
        RowError: a wrapper holds a value it cannot (`{"$date": "yesterday"}`).
    """
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            convert = _WRAPPERS.get(key)
            if convert is not None:
                return _unwrap(key, inner, convert)
        return {name: from_extended_json(item) for name, item in value.items()}
    if isinstance(value, list):
        return [from_extended_json(item) for item in value]
    return value


def _unwrap(key: str, inner: Any, convert: Callable[[Any], Any]) -> Any:
    try:
        return convert(inner)
    except (ValueError, TypeError, InvalidOperation, OverflowError) as error:
        raise RowError(f"bad {key} value {inner!r}: {error}") from error


def _date(inner: Any) -> datetime:
    if isinstance(inner, dict):
        inner = _integer(inner.get("$numberLong"))
    if isinstance(inner, int) and not isinstance(inner, bool):
        return _EPOCH + timedelta(milliseconds=inner)
    if not isinstance(inner, str):
        raise TypeError('expected an ISO-8601 string or {"$numberLong": milliseconds}')
    parsed = datetime.fromisoformat(inner)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _integer(inner: Any) -> int:
    if isinstance(inner, bool) or not isinstance(inner, str | int):
        raise TypeError("expected an integer as a string")
    return int(inner)


def _double(inner: Any) -> float:
    if isinstance(inner, bool) or not isinstance(inner, str | int | float):
        raise TypeError("expected a number as a string")
    return float(inner)


def _decimal(inner: Any) -> Decimal:
    if not isinstance(inner, str | int):
        raise TypeError("expected a decimal number as a string")
    return Decimal(inner)


def _object_id(inner: Any) -> str:
    if not isinstance(inner, str):
        raise TypeError("expected a string")
    return inner


_WRAPPERS: dict[str, Callable[[Any], Any]] = {
    "$oid": _object_id,
    "$date": _date,
    "$numberLong": _integer,
    "$numberInt": _integer,
    "$numberDouble": _double,
    "$numberDecimal": _decimal,
}
