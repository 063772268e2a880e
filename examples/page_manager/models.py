"""The page manager's models: pages and their nodes, in one `PageManager` table.

Stored attribute names are camelCase (`isPublished`, `createdAt`, `pageId`), as the
application's items have them; Python code uses snake_case field names. The table is
exactly the seed's `aws dynamodb create-table` command: `PK`/`SK`, the GSI
`PublishedPagesIndex` on `isPublished` (N) and `createdAt` (S), and the GSI
`PageNodesIndex` on `pageId` and `createdAt`. Every item carries `type` ("page" or
"node"), so one query over a page's partition decodes each item to its model.

```
PK            SK              type   attributes
PAGE#<page>   META#           page   id, title, isPublished, createdAt, updatedAt
PAGE#<page>   NODE#<node>     node   id, pageId, title, description, prompt, ...
```

Keys and indexes are annotated `ClassVar[...]`: pydantic's mypy plugin refuses an
unannotated attribute in a model body, and dynamap takes them out of the fields anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from dynamap import GSI, Key, Model, NumericBool, Table, new_id, utcnow

__all__ = ["Node", "Page", "page_manager"]

page_manager = Table("PageManager", entity_attribute="type")


class _CamelCase(Model):
    """Fields are stored under their camelCase alias; both names validate."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class Page(_CamelCase, table=page_manager, entity="page", updated="updated_at"):
    """A page: one item under `PAGE#<id>`, listed by publication in a GSI.

    `updated_at` is kept by dynamap on every write; `created_at` is set once.
    """

    pk: ClassVar[Key] = Key("PAGE#{id}")
    sk: ClassVar[Key] = Key("META#")
    published: ClassVar[GSI] = GSI("PublishedPagesIndex", pk="is_published", sk="created_at")

    id: str = Field(default_factory=new_id)
    title: str
    is_published: NumericBool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None


class Node(_CamelCase, table=page_manager, entity="node", updated="updated_at"):
    """A node of a page, stored in its page's partition and indexed by page.

    The image-generation fields (`prompt`, `generated_images`, `prediction_id`,
    `prediction_status`) are optional, as in the application's `Node` interface.
    """

    pk: ClassVar[Key] = Key("PAGE#{page_id}")
    sk: ClassVar[Key] = Key("NODE#{id}")
    by_page: ClassVar[GSI] = GSI("PageNodesIndex", pk="page_id", sk="created_at")

    id: str = Field(default_factory=new_id)
    page_id: str
    title: str
    description: str = ""
    prompt: str | None = None
    generated_images: list[str] = Field(default_factory=list)
    prediction_id: str | None = None
    prediction_status: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None
