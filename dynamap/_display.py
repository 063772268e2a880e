"""How models and result pages look in notebooks and terminals, and as DataFrames.

Jupyter calls `_repr_html_`: a model shows as a two-column field/value table, a
`Page` as a table with one row per item (one column per field; a leading `model`
column when the items are of several models, as in a collection read). rich calls
`__rich__` for the same tables in a terminal. `to_dataframe` turns items into a
pandas DataFrame, one row per item.

Everything shown is escaped; long values are cut short. rich and pandas are imported
only when used: rich comes with the `cli` extra, pandas with the `pandas` extra.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel

if TYPE_CHECKING:
    from pandas import DataFrame
    from rich.table import Table as RichTable

__all__ = [
    "MAX_ROWS",
    "MAX_TEXT",
    "Rows",
    "items_html",
    "items_rich",
    "model_html",
    "model_rich",
    "require_pandas",
    "text",
    "to_dataframe",
]

#: The most rows a table shows; the caption says how many more there are.
MAX_ROWS = 100
#: The most characters a cell shows; longer values end in "…".
MAX_TEXT = 200
_MODEL_COLUMN = "model"
_PLAIN = (str, int, float, Decimal, bool, UUID)
_PANDAS_MISSING = 'to_pandas() needs pandas, which is not installed: pip install "dynamap[pandas]"'


def text(value: object, limit: int = MAX_TEXT) -> str:
    """A short, readable text for one value (not yet escaped)."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime | date | time):
        shown = value.isoformat()
    elif isinstance(value, _PLAIN):
        shown = str(value)
    else:
        shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _fields(item: object, dump: bool = False) -> dict[str, Any]:
    if isinstance(item, BaseModel):
        if dump:
            return item.model_dump()
        return {name: getattr(item, name) for name in type(item).model_fields}
    if isinstance(item, Mapping):
        return {str(name): value for name, value in item.items()}
    return {"value": item}


class Rows:
    """Items laid out as a table: the columns, and one record (a dict) per item.

    Items of several classes (a collection read) get a leading `model` column.

    Args:
        items: models, or dicts from raw reads.
        dump: take model values from `model_dump()` (nested models as dicts).
    """

    def __init__(self, items: Iterable[object], *, dump: bool = False) -> None:
        items = list(items)
        mixed = len({type(item) for item in items}) > 1
        self.records = [_record(item, mixed, dump) for item in items]
        columns: dict[str, None] = {}
        for record in self.records:
            columns.update(dict.fromkeys(record))
        self.columns = list(columns)


def _record(item: object, mixed: bool, dump: bool) -> dict[str, Any]:
    record = _fields(item, dump)
    if mixed:
        kind = type(item).__name__ if isinstance(item, BaseModel) else "(raw)"
        record = {_MODEL_COLUMN: kind, **record}
    return record


# -- HTML (Jupyter) ----------------------------------------------------------------------


def _cell(tag: str, value: str) -> str:
    return f"<{tag}>{html.escape(value)}</{tag}>"


def model_html(instance: BaseModel) -> str:
    """A model as an HTML table with a row per field: name, then value."""
    body = "".join(
        f"<tr>{_cell('th', name)}{_cell('td', text(value))}</tr>"
        for name, value in _fields(instance).items()
    )
    return (
        f'<table class="dynamap-model">{_cell("caption", type(instance).__name__)}'
        f"<thead><tr><th>field</th><th>value</th></tr></thead><tbody>{body}</tbody></table>"
    )


def items_html(items: Sequence[object], caption: str) -> str:
    """Items as an HTML table: a header row of field names, then one row per item."""
    table = Rows(items[:MAX_ROWS])
    head = "".join(_cell("th", column) for column in table.columns)
    body = "".join(
        "<tr>" + "".join(_cell("td", _shown(record, column)) for column in table.columns) + "</tr>"
        for record in table.records
    )
    return (
        f'<table class="dynamap-items">{_cell("caption", _caption(caption, len(items)))}'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _shown(record: Mapping[str, Any], column: str) -> str:
    return text(record[column]) if column in record else ""


def _caption(caption: str, count: int) -> str:
    if count > MAX_ROWS:
        return f"{caption} (first {MAX_ROWS} shown)"
    return caption


# -- rich (terminals) --------------------------------------------------------------------


def model_rich(instance: BaseModel) -> RichTable:
    """A model as a rich table with a row per field."""
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable("field", "value", title=Text(type(instance).__name__), title_justify="left")
    for name, value in _fields(instance).items():
        table.add_row(Text(name), Text(text(value)))
    return table


def items_rich(items: Sequence[object], caption: str) -> RichTable:
    """Items as a rich table with a row per item."""
    from rich.table import Table as RichTable
    from rich.text import Text

    laid_out = Rows(items[:MAX_ROWS])
    table = RichTable(title=Text(_caption(caption, len(items))), title_justify="left")
    for column in laid_out.columns:
        table.add_column(Text(column))
    for record in laid_out.records:
        table.add_row(*(Text(_shown(record, column)) for column in laid_out.columns))
    return table


# -- pandas ------------------------------------------------------------------------------


def require_pandas() -> None:
    """Check that pandas can be imported.

    Raises:
        ImportError: pandas is not installed; the message says how to install it.
    """
    try:
        import pandas  # noqa: F401
    except ImportError as error:
        raise ImportError(_PANDAS_MISSING) from error


def to_dataframe(items: Iterable[object]) -> DataFrame:
    """Items as a pandas DataFrame: one row per item, one column per field (nested
    models as dicts; a leading `model` column when the items are of several models).

    Raises:
        ImportError: pandas is not installed.
    """
    require_pandas()
    import pandas

    laid_out = Rows(items, dump=True)
    return pandas.DataFrame.from_records(laid_out.records, columns=laid_out.columns)
