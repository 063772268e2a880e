"""Models shared by the integration tests, shaped after the apps dynamap serves.

- seed 000 (a page manager): `Page` and `Node` in one table `PageManager`, camelCase
  attributes, an entity attribute named "type", a GSI on a NumericBool and one on a
  bare field; `Revision` is a third entity in a page's partition.
- seed 001 (a chat app), single table `ChatApp`: `User` (USER#id / PROFILE),
  `UserSettings` (USER#id / SETTINGS), `Conversation` (USER#user / CONV#created#id,
  with a sparse GSI1 on templated keys stored as GSI1PK / GSI1SK), `Message`
  (CONV#conv / MSG#created#id) and `Ticket` (CONV#conv / TICKET#id).
- `Document`: optimistic locking (`version="version"`), partition key only.
- `Invite`: created/updated timestamps and a TTL field.
- `Counter`: keyed by a bare int field.
- `Activity`: an LSI with a templated sort key (`USER#{user_id}#{at}`) and a GSI whose
  sort key template holds an int (`SCORE#{score}`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from dynamap import GSI, LSI, Key, Model, NumericBool, Session, Table, new_id, utcnow
from dynamap.local import LocalDynamoDB

# -- seed 000 --------------------------------------------------------------------------

pages = Table("PageManager", entity_attribute="type")


class CamelModel(Model):
    """Stores fields under camelCase attribute names, as the seed-000 app does."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True)


class Page(CamelModel, table=pages, entity="page"):
    pk = Key("PAGE#{id}")
    sk = Key("META#")
    published = GSI("PublishedPagesIndex", pk="is_published", sk="created_at")

    id: str = Field(default_factory=new_id)
    title: str
    is_published: NumericBool = False
    created_at: datetime = Field(default_factory=utcnow)


class Node(CamelModel, table=pages, entity="node"):
    pk = Key("PAGE#{page_id}")
    sk = Key("NODE#{id}")
    by_page = GSI("PageNodesIndex", pk="page_id", sk="created_at")

    id: str = Field(default_factory=new_id)
    page_id: str
    title: str
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class Revision(CamelModel, table=pages, entity="revision"):
    pk = Key("PAGE#{page_id}")
    sk = Key("REV#{number}")

    page_id: str
    number: int
    note: str = ""


# -- seed 001 --------------------------------------------------------------------------

chat = Table("ChatApp")


class Prefs(BaseModel):
    theme: str = "light"
    notifications: dict[str, bool] = Field(default_factory=dict)


class User(Model, table=chat, entity="user"):
    pk = Key("USER#{id}")
    sk = Key("PROFILE")

    id: str = Field(default_factory=new_id)
    name: str
    email: str = ""
    status: str = "active"
    display_name: str | None = Field(default=None, alias="display.name")
    tags: set[str] = Field(default_factory=set)
    history: list[str] = Field(default_factory=list)
    prefs: Prefs = Field(default_factory=Prefs)
    logins: int = 0
    nickname: str | None = None


class UserSettings(Model, table=chat, entity="settings"):
    pk = Key("USER#{user_id}")
    sk = Key("SETTINGS")

    user_id: str
    language: str = "en"


class Conversation(Model, table=chat, entity="conversation"):
    pk = Key("USER#{user_id}")
    sk = Key("CONV#{created_at}#{id}")
    shared = GSI("GSI1", pk="SHARE#{share_id}", sk="CONV#{created_at}")

    id: str = Field(default_factory=new_id)
    user_id: str
    created_at: datetime = Field(default_factory=utcnow)
    title: str = ""
    share_id: str | None = None


class Message(Model, table=chat, entity="message"):
    pk = Key("CONV#{conversation_id}")
    sk = Key("MSG#{created_at}#{id}")

    id: str = Field(default_factory=new_id)
    conversation_id: str
    created_at: datetime = Field(default_factory=utcnow)
    role: str = "user"
    text: str = ""
    status: str = "sent"
    client_ref: str | None = Field(default=None, alias="client.ref")


class Ticket(Model, table=chat, entity="ticket"):
    pk = Key("CONV#{conversation_id}")
    sk = Key("TICKET#{id}")

    id: str = Field(default_factory=new_id)
    conversation_id: str
    summary: str = ""


# -- versions, timestamps and TTL, bare int keys, LSIs ------------------------------------


class Document(Model, table=Table("Documents"), version="version"):
    pk = Key("DOC#{id}")

    id: str = Field(default_factory=new_id)
    title: str = ""
    body: str = ""
    version: int = 0


class Invite(Model, table=Table("Invites"), created="created_at", updated="updated_at",
             ttl="expires_at"):
    pk = Key("INVITE#{code}")

    code: str
    email: str = ""
    expires_at: datetime
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Counter(Model, table=Table("Counters")):
    pk = Key("number")

    number: int
    label: str = ""
    hits: int = 0


class Activity(Model, table=Table("Activities")):
    pk = Key("ORG#{org_id}")
    sk = Key("ACT#{id}")
    by_user = LSI("ByUser", sk="USER#{user_id}#{at}")
    by_score = GSI("ByScore", pk="KIND#{kind}", sk="SCORE#{score}")

    org_id: str
    id: str = Field(default_factory=new_id)
    user_id: str
    at: datetime = Field(default_factory=utcnow)
    kind: str = "click"
    score: int = 0


ALL_MODELS: tuple[type[Model], ...] = (Page, User, Document, Invite, Counter, Activity)


def sibling_session(db: Session, server: LocalDynamoDB, **options: Any) -> Session:
    """A new, unopened Session on the same server and table prefix as `db`."""
    return Session(endpoint_url=server.endpoint_url, region="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local",
                   table_prefix=db.table_prefix, **options)
