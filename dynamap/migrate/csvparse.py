"""A CSV reader that tells NULL from the empty string, and keeps going after a bad row.

Python's `csv` module reads both an unquoted empty cell and `""` as "", but PostgreSQL's
`COPY ... CSV` means NULL by the first and the empty string by the second. This reader
gives None for an unquoted empty cell, handles quoted cells over several lines and
doubled quotes, and reports a row with an unterminated quote (a truncated file) as a
problem instead of raising.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["CsvRow", "parse_csv"]


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One row: its first line, its cells (None for NULL), its text, or a problem."""

    line: int
    cells: list[str | None]
    text: str
    problem: str | None = None


class _Row:
    def __init__(self, line: int) -> None:
        self.line = line
        self.cells: list[str | None] = []
        self.cell: list[str] = []
        self.quoted = False

    def end_cell(self) -> None:
        text = "".join(self.cell)
        self.cells.append(text if text or self.quoted else None)
        self.cell, self.quoted = [], False


def parse_csv(text: str) -> Iterator[CsvRow]:
    """The rows of `text`, the header first; blank lines are skipped."""
    position, line, size = 0, 1, len(text)
    while position < size:
        start, first_line = position, line
        row, position, line, problem = _one_row(text, position, line)
        raw = text[start:position].rstrip("\r\n")
        if raw.strip() or row.cells != [None]:
            yield CsvRow(first_line, row.cells, raw, problem)


def _one_row(text: str, position: int, line: int) -> tuple[_Row, int, int, str | None]:
    row, size, in_quotes = _Row(line), len(text), False
    while position < size:
        char = text[position]
        position += 1
        if in_quotes:
            if char == '"':
                if position < size and text[position] == '"':
                    row.cell.append('"')
                    position += 1
                else:
                    in_quotes = False
            else:
                line += char == "\n"
                row.cell.append(char)
        elif char == '"' and not row.cell:
            in_quotes = row.quoted = True
        elif char == ",":
            row.end_cell()
        elif char in "\r\n":
            if char == "\r" and position < size and text[position] == "\n":
                position += 1
            row.end_cell()
            return row, position, line + 1, None
        else:
            row.cell.append(char)
    row.end_cell()
    problem = f"a quoted cell opened on line {line} is never closed" if in_quotes else None
    return row, position, line, problem
