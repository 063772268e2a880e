"""Demo data, as the seed's `npm run db:seed` creates it: a demo user, their settings
and providers, a conversation with messages, and a ticket drafted from it.

Ids and timestamps are fixed, so seeding twice leaves the same items (each put
replaces the item with the same key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dynamap import Session
from examples.prompt_to_issue.models import (
    Conversation,
    Message,
    Provider,
    ProviderConfig,
    Role,
    Settings,
    Ticket,
    User,
)

__all__ = ["DEMO_USER_ID", "DemoData", "seed_demo_data"]

DEMO_USER_ID = "demo-user"
_START = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
_DIALOGUE: tuple[tuple[Role, str], ...] = (
    ("user", "The login button does nothing on Safari 17."),
    ("assistant", "Does the console show an error when you click it?"),
    ("user", "Yes: 'TypeError: crypto.randomUUID is not a function'."),
    ("assistant", "Here is an issue draft: Login fails on Safari 17 (randomUUID missing)."),
)


@dataclass(frozen=True, slots=True)
class DemoData:
    """What `seed_demo_data` wrote."""

    user: User
    conversation: Conversation
    messages: list[Message]
    ticket: Ticket


async def seed_demo_data(db: Session) -> DemoData:
    """Write the demo user, settings, providers, a conversation, messages and a ticket."""
    user = User(id=DEMO_USER_ID, email="demo@example.com", name="Demo User",
                created_at=_START, updated_at=_START)
    conversation = Conversation(id="demo-conversation", user_id=user.id,
                                title="Login broken on Safari", provider=Provider.OLLAMA,
                                model="llama3", created_at=_START, updated_at=_START)
    messages = [Message(id=f"demo-message-{n}", conversation_id=conversation.id, role=role,
                        content=text, created_at=_START + timedelta(seconds=n))
                for n, (role, text) in enumerate(_DIALOGUE)]
    ticket = Ticket(id="demo-ticket", conversation_id=conversation.id, user_id=user.id,
                    platform="github", repository="acme/web",
                    title="Login fails on Safari 17", body="`crypto.randomUUID` is missing.",
                    labels=["bug", "safari"], created_at=_START, updated_at=_START)
    items = [
        user,
        Settings(user_id=user.id, default_repository="acme/web", updated_at=_START),
        ProviderConfig(user_id=user.id, provider=Provider.OLLAMA, model="llama3",
                       base_url="http://localhost:11434", updated_at=_START),
        ProviderConfig(user_id=user.id, provider=Provider.OPENAI, enabled=False,
                       model="gpt-4o", updated_at=_START),
        conversation, *messages, ticket,
    ]
    await db.put_many(items)
    return DemoData(user, conversation, messages, ticket)
