"""The seed's repositories, one per entity, each a thin layer over a `Session`.

```python
users = UserRepository(db)
user = await users.get_user_by_id(user_id)
conversations = await ConversationRepository(db).get_user_conversations(user_id)
messages = await MessageRepository(db).get_conversation_messages(conversation_id)
```

Every read is one request: a GetItem, or a Query on one partition (of the table or of
`GSI1`). Listing methods return all items; `*_page` variants return a `Page` with a
signed cursor for web handlers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from dynamap import F, Page, Session, utcnow
from examples.prompt_to_issue.models import (
    Conversation,
    Message,
    Provider,
    ProviderConfig,
    Settings,
    Ticket,
    User,
    prompt_to_issue,
)

__all__ = [
    "ConversationRepository",
    "MessageRepository",
    "ProviderConfigRepository",
    "TicketRepository",
    "UserAccount",
    "UserRepository",
]


@dataclass(slots=True)
class UserAccount:
    """Everything in a user's partition, read with one query."""

    user: User | None = None
    settings: Settings | None = None
    conversations: list[Conversation] = field(default_factory=list)
    providers: list[ProviderConfig] = field(default_factory=list)


class UserRepository:
    """User profiles and settings."""

    def __init__(self, db: Session) -> None:
        self.db = db

    async def create_user(self, user: User) -> User:
        """Store a new user; refused if the id is taken (ConditionCheckFailed)."""
        return await self.db.put(user, condition=F.attr("PK").not_exists())

    async def get_user_by_id(self, user_id: str) -> User | None:
        """A user's profile, or None."""
        return await self.db.get(User, id=user_id)

    async def get_settings(self, user_id: str) -> Settings:
        """A user's settings; the defaults when none were saved."""
        return await self.db.get(Settings, user_id=user_id) or Settings(user_id=user_id)

    async def save_settings(self, settings: Settings) -> Settings:
        """Store a user's settings, replacing the previous ones."""
        settings.updated_at = utcnow()
        return await self.db.put(settings)

    async def get_account(self, user_id: str) -> UserAccount:
        """The profile, settings, conversations (oldest first) and providers of a user."""
        account = UserAccount()
        for item in await self.db.query(prompt_to_issue, User, id=user_id).all():
            if isinstance(item, User):
                account.user = item
            elif isinstance(item, Settings):
                account.settings = item
            elif isinstance(item, Conversation):
                account.conversations.append(item)
            elif isinstance(item, ProviderConfig):
                account.providers.append(item)
        return account


class ConversationRepository:
    """Conversations, listed by owner, shared through `GSI1`."""

    def __init__(self, db: Session) -> None:
        self.db = db

    async def create_conversation(self, conversation: Conversation) -> Conversation:
        """Store a new conversation in its owner's partition."""
        return await self.db.put(conversation, condition=F.attr("PK").not_exists())

    async def get_user_conversations(self, user_id: str) -> list[Conversation]:
        """A user's conversations, newest first."""
        return await self.db.query(Conversation, user_id=user_id).reverse().all()

    async def get_user_conversations_page(
        self, user_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[Conversation]:
        """One page of a user's conversations, newest first, and the next cursor."""
        query = self.db.query(Conversation, user_id=user_id).reverse().limit(limit)
        return await query.page(cursor=cursor)

    async def get_conversation(self, user_id: str, conversation_id: str) -> Conversation | None:
        """A user's conversation by id.

        The sort key starts with the creation time, so a lookup by id alone reads the
        user's partition and lets DynamoDB filter it by id (one query, paid per item read).
        """
        query = self.db.query(Conversation, user_id=user_id).filter(F("id") == conversation_id)
        return await query.first()

    async def rename(self, conversation: Conversation, title: str) -> Conversation:
        """Change a conversation's title."""
        return await self.db.update(conversation, set={"title": title, "updated_at": utcnow()})

    async def share(self, conversation: Conversation) -> Conversation:
        """Share a conversation: give it a new share id, which puts it in `GSI1`."""
        changes = {"share_id": secrets.token_urlsafe(12), "shared_at": utcnow()}
        return await self.db.update(conversation, set=changes)

    async def unshare(self, conversation: Conversation) -> Conversation:
        """Stop sharing: the share id goes, and with it the conversation's `GSI1` entry."""
        return await self.db.update(conversation, set={"share_id": None, "shared_at": None})

    async def get_shared_conversation(self, share_id: str) -> Conversation | None:
        """The conversation shared under `share_id`, from `GSI1`; None if not shared."""
        query = self.db.query(Conversation, index=Conversation.shared.name, share_id=share_id)
        return await query.first()


class MessageRepository:
    """Messages of a conversation."""

    def __init__(self, db: Session) -> None:
        self.db = db

    async def add_message(self, message: Message) -> Message:
        """Store a message at the end of its conversation."""
        return await self.db.put(message, condition=F.attr("PK").not_exists())

    async def get_conversation_messages(self, conversation_id: str) -> list[Message]:
        """A conversation's messages, oldest first."""
        return await self.db.query(Message, conversation_id=conversation_id).all()


class TicketRepository:
    """Issues drafted from conversations and filed on GitHub or GitLab."""

    def __init__(self, db: Session) -> None:
        self.db = db

    async def create_ticket(self, ticket: Ticket) -> Ticket:
        """Store a new ticket in its conversation's partition."""
        return await self.db.put(ticket, condition=F.attr("PK").not_exists())

    async def get_conversation_tickets(self, conversation_id: str) -> list[Ticket]:
        """A conversation's tickets."""
        return await self.db.query(Ticket, conversation_id=conversation_id).all()

    async def mark_filed(self, ticket: Ticket, issue_url: str, issue_number: int) -> Ticket:
        """Record that the ticket was filed as issue `issue_number` at `issue_url`."""
        changes = {"status": "created", "issue_url": issue_url, "issue_number": issue_number,
                   "updated_at": utcnow()}
        return await self.db.update(ticket, set=changes)


class ProviderConfigRepository:
    """A user's AI provider settings, one item per provider."""

    def __init__(self, db: Session) -> None:
        self.db = db

    async def save(self, config: ProviderConfig) -> ProviderConfig:
        """Store a provider's settings, replacing the previous ones."""
        config.updated_at = utcnow()
        return await self.db.put(config)

    async def get(self, user_id: str, provider: Provider) -> ProviderConfig | None:
        """A user's settings for one provider, or None."""
        return await self.db.get(ProviderConfig, user_id=user_id, provider=provider)

    async def get_user_providers(self, user_id: str) -> list[ProviderConfig]:
        """A user's provider settings, by provider name."""
        return await self.db.query(ProviderConfig, user_id=user_id).all()
