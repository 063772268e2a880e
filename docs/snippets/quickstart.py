"""Pages and nodes in one table: write, read, query and paginate."""

import asyncio
from datetime import datetime

from pydantic import Field

from dynamap import GSI, F, Key, Model, NumericBool, Session, Table, new_id, utcnow
from dynamap.local import embedded_dynamodb

app = Table("PageManager")


class Page(Model, table=app, entity="page"):
    pk = Key("PAGE#{id}")
    sk = Key("META#")
    published = GSI("PublishedPagesIndex", pk="is_published", sk="created_at")

    id: str = Field(default_factory=new_id)
    title: str
    is_published: NumericBool = False
    created_at: datetime = Field(default_factory=utcnow)


class Node(Model, table=app, entity="node"):
    pk = Key("PAGE#{page_id}")
    sk = Key("NODE#{id}")

    id: str = Field(default_factory=new_id)
    page_id: str
    title: str


async def main() -> None:
    async with Session() as db:
        await db.create_tables(Page, Node)
        home = await db.put(Page(title="Home", is_published=True),
                            condition=F("PK").not_exists())
        for title in ("Intro", "Gallery", "Contact"):
            await db.put(Node(page_id=home.id, title=title))

        cursor = None
        while True:
            page = await db.query(Node, page_id=home.id).limit(2).page(cursor=cursor)
            print([node.title for node in page.items])
            if page.cursor is None:
                break
            cursor = page.cursor

        everything = await db.query(app, Page, id=home.id).all()
        print([type(item).__name__ for item in everything])    # ['Node', ..., 'Page']
        await db.drop_tables(app)


if __name__ == "__main__":
    with embedded_dynamodb():       # a local DynamoDB, unless an endpoint is configured
        asyncio.run(main())
