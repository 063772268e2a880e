"""Stored items that no longer fit the model: a clear error naming the item, reads that
can skip them, and models that upgrade items written by their older versions.

The items of older versions are written as plain DynamoDB JSON (as an older release of
the app would have stored them), not through the current models.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import AliasChoices, Field, model_validator

from dynamap import InvalidStoredItem, Key, Model, Session, Table

pytestmark = pytest.mark.integration

library = Table("StoredItems")


class Book(Model, table=library, entity="book"):
    """Version 2: `name` became `title`, and `authors` (a list) replaced `author`."""

    pk = Key("BOOK#{isbn}")

    isbn: str
    title: str = Field(validation_alias=AliasChoices("title", "name"))
    authors: list[str]
    pages: int = 0
    schema_version: int = 2

    @model_validator(mode="before")
    @classmethod
    def upgrade(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("schema_version", 1) == 1:
            data = dict(data)
            author = data.pop("author", None)
            data.setdefault("authors", [author] if author else [])
            data["schema_version"] = 2
        return data


def old_item(isbn: str, **fields: dict[str, Any]) -> dict[str, Any]:
    return {"PK": {"S": f"BOOK#{isbn}"}, "entity": {"S": "book"}, "isbn": {"S": isbn},
            **fields}


async def write(db: Session, item: dict[str, Any]) -> None:
    await db.send("PutItem", {"TableName": db.table_name(library), "Item": item})


async def test_an_item_of_the_older_model_is_upgraded_on_read(db: Session) -> None:
    await db.create_tables(Book)
    await write(db, old_item("1", name={"S": "Dune"}, author={"S": "Herbert"},
                             pages={"N": "412"}))
    book = await db.get(Book, isbn="1")
    assert book == Book(isbn="1", title="Dune", authors=["Herbert"], pages=412)
    assert await db.query(Book, isbn="1").all() == [book]
    # saved back, it is stored in the new shape
    await db.put(book)  # type: ignore[arg-type]
    raw = await db.get(Book, isbn="1", raw=True)
    assert raw is not None
    assert (raw["title"], raw["authors"], raw["schema_version"]) == ("Dune", ["Herbert"], 2)


async def test_an_item_that_does_not_fit_names_the_table_key_and_fields(db: Session) -> None:
    await db.create_tables(Book)
    await write(db, old_item("2", title={"S": "Emma"}, authors={"L": [{"S": "Austen"}]},
                             pages={"S": "many"}, schema_version={"N": "2"}))
    with pytest.raises(InvalidStoredItem) as caught:
        await db.get(Book, isbn="2")
    error = caught.value
    assert (error.model, error.table, error.key) == ("Book", "StoredItems",
                                                     {"PK": {"S": "BOOK#2"}})
    assert error.fields == ["pages"]
    assert "BOOK#2" in str(error) and "pages" in str(error)


async def test_reads_can_skip_items_that_do_not_fit_and_count_them(db: Session) -> None:
    await db.create_tables(Book)
    for isbn in "345":
        await db.put(Book(isbn=isbn, title=f"t{isbn}", authors=["a"]))
    await write(db, old_item("4", title={"S": "broken"}, schema_version={"N": "2"}))  # no authors
    with pytest.raises(InvalidStoredItem, match="BOOK#4"):
        await db.scan(Book).all()
    scan = db.scan(Book).on_invalid("skip")
    assert sorted(book.isbn for book in await scan.all()) == ["3", "5"]
    assert [error.key for error in scan.invalid] == [{"PK": {"S": "BOOK#4"}}]
    assert scan.invalid[0].fields == ["authors"]
