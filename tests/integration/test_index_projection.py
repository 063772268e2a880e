"""Queries on an index that projects only some fields return partial models."""

from __future__ import annotations

import pytest

from dynamap import GSI, FieldNotRead, Key, Model, Partial, PartialItem, Session, Table

library = Table("Library")


class Book(Model, table=library, entity="book"):
    pk = Key("BOOK#{isbn}")
    by_shelf = GSI("ByShelf", pk="shelf", projection="INCLUDE", include=["isbn", "title"])
    keys_only = GSI("ByAuthor", pk="author", projection="KEYS_ONLY")

    isbn: str
    title: str
    author: str
    shelf: str
    pages: int = 0


async def test_an_include_projection_gives_the_included_fields(db: Session) -> None:
    await db.create_tables(Book)
    await db.put(Book(isbn="1", title="Dune", author="Herbert", shelf="sf", pages=412))
    [book] = await db.query(Book, index=Book.by_shelf, shelf="sf").partial().all()
    assert (book.isbn, book.title, book.shelf) == ("1", "Dune", "sf")
    assert book.fields == {"isbn", "title", "shelf"}
    with pytest.raises(FieldNotRead):
        _ = book.pages  # not projected: never the default 0


async def test_a_keys_only_projection_gives_the_keys(db: Session) -> None:
    await db.create_tables(Book)
    await db.put(Book(isbn="2", title="Emma", author="Austen", shelf="classics"))
    [book] = await db.query(Book, index=Book.keys_only, author="Austen").partial().all()
    # the index key, and the table key parsed back from PK ("BOOK#2")
    assert book.to_dict() == {"author": "Austen", "isbn": "2"}
    assert await db.get(Book, **book.key()) == Book(isbn="2", title="Emma", author="Austen",
                                                   shelf="classics")


async def test_an_index_of_some_fields_is_not_read_as_whole_items(db: Session) -> None:
    await db.create_tables(Book)
    await db.put(Book(isbn="3", title="Ulysses", author="Joyce", shelf="classics"))
    with pytest.raises(PartialItem, match=r"projects KEYS_ONLY.*\.partial\(\)"):
        await db.query(Book, index=Book.keys_only, author="Joyce").all()


async def test_a_partial_read_cannot_be_written_back_whole(db: Session) -> None:
    await db.create_tables(Book)
    stored = await db.put(Book(isbn="4", title="Dune", author="Herbert", shelf="sf"))
    [book] = await db.query(Book, index=Book.by_shelf, shelf="sf").partial().all()
    assert isinstance(book, Partial)
    with pytest.raises(PartialItem, match="would erase the other fields"):
        await db.put(book)  # type: ignore[type-var]
    # updating what was read is safe: only the named paths change
    fresh = await db.update(book, set={"title": "Dune Messiah"})
    assert fresh == stored.model_copy(update={"title": "Dune Messiah"})
    assert await db.get(Book, isbn="4") == fresh
