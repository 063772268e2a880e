"""What the operations see of a session: the transport, table naming and options.

The feature modules (`dynamap._query`, `dynamap.batch`, `dynamap._transaction`, ...) sit
below `dynamap._session`, which builds on them; they take this protocol instead of the
`Session` class, so none of them imports the session. A `Session` is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from dynamap._cursor import EphemeralSecret
from dynamap._declarations import Table
from dynamap._retry import RetryPolicy

if TYPE_CHECKING:
    from dynamap._transport import Transport

__all__ = ["Context"]


class Context(Protocol):
    """A session as the operations use it (`dynamap.Session` is one)."""

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy, for the operations that retry parts of an answer."""
        ...

    @property
    def transport(self) -> Transport:
        """The transport the session sends through."""
        ...

    @property
    def cursor_secret(self) -> bytes | EphemeralSecret:
        """The key that signs pagination cursors."""
        ...

    def table_name(self, target: Table[Any] | type[BaseModel]) -> str:
        """The physical name of a table (or a model's table), prefix included."""
        ...

    async def send(
        self, operation: str, request: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Send one request through the transport, with retries."""
        ...
