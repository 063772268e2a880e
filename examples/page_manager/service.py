"""The page manager's access patterns, each one request to DynamoDB.

| pattern                              | how                                               |
| ------------------------------------ | ------------------------------------------------- |
| a page by id                         | GetItem `PAGE#<id>` / `META#`                     |
| a page with all its nodes            | one Query on the partition `PAGE#<id>`            |
| published pages, newest first        | Query `PublishedPagesIndex`, `isPublished = 1`, desc. |
| a page's nodes by creation time      | Query `PageNodesIndex`, `pageId = <id>`, ascending |
| create a page / a node               | PutItem, refused if the key is taken              |
| rename, publish or unpublish a page  | UpdateItem (the index keys follow)                |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dynamap import F, Query, Session
from examples.page_manager.models import Node, Page, page_manager

__all__ = [
    "PageWithNodes",
    "create_node",
    "create_page",
    "get_page",
    "get_page_with_nodes",
    "page_nodes",
    "published_pages",
    "unpublished_pages",
    "update_page",
]


@dataclass(frozen=True, slots=True)
class PageWithNodes:
    """A page and its nodes, oldest node first."""

    page: Page
    nodes: Sequence[Node]


async def create_page(db: Session, title: str, *, published: bool = False) -> Page:
    """Store a new page; its id is generated.

    Raises:
        ConditionCheckFailed: a page with the same id exists (never, with fresh ids).
    """
    page = Page(title=title, is_published=published)
    return await db.put(page, condition=F.attr("PK").not_exists())


async def create_node(db: Session, page_id: str, title: str, **fields: Any) -> Node:
    """Store a new node in a page's partition.

    Args:
        db: the session.
        page_id: the page the node belongs to; it must exist.
        title: the node's title.
        **fields: other node fields (`description`, `prompt`, `generated_images`, ...).

    Raises:
        LookupError: the page does not exist.
    """
    if await db.get(Page, id=page_id) is None:
        raise LookupError(f"no page {page_id!r}")
    node = Node(page_id=page_id, title=title, **fields)
    return await db.put(node, condition=F.attr("PK").not_exists())


async def get_page(db: Session, page_id: str) -> Page | None:
    """A page by id, or None."""
    return await db.get(Page, id=page_id)


async def get_page_with_nodes(db: Session, page_id: str) -> PageWithNodes | None:
    """A page and all its nodes, read with one query over the page's partition."""
    items = await db.query(page_manager, Page, id=page_id).all()
    pages = [item for item in items if isinstance(item, Page)]
    if not pages:
        return None
    nodes = sorted((item for item in items if isinstance(item, Node)),
                   key=lambda node: (node.created_at, node.id))
    return PageWithNodes(pages[0], nodes)


def published_pages(db: Session) -> Query[Page]:
    """Published pages, newest first (chain `.limit(n).page(cursor)` to paginate)."""
    return db.query(Page, index=Page.published.name, is_published=True).reverse()


def unpublished_pages(db: Session) -> Query[Page]:
    """Draft pages, newest first: the other partition of `PublishedPagesIndex`."""
    return db.query(Page, index=Page.published.name, is_published=False).reverse()


def page_nodes(db: Session, page_id: str) -> Query[Node]:
    """A page's nodes in creation order, from `PageNodesIndex`."""
    return db.query(Node, index=Node.by_page.name, page_id=page_id)


async def update_page(
    db: Session, page: Page, *, title: str | None = None, published: bool | None = None
) -> Page:
    """Rename and/or (un)publish a page; `updatedAt` and the index key follow.

    Raises:
        ConditionCheckFailed: the page no longer exists.
    """
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = title
    if published is not None:
        changes["is_published"] = published
    if not changes:
        return page
    return await db.update(page, set=changes)
