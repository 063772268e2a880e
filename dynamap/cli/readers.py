"""Reading rows to import: JSON arrays, JSON Lines (with MongoDB extended JSON) and CSV.

A file that cannot be parsed is malformed and stops the import before anything is
written (`CommandError`, naming the line). A row that parses but is not usable (not
an object, a bad `$date`) is the row's own problem: `prepare` raises `RowError`
and the row goes to the rejects file.

MongoDB extended JSON, as `mongoexport` writes it, is turned into plain values:
`{"$oid": "..."}` -> str, `{"$date": "2024-03-15T12:00:00Z"}` or
`{"$date": {"$numberLong": "1710504000000"}}` -> an aware UTC datetime,
`$numberLong` / `$numberInt` -> int, `$numberDouble` -> float, `$numberDecimal` ->
Decimal.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, cast

import orjson

from dynamap.cli.errors import CommandError

__all__ = [
    "FORMATS",
    "Format",
    "Row",
    "RowError",
    "detect_format",
    "from_extended_json",
    "prepare",
    "read_rows",
]

Format = Literal["json", "jsonl", "csv"]
FORMATS: tuple[str, ...] = ("auto", "json", "jsonl", "csv")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXTRA_CELLS = "\0extra"  # where csv.DictReader puts cells beyond the header


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the input.

    Attributes:
        number: its position among the rows, from 1 (what `--resume` counts).
        line: the line it starts on (for a JSON array: its position in the array).
        data: the row as read: a JSON value, or a CSV row without its empty cells.
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
        "json": _json_array, "jsonl": _json_lines, "csv": _csv_rows,
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
            try:
                data = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                raise CommandError(
                    f"{path} line {line_number} is not valid JSON ({error}); fix or remove "
                    "that line (JSON Lines needs one complete object per line)"
                ) from error
            number += 1
            yield Row(number, line_number, data)


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream, restkey=_EXTRA_CELLS)
        start = 1
        try:
            for number, record in enumerate(reader, start=1):
                yield Row(number, start + 1, _csv_record(record))
                start = reader.line_num
        except csv.Error as error:
            raise CommandError(
                f"{path} line {reader.line_num} is not valid CSV ({error}); fix the file"
            ) from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text ({error}); re-save it as UTF-8") \
                from error


def _csv_record(record: Mapping[str | None, Any]) -> dict[str, Any]:
    return {str(name): value for name, value in record.items()
            if value is not None and value != ""}


def prepare(data: Any, renames: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The row as the model's input: extended JSON converted, fields renamed.

    Raises:
        RowError: the row is not an object, has surplus CSV cells, or holds a bad
            extended-JSON value.
    """
    if not isinstance(data, dict):
        raise RowError(f"a row must be an object, not a JSON {_json_kind(data)}")
    if _EXTRA_CELLS in data:
        surplus = len(data[_EXTRA_CELLS])
        raise RowError(f"the row has {surplus} more cell(s) than the header")
    converted: dict[str, Any] = from_extended_json(data)
    for old, new in renames:
        if old in converted:
            converted[new] = converted.pop(old)
    return converted


def _json_kind(value: Any) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
             float: "number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def from_extended_json(value: Any) -> Any:
    """`value` with MongoDB extended JSON wrappers replaced by plain values.

    Raises:
        RowError: a wrapper holds a value it cannot (`{"$date": "yesterday"}`).
    """
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
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
        raise TypeError("expected an ISO-8601 string or {\"$numberLong\": milliseconds}")
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
