"""A two-minute tour of dynamap: `python -m examples.demo`.

With no endpoint configured it starts a local DynamoDB (DynamoDB Local when Java is
installed, else moto) and stops it afterwards, so it needs no AWS account. With
`AWS_ENDPOINT_URL_DYNAMODB` set, or AWS credentials and no endpoint, the same code
runs against that server or AWS itself.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from dynamap import (
    GSI,
    ConditionCheckFailed,
    InvalidUpdate,
    Key,
    Model,
    NumericBool,
    PartialItem,
    Session,
    Table,
    new_id,
    utcnow,
)
from examples._runner import run_on_dynamodb

demo = Table("DynamapDemo", entity_attribute="type")


class Page(Model, table=demo, entity="page", version="version"):
    """A page: one item under PAGE#<id>, findable by publication in a GSI."""

    pk = Key("PAGE#{id}")
    sk = Key("META#")
    published = GSI("PublishedPagesIndex", pk="is_published", sk="created_at")

    id: str = Field(default_factory=new_id)
    title: str
    is_published: NumericBool = False
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 0


class Node(Model, table=demo, entity="node"):
    """A node of a page, stored in the page's partition so one query reads both."""

    pk = Key("PAGE#{page_id}")
    sk = Key("NODE#{position}")

    page_id: str
    position: int
    title: str


async def tour() -> None:
    """Create the table, write, query page by page, update under a condition."""
    async with Session() as db:
        print(f"endpoint: {db.transport.endpoint_url}")
        print("tables:", await db.create_tables(Page, Node) or "already there")

        home = await db.put(Page(title="Home", is_published=True))
        print(f"put {home.title!r} as PAGE#{home.id[:8]}… (version {home.version})")
        async with db.batch() as batch:
            for position in range(7):
                batch.put(Node(page_id=home.id, position=position, title=f"Node {position}"))

        cursor, number = None, 1
        while True:
            page = await db.query(Node, page_id=home.id).limit(3).page(cursor=cursor)
            print(f"page {number}: {[node.title for node in page.items]}")
            if page.cursor is None:
                break
            cursor, number = page.cursor, number + 1

        everything = await db.query(demo, Page, id=home.id).all()
        print("one query, whole partition:", [type(item).__name__ for item in everything])

        await db.update(home, set={"title": "Welcome"})
        print(f"updated title to {home.title!r}, version {home.version}")
        stale = home.model_copy(update={"version": 1})
        try:
            await db.update(stale, set={"title": "Lost update"})
        except ConditionCheckFailed as conflict:
            stored = conflict.item  # decoded to its model, as DynamoDB returned it
            assert isinstance(stored, Page)
            print(f"stale write refused; stored title is {stored.title!r}")

        titled = await db.get(Page, id=home.id, fields=["title"])  # a Partial[Page]
        assert titled is not None
        try:
            await db.put(titled)  # type: ignore[type-var]  # mypy refuses it too
        except PartialItem:
            print(f"a partial read holds {sorted(titled.fields)}; put() refuses it")
        try:
            await db.update(home, set={"titel": "Typo"})
        except InvalidUpdate as refused:
            print(f"refused before sending: {refused}")

        published = await db.query(Page, index=Page.published, is_published=True).all()
        print("published pages:", [p.title for p in published])
        print("requests sent:", dict(db.stats.requests))
        await db.drop_tables(demo)


def main() -> None:
    """Run the tour, on a local DynamoDB unless an endpoint is configured."""
    run_on_dynamodb(lambda _embedded: tour())


if __name__ == "__main__":
    main()
