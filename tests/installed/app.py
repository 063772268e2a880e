"""A small app as a user writes it after `pip install -e dynamap`: mypy and pyright
must see dynamap's real types here (`test_installed.py` runs both on this file in a
fresh virtual environment). Each `reveal_type` is matched in the checkers' output."""

from __future__ import annotations

from typing import Any, ClassVar, assert_type, reveal_type

from pydantic import BaseModel, Field

from dynamap import (
    GSI,
    CompiledIndex,
    ConditionCheckFailed,
    Key,
    KeyAttribute,
    Model,
    Query,
    Session,
    Table,
    new_id,
)

blog = Table("Blog")


class Post(Model, table=blog, entity="post"):
    pk = Key("POST#{id}")
    sk = Key("META#")
    by_author = GSI("ByAuthor", pk="author")

    id: str = Field(default_factory=new_id)
    author: str
    title: str = ""


class Comment(Model, table=blog, entity="comment"):
    pk: ClassVar[Key] = Key("POST#{post_id}")
    sk: ClassVar[Key] = Key("COMMENT#{id}")

    id: str = Field(default_factory=new_id)
    post_id: str
    text: str


async def handler(db: Session) -> None:
    post = await db.get(Post, id="p1")
    assert_type(post, Post | None)
    reveal_type(post)
    same = await Post.get(id="p1")
    assert_type(same, Post | None)
    assert_type(db.query(Post, id="p1"), Query[Post])
    assert_type(Post.pk, KeyAttribute)
    reveal_type(Post.pk)
    assert_type(Comment.sk, KeyAttribute)
    assert_type(Post.by_author, CompiledIndex)
    reveal_type(Post.by_author)
    both = await db.get_transaction([(Post, {"id": "p1"})])
    assert_type(both, list[Post | None])
    reveal_type(both)
    try:
        await db.put(Post(author="ada"))
    except ConditionCheckFailed as error:
        assert_type(error.item, BaseModel | dict[str, Any] | None)
        reveal_type(error.item)
