"""Queries on an index that projects only some fields return partial models."""

from __future__ import annotations

from dynamap import GSI, Key, Model, Session, Table

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
    [book] = await db.query(Book, index=Book.by_shelf, shelf="sf").all()
    assert (book.isbn, book.title, book.shelf) == ("1", "Dune", "sf")
    assert book.pages == 0  # not projected: the default
    assert "author" not in book.model_fields_set


async def test_a_keys_only_projection_gives_the_keys(db: Session) -> None:
    await db.create_tables(Book)
    await db.put(Book(isbn="2", title="Emma", author="Austen", shelf="classics"))
    [book] = await db.query(Book, index=Book.keys_only, author="Austen").all()
    assert book.author == "Austen"  # the index key; the table key is PK, not a field
    assert book.model_fields_set == {"author"}
