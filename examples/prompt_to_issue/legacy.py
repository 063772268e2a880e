"""The relational schema prompt-to-issue had before DynamoDB: SQLite tables, as the
ORM defined them.

Ids are text, timestamps are integer Unix seconds, booleans are integers 0/1, and a
ticket's labels are a JSON array stored as text. SQLite does not check types or
foreign keys unless asked, so a real database can hold rows that do not fit: the
migration validates every row and reports the ones it refuses.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["SCHEMA", "TABLES", "create_database"]

#: The tables, in the order the migration reads them (parents first).
TABLES = ("users", "settings", "provider_configs", "conversations", "messages", "tickets")

SCHEMA = """
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    avatar_url TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE settings (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    default_provider TEXT NOT NULL DEFAULT 'ollama',
    default_model TEXT,
    platform TEXT NOT NULL DEFAULT 'github',
    default_repository TEXT,
    theme TEXT NOT NULL DEFAULT 'system',
    updated_at INTEGER NOT NULL
);
CREATE TABLE provider_configs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    provider TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    model TEXT,
    base_url TEXT,
    encrypted_api_key TEXT,
    updated_at INTEGER NOT NULL,
    UNIQUE (user_id, provider)
);
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    provider TEXT,
    model TEXT,
    is_shared INTEGER NOT NULL DEFAULT 0,
    share_id TEXT UNIQUE,
    shared_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    platform TEXT NOT NULL,
    repository TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'draft',
    issue_url TEXT,
    issue_number INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
"""


def create_database(path: Path) -> sqlite3.Connection:
    """Create an empty database with the relational schema, and return it open."""
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    return connection
