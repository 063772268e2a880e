"""How models and pages show in Jupyter (HTML), in rich, and as pandas DataFrames."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from pydantic import BaseModel, Field
from rich.console import Console

from dynamap import Key, Model, Page, Table
from dynamap._display import MAX_ROWS, MAX_TEXT, text

shelf = Table("DisplayShelf")


class Author(BaseModel):
    name: str


class Book(Model, table=shelf, entity="book"):
    pk = Key("BOOK#{id}")
    sk = Key("META#")

    id: str
    title: str
    published: datetime = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    tags: list[str] = Field(default_factory=list)
    author: Author | None = None


class Review(Model, table=shelf, entity="review"):
    pk = Key("BOOK#{book_id}")
    sk = Key("REVIEW#{id}")

    id: str
    book_id: str
    stars: int


class _Cells(HTMLParser):
    """Collects the text of each table row, as the browser would show it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "caption"):
            self._in = tag
            if tag != "caption":
                self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "caption":
            self.caption += data
        elif self._in is not None:
            self.rows[-1][-1] += data


def cells(markup: str) -> _Cells:
    parser = _Cells()
    parser.feed(markup)
    return parser


def test_a_model_is_a_field_value_table_with_its_values_escaped() -> None:
    book = Book(id="b1", title="<script>alert('x')</script> & co", tags=["a"],
                author=Author(name="Ada"))
    markup = book._repr_html_()
    assert "<script>" not in markup
    table = cells(markup)
    assert table.caption == "Book"
    assert table.rows == [
        ["field", "value"],
        ["id", "b1"],
        ["title", "<script>alert('x')</script> & co"],
        ["published", "2024-05-01T12:00:00+00:00"],
        ["tags", "['a']"],
        ["author", "Author(name='Ada')"],
    ]


def test_a_page_is_a_table_with_one_row_per_item() -> None:
    books = [Book(id="b1", title="One"), Book(id="b2", title="Two & <Three>")]
    table = cells(Page(books, cursor="next")._repr_html_())
    assert table.caption == "Page: 2 items, more after the cursor"
    assert table.rows[0] == ["id", "title", "published", "tags", "author"]
    assert [row[:2] for row in table.rows[1:]] == [["b1", "One"], ["b2", "Two & <Three>"]]
    assert cells(Page([books[0]], None)._repr_html_()).caption == "Page: 1 item, last page"


def test_a_collection_page_names_each_row_s_model_and_leaves_other_fields_blank() -> None:
    items: list[object] = [Book(id="b1", title="One"),
                           Review(id="r1", book_id="b1", stars=5), {"PK": "raw"}]
    table = cells(Page(items, None)._repr_html_())
    header = table.rows[0]
    assert header[0] == "model"
    assert [row[0] for row in table.rows[1:]] == ["Book", "Review", "(raw)"]
    review = dict(zip(header, table.rows[2], strict=True))
    assert review["stars"] == "5"
    assert review["title"] == ""
    assert dict(zip(header, table.rows[3], strict=True))["PK"] == "raw"


def test_long_values_and_long_pages_are_cut_short() -> None:
    assert text("x" * 1000) == "x" * (MAX_TEXT - 1) + "…"
    books = [Book(id=f"b{n}", title="t") for n in range(MAX_ROWS + 5)]
    table = cells(Page(books, None)._repr_html_())
    assert len(table.rows) == MAX_ROWS + 1
    assert table.caption.endswith(f"(first {MAX_ROWS} shown)")


def test_rich_prints_models_and_pages_as_tables_without_reading_markup() -> None:
    console = Console(width=200, record=True, color_system=None)
    console.print(Book(id="b1", title="[bold]not markup[/bold]"))
    console.print(Page([Book(id="b2", title="Two")], None))
    shown = console.export_text()
    assert "[bold]not markup[/bold]" in shown
    assert "│ title" in shown
    assert "Page: 1 item, last page" in shown
    assert "│ b2 " in shown


def test_a_page_becomes_a_dataframe_with_a_row_per_item() -> None:
    books = [Book(id="b1", title="One", author=Author(name="Ada")), Book(id="b2", title="Two")]
    frame = Page(books, None).to_pandas()
    assert list(frame.columns) == ["id", "title", "published", "tags", "author"]
    assert frame["title"].tolist() == ["One", "Two"]
    assert frame["author"].tolist() == [{"name": "Ada"}, None]
    assert str(frame["published"].dtype).startswith("datetime64")


def test_a_mixed_page_becomes_a_dataframe_with_a_model_column() -> None:
    items = [Book(id="b1", title="One"), Review(id="r1", book_id="b1", stars=4)]
    frame = Page(items, None).to_pandas()
    assert frame["model"].tolist() == ["Book", "Review"]
    assert frame["stars"].tolist()[1] == 4


def test_without_pandas_to_pandas_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an absent package looks like
    with pytest.raises(ImportError, match=r'pip install "dynamap\[pandas\]"'):
        Page([Book(id="b1", title="One")], None).to_pandas()
