"""prompt-to-issue's models: six entities in one table, the seed's single-table design.

| entity          | PK               | SK                          |
| --------------- | ---------------- | --------------------------- |
| User            | `USER#<user>`    | `PROFILE`                   |
| Settings        | `USER#<user>`    | `SETTINGS`                  |
| Conversation    | `USER#<user>`    | `CONV#<createdAt>#<conv>`   |
| Message         | `CONV#<conv>`    | `MSG#<createdAt>#<msg>`     |
| Ticket          | `CONV#<conv>`    | `TICKET#<ticket>`           |
| ProviderConfig  | `USER#<user>`    | `PROVIDER#<provider>`       |

A shared conversation is also in `GSI1`, under `GSI1PK = SHARE#<shareId>` and
`GSI1SK = SHARED#<sharedAt>`.

The table is named by `DYNAMODB_TABLE_NAME`, as in the seed (default
`prompt-to-issue-local`). A dynamap `Table`'s name is fixed when the models are
defined, so the variable is read when this module is imported; per-environment
prefixes can still be added at run time with `DYNAMAP_TABLE_PREFIX`.

Timestamps in sort keys are stored in a fixed-width UTC form, so string order is
time order: a user's conversations and a conversation's messages come back sorted.
`GSI1` is sparse: its keys are built from `share_id` and `shared_at`, which only a
shared conversation has, so only shared conversations are in the index, and
unsharing (setting both to None) takes the conversation out of it.

Attribute names are camelCase (`userId`, `createdAt`), as the TypeScript app's items
have them; Python code uses snake_case field names.
"""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from dynamap import GSI, Key, Model, Table, new_id, utcnow

__all__ = [
    "TABLE_NAME",
    "Conversation",
    "Message",
    "Platform",
    "Provider",
    "ProviderConfig",
    "Role",
    "Settings",
    "Ticket",
    "TicketStatus",
    "User",
    "prompt_to_issue",
]

TABLE_NAME = os.environ.get("DYNAMODB_TABLE_NAME") or "prompt-to-issue-local"

prompt_to_issue = Table(TABLE_NAME, entity_attribute="entityType")



class Provider(StrEnum):
    """The AI providers the app talks to (an Enum, so it can be part of a key)."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    OLLAMA = "ollama"

Platform = Literal["github", "gitlab"]
Role = Literal["user", "assistant", "system"]
TicketStatus = Literal["draft", "created", "failed"]


class _CamelCase(Model):
    """Fields are stored under their camelCase alias; both names validate."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class User(_CamelCase, table=prompt_to_issue, entity="user"):
    """A user's profile."""

    pk: ClassVar[Key] = Key("USER#{id}")
    sk: ClassVar[Key] = Key("PROFILE")

    id: str = Field(default_factory=new_id)
    email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = ""
    avatar_url: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Settings(_CamelCase, table=prompt_to_issue, entity="settings"):
    """A user's preferences, one item beside the profile."""

    pk: ClassVar[Key] = Key("USER#{user_id}")
    sk: ClassVar[Key] = Key("SETTINGS")

    user_id: str
    default_provider: Provider = Provider.OLLAMA
    default_model: str | None = None
    platform: Platform = "github"
    default_repository: str | None = None
    theme: Literal["light", "dark", "system"] = "system"
    updated_at: datetime = Field(default_factory=utcnow)


class Conversation(_CamelCase, table=prompt_to_issue, entity="conversation"):
    """A conversation, in its owner's partition, sorted by creation time."""

    pk: ClassVar[Key] = Key("USER#{user_id}")
    sk: ClassVar[Key] = Key("CONV#{created_at}#{id}")
    shared: ClassVar[GSI] = GSI("GSI1", pk="SHARE#{share_id}", sk="SHARED#{shared_at}",
                                pk_attribute="GSI1PK", sk_attribute="GSI1SK")

    id: str = Field(default_factory=new_id)
    user_id: str
    title: str
    provider: Provider | None = None
    model: str | None = None
    share_id: str | None = None
    shared_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Message(_CamelCase, table=prompt_to_issue, entity="message"):
    """One message of a conversation, sorted by creation time."""

    pk: ClassVar[Key] = Key("CONV#{conversation_id}")
    sk: ClassVar[Key] = Key("MSG#{created_at}#{id}")

    id: str = Field(default_factory=new_id)
    conversation_id: str
    role: Role
    content: str
    created_at: datetime = Field(default_factory=utcnow)


class Ticket(_CamelCase, table=prompt_to_issue, entity="ticket"):
    """An issue drafted from a conversation, and where it was filed."""

    pk: ClassVar[Key] = Key("CONV#{conversation_id}")
    sk: ClassVar[Key] = Key("TICKET#{id}")

    id: str = Field(default_factory=new_id)
    conversation_id: str
    user_id: str
    platform: Platform
    repository: str | None = None
    title: str = Field(min_length=1)
    body: str = ""
    labels: list[str] = Field(default_factory=list)
    status: TicketStatus = "draft"
    issue_url: str | None = None
    issue_number: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProviderConfig(_CamelCase, table=prompt_to_issue, entity="providerConfig"):
    """A user's settings for one AI provider (OpenAI, Anthropic, Google, Ollama)."""

    pk: ClassVar[Key] = Key("USER#{user_id}")
    sk: ClassVar[Key] = Key("PROVIDER#{provider}")

    user_id: str
    provider: Provider
    enabled: bool = True
    model: str | None = None
    base_url: str | None = None
    encrypted_api_key: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)
