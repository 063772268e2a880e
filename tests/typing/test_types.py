"""Static types of dynamap's results, checked by `mypy --strict dynamap tests/typing`.

Each `assert_type` is a claim mypy verifies; at run time it returns its argument, so
the same code also runs against a local DynamoDB (the plugin's `dynamap_session`) and
checks that the run-time classes agree with the static ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import assert_type

from pydantic import BaseModel, Field

from dynamap import GSI, Key, Model, Page, Query, Session, Table, new_id, utcnow

site: Table[Article | Comment] = Table("TypedSite")
untyped = Table("TypedUntyped")


class Article(Model, table=site, entity="article"):
    pk = Key("ARTICLE#{id}")
    sk = Key("META#")
    by_author = GSI("ByAuthor", pk="author", sk="created_at")

    id: str = Field(default_factory=new_id)
    author: str
    title: str
    created_at: datetime = Field(default_factory=utcnow)


class Comment(Model, table=site, entity="comment"):
    pk = Key("ARTICLE#{article_id}")
    sk = Key("COMMENT#{id}")

    id: str = Field(default_factory=new_id)
    article_id: str
    text: str


class Note(Model, table=untyped, entity="note"):
    pk = Key("NOTE#{id}")

    id: str
    text: str = ""


def check_constructors() -> None:
    """Model constructors are typed through pydantic's dataclass_transform."""
    article = Article(author="ada", title="Types")
    assert_type(article, Article)
    assert_type(article.title, str)
    assert_type(article.created_at, datetime)
    comment = Comment(article_id=article.id, text="Nice")
    assert_type(comment.article_id, str)
    Article(author="ada")  # type: ignore[call-arg]  # `title` is required
    Comment(article_id=1, text="x")  # type: ignore[arg-type]  # an int is no str


async def check_session(db: Session, article: Article) -> None:
    assert_type(await db.get(Article, id=article.id), Article | None)
    assert_type(await db.get_or_raise(Article, id=article.id), Article)
    assert_type(await db.put(article), Article)
    assert_type(await db.put_returning_old(article), Article | None)
    assert_type(await db.update(article, set={"title": "New"}), Article)
    assert_type(await db.delete(article), Article | None)
    assert_type(await db.delete(Article, id=article.id), Article | None)


async def check_queries(db: Session, article: Article) -> None:
    query = db.query(Comment, article_id=article.id)
    assert_type(query, Query[Comment])
    async for comment in query:
        assert_type(comment, Comment)
    assert_type(await query.all(), list[Comment])
    assert_type(await query.first(), Comment | None)
    assert_type(await query.limit(5).page(), Page[Comment])
    assert_type((await query.limit(5).page()).items, list[Comment])
    assert_type(await query.count(), int)
    by_author = db.query(Article, index=Article.by_author, author="ada")
    assert_type(await by_author.sk_gte(created_at=utcnow()).all(), list[Article])
    async for found in db.scan(Article):
        assert_type(found, Article)


async def check_collections(db: Session, article: Article) -> None:
    """A Table annotated with its models types a collection query as their union;
    an unannotated Table yields `BaseModel`."""
    assert_type(db.query(site, Article, id=article.id), Query[Article | Comment])
    for item in await db.query(site, Article, id=article.id).all():
        assert_type(item, Article | Comment)
    assert_type(await db.query(untyped, raw_pk="NOTE#1").all(), list[BaseModel])


async def check_model_methods(article: Article) -> None:
    assert_type(await Article.get(id=article.id), Article | None)
    assert_type(await Article.get_or_raise(id=article.id), Article)
    assert_type(Article.query(id=article.id), Query[Article])
    assert_type(await article.save(), Article)
    assert_type(await article.update(set={"title": "x"}), Article)
    assert_type(await article.delete(), None)


async def test_results_have_the_classes_their_types_claim(dynamap_session: Session) -> None:
    db = dynamap_session
    await db.create_tables(Article, Comment)
    article = await db.put(Article(author="ada", title="Types"))
    comment = await db.put(Comment(article_id=article.id, text="Nice"))
    got = assert_type(await db.get(Article, id=article.id), Article | None)
    assert isinstance(got, Article)
    comments = assert_type(await db.query(Comment, article_id=article.id).all(), list[Comment])
    assert comments == [comment]
    page = assert_type(await db.query(Comment, article_id=article.id).limit(1).page(),
                       Page[Comment])
    assert page.items == [comment]
    everything = await db.query(site, Article, id=article.id).all()
    assert [type(item) for item in assert_type(everything, list[Article | Comment])] == [
        Comment, Article]
