"""`DynamoDBStorage`: the seed's `GenerationStateStorage` interface on dynamap.

```python
async with DynamoDBStorage() as storage:          # creates the table if it is missing
    await storage.save(GenerationState(generation_id="gen_123", initial_params=...))
    state = await storage.get("gen_123")           # StorageNotFoundError if there is none
    state = await storage.update("gen_123", {"script": {"content": "...", ...}})
    await storage.delete("gen_123")
    removed = await storage.cleanup(timedelta(hours=1))
    healthy = await storage.is_healthy()
    metrics = await storage.get_metrics()         # operations, requests, consumed capacity
```

Errors are the seed's: `StorageNotFoundError` (get or update of a missing
generation), `StorageOperationError` (DynamoDB failed, or a value cannot be stored)
and `StorageInitializationError` (no connection, or the table cannot be created). They
are mapped from dynamap's errors in one place, `_mapped`, with dynamap's error as the
`__cause__`.

Every saved state gets `expiresAt` (creation time plus `retention`), DynamoDB's TTL
attribute: DynamoDB deletes expired generations by itself, in its own time (typically
within a few days). `get` treats an expired state as gone, and `cleanup` deletes old
ones now.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from pydantic import TypeAdapter, ValidationError

from dynamap import (
    ConditionCheckFailed,
    DynamapError,
    F,
    InvalidValue,
    Session,
    utcnow,
)
from examples.video_gennie.models import GenerationState

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_RETENTION",
    "DynamoDBStorage",
    "GenerationStateStorage",
    "StorageError",
    "StorageInitializationError",
    "StorageMetrics",
    "StorageNotFoundError",
    "StorageOperationError",
]

#: `cleanup()` removes generations created longer ago than this, by default.
DEFAULT_MAX_AGE = timedelta(hours=24)
#: How long a saved generation lives before DynamoDB's TTL may delete it.
DEFAULT_RETENTION = timedelta(days=7)
_KEY = frozenset({"generation_id"})
_MANAGED = frozenset({"created_at", "updated_at"})


class StorageError(Exception):
    """The root of the storage errors."""


class StorageInitializationError(StorageError):
    """The storage cannot start: DynamoDB is unreachable, or the table cannot be made."""


class StorageNotFoundError(StorageError):
    """No generation with this id (or it has expired)."""

    def __init__(self, generation_id: str) -> None:
        self.generation_id = generation_id
        super().__init__(f"generation {generation_id!r} not found")


class StorageOperationError(StorageError):
    """A storage operation failed: DynamoDB refused it, or a value cannot be stored."""

    def __init__(self, operation: str, message: str) -> None:
        self.operation = operation
        super().__init__(f"{operation} failed: {message}")


@dataclass(frozen=True, slots=True)
class StorageMetrics:
    """What `get_metrics` reports.

    Attributes:
        active_generations: generations stored and not expired.
        operations: storage calls so far, by name ("save", "get", ...).
        failures: storage calls that raised, by name.
        requests: DynamoDB requests sent, by operation ("PutItem", "Query", ...).
        retries: DynamoDB requests retried, by operation.
        consumed_capacity: capacity units consumed, by DynamoDB operation.
    """

    active_generations: int
    operations: Mapping[str, int]
    failures: Mapping[str, int]
    requests: Mapping[str, int]
    retries: Mapping[str, int]
    consumed_capacity: Mapping[str, float]


class GenerationStateStorage(Protocol):
    """The interface every generation-state storage implements."""

    async def initialize(self) -> None: ...
    async def save(self, state: GenerationState) -> GenerationState: ...
    async def get(self, generation_id: str) -> GenerationState: ...
    async def update(self, generation_id: str, changes: Mapping[str, Any]) -> GenerationState: ...
    async def delete(self, generation_id: str) -> bool: ...
    async def cleanup(self, max_age: timedelta = DEFAULT_MAX_AGE) -> int: ...
    async def is_healthy(self) -> bool: ...
    async def get_metrics(self) -> StorageMetrics: ...
    async def close(self) -> None: ...


@dataclass(slots=True)
class _Counters:
    operations: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def count(self, operation: str, failed: bool) -> None:
        target = self.failures if failed else self.operations
        target[operation] = target.get(operation, 0) + 1


@contextlib.contextmanager
def _mapped(operation: str, generation_id: str | None = None) -> Iterator[None]:
    """Translate dynamap's (and validation) errors into the storage's."""
    try:
        yield
    except StorageError:
        raise
    except ConditionCheckFailed as error:
        if generation_id is None:
            raise StorageOperationError(operation, str(error)) from error
        raise StorageNotFoundError(generation_id) from error
    except (DynamapError, ValidationError) as error:
        raise StorageOperationError(operation, str(error)) from error


class DynamoDBStorage:
    """Generation states in DynamoDB, behind the seed's storage interface.

    Args:
        session: an unopened or open `Session` to use (opened by `initialize()` if
            new, never closed by the storage); by default the storage makes one from the
            other arguments and the environment (`DYNAMODB_ENDPOINT` /
            `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, the credential chain), asking
            DynamoDB for consumed capacity, and closes it in `close()`.
        endpoint_url: the endpoint, e.g. "http://localhost:8000" for DynamoDB Local.
        region: the AWS region.
        table_prefix: prepended to the table name (per environment).
        retention: how long a generation is kept before its TTL expires; None for never.
        create_table: create the table on `initialize()` if it is missing.
    """

    def __init__(
        self,
        *,
        session: Session | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        table_prefix: str | None = None,
        retention: timedelta | None = DEFAULT_RETENTION,
        create_table: bool = True,
    ) -> None:
        self.db = session or Session(endpoint_url=endpoint_url, region=region,
                                     table_prefix=table_prefix, consumed_capacity=True)
        self._owns_session = session is None
        self.retention = retention
        self.create_table = create_table
        self._counters = _Counters()
        self._initialized = False

    # -- life ---------------------------------------------------------------------

    async def initialize(self) -> None:
        """Open the session (if it is not open) and create the table if it is missing.

        Raises:
            StorageInitializationError: DynamoDB cannot be reached, or the table cannot
                be created.
        """
        try:
            if self.db.state == "new":
                await self.db.open()
            if self.create_table:
                await self.db.create_tables(GenerationState)
            else:
                await self.db.send("DescribeTable", {"TableName": self._table})
        except (DynamapError, TimeoutError) as error:
            raise StorageInitializationError(f"DynamoDB storage failed to start: {error}") \
                from error
        self._initialized = True

    async def close(self) -> None:
        """Close the session, if the storage made it (a session passed in stays open)."""
        self._initialized = False
        if self._owns_session:
            await self.db.close()

    async def __aenter__(self) -> Self:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def _table(self) -> str:
        return self.db.table_name(GenerationState)

    @contextlib.asynccontextmanager
    async def _operation(self, name: str, generation_id: str | None = None
                         ) -> AsyncIterator[None]:
        if not self._initialized:
            raise StorageInitializationError("call initialize() (or use `async with`) first")
        failed = True
        try:
            with _mapped(name, generation_id):
                yield
            failed = False
        finally:
            self._counters.count(name, failed)

    # -- the interface ------------------------------------------------------------------

    async def save(self, state: GenerationState) -> GenerationState:
        """Store a state, replacing any with the same id; stamps `createdAt` (first save),
        `updatedAt` and `expiresAt`. The instance is updated in place and returned."""
        async with self._operation("save", state.generation_id):
            now = utcnow()
            state.created_at = state.created_at or now
            state.updated_at = now
            state.expires_at = self.expiry(state.created_at)
            await self.db.put(state)
        return state

    async def get(self, generation_id: str) -> GenerationState:
        """The state of a generation.

        Raises:
            StorageNotFoundError: there is none, or it has expired.
        """
        async with self._operation("get", generation_id):
            state = await self.db.get(GenerationState, generation_id=generation_id)
            if state is None or _expired(state):
                raise StorageNotFoundError(generation_id)
        return state

    async def update(self, generation_id: str, changes: Mapping[str, Any]) -> GenerationState:
        """Change some fields of a stored state (e.g. fill in a stage) and return it.

        Args:
            generation_id: the generation.
            changes: field name (snake_case or the stored camelCase) -> new value; None
                removes the field. Values are validated by the field's type.

        Raises:
            StorageNotFoundError: there is no such generation.
            StorageOperationError: a field is unknown, or a value does not fit.
        """
        async with self._operation("update", generation_id):
            values = _validated(changes)
            values["updated_at"] = utcnow()
            state = await self.db.update_key(
                GenerationState, key={"generation_id": generation_id}, set=values)
        return state

    async def delete(self, generation_id: str) -> bool:
        """Delete a generation's state; False if there was none."""
        async with self._operation("delete", generation_id):
            old = await self.db.delete(GenerationState, generation_id=generation_id)
        return old is not None

    async def cleanup(self, max_age: timedelta = DEFAULT_MAX_AGE) -> int:
        """Delete generations created more than `max_age` ago; returns how many.

        One scan (keys only, filtered by `createdAt` in DynamoDB) streamed into batch
        deletes of 25.
        """
        async with self._operation("cleanup"):
            cutoff = utcnow() - max_age
            old = self.db.scan(GenerationState).filter(F("created_at") < cutoff)
            removed = await self.db.delete_many(old.fields("generation_id"))
        return removed

    async def is_healthy(self) -> bool:
        """Whether DynamoDB answers and the table is ACTIVE. Never raises."""
        if not self._initialized or self.db.state != "open" or not await self.db.ping():
            return False
        try:
            answer = await self.db.send("DescribeTable", {"TableName": self._table},
                                        table=self._table)
        except DynamapError:
            return False
        return bool(answer["Table"].get("TableStatus") == "ACTIVE")

    async def get_metrics(self) -> StorageMetrics:
        """Counts of storage calls and DynamoDB requests, and the capacity consumed.

        `active_generations` is counted by DynamoDB (a `Select=COUNT` scan of the
        unexpired states); the rest comes from the session's `stats`.
        """
        async with self._operation("get_metrics"):
            unexpired = F("expires_at").not_exists() | (F("expires_at") > utcnow())
            active = await self.db.scan(GenerationState).filter(unexpired).count()
        stats = self.db.stats
        return StorageMetrics(
            active_generations=active,
            operations=dict(self._counters.operations),
            failures=dict(self._counters.failures),
            requests=dict(stats.requests),
            retries=dict(stats.retries),
            consumed_capacity=dict(stats.consumed_capacity),
        )

    # -- helpers -------------------------------------------------------------------------

    def expiry(self, created_at: datetime) -> datetime | None:
        """When a generation created at `created_at` expires (whole seconds, as TTL)."""
        if self.retention is None:
            return None
        return (created_at + self.retention).replace(microsecond=0)


def _expired(state: GenerationState) -> bool:
    return state.expires_at is not None and state.expires_at <= utcnow()


_FIELDS = GenerationState.model_fields
_BY_ALIAS = {info.alias or name: name for name, info in _FIELDS.items()}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(info.annotation) for name, info in _FIELDS.items()
    if info.annotation is not None
}


def _validated(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Changes keyed by field name, each value validated by the field's type."""
    values: dict[str, Any] = {}
    for given, value in changes.items():
        name = given if given in _FIELDS else _BY_ALIAS.get(given)
        if name is None:
            raise InvalidValue(f"GenerationState has no field {given!r}")
        if name in _KEY or name in _MANAGED:
            raise InvalidValue(f"{given!r} cannot be changed by update()")
        values[name] = None if value is None else _ADAPTERS[name].validate_python(value)
    return values
