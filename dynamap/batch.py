"""Batch writes and reads that never drop an item.

```python
async with db.batch() as b:               # sent when the block exits cleanly, never if it raises
    for page in pages:
        b.put(page)
    b.delete(old_page)                     # an instance, or a model and its key fields
    b.delete(Node, page_id=pid, id=nid)

written = await db.put_many(pages())       # any iterable or async iterable, streamed
```

Writes are encoded when they are added, so bad input raises at `b.put(...)` before
anything is sent. They are grouped into BatchWriteItem requests of at most 25 writes
and 16 MB, any models and tables mixed, and several requests are in flight at once
(`concurrency`, default 8). A key is never in two requests in flight at the same
time, so the last write to a key wins, within a request and across requests; DynamoDB
never sees a request that writes one key twice.

`UnprocessedItems`, throttling, 5xx answers and dropped connections are retried under
the session's `RetryPolicy` (exponential backoff, full jitter, a time budget per
request). Whatever is still unwritten when the budget runs out is raised as
`BatchIncomplete`, which carries exactly the instances (or delete targets) that were
handed in and not written: nothing is dropped silently.

Batch writes carry no conditions (BatchWriteItem has none), so they **skip optimistic
locking**: a version field is still incremented and timestamps are maintained, as
`Session.put` does, but the stored version is not checked. Models with unique fields
are refused: their marker items need transactions (use `db.put` or
`db.transaction()`). Batch reads (`db.get_many`) are in `dynamap._batch_get`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import orjson
from pydantic import BaseModel

from dynamap._compiler import CompiledModel, compiled_of
from dynamap._context import Context
from dynamap._identity import Item, item_identity
from dynamap._operations import put_request
from dynamap._partial import Partial, refuse_partial
from dynamap._retry import RetryPolicy
from dynamap._transport import Transport
from dynamap.errors import BatchIncomplete, InvalidValue, SessionError

__all__ = [
    "MAX_BATCH_WRITE",
    "MAX_REQUEST_BYTES",
    "BatchWrite",
    "BatchWriter",
    "Chunker",
    "DeleteTarget",
    "batch_write_body",
    "batch_write_request",
    "delete_write",
    "put_write",
    "unprocessed_writes",
    "write_stream",
]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

#: Writes per BatchWriteItem request (DynamoDB's limit).
MAX_BATCH_WRITE = 25
#: The largest BatchWriteItem request DynamoDB accepts.
MAX_REQUEST_BYTES = 16 * 1024 * 1024

Duplicates = Literal["last", "error"]
#: What `delete` / `delete_many` take: an instance, or a model class and its key fields.
DeleteTarget = BaseModel | Partial[Any] | tuple[type[BaseModel], Mapping[str, Any]]


# -- encoding -------------------------------------------------------------------------


@dataclass(slots=True)
class BatchWrite:
    """One encoded write of a batch.

    The entry is kept as the JSON bytes that are sent, not as the dict it was
    encoded from: the item's tree of small dicts is let go as soon as it is
    serialised, so it never lives through a garbage collection, and a request's body
    is these bytes joined (`batch_write_body`), not serialised a second time.

    Attributes:
        table: the physical table name.
        key: the item's primary key (DynamoDB JSON).
        identity: table and key in canonical form: equal for writes to one item.
        encoded: the request entry's JSON, `{"PutRequest": ...}` or `{"DeleteRequest": ...}`.
        source: what the caller handed in (an instance, or a delete target).
        instance: the instance to update (version, timestamps) once written.
        changes: the field values to set on `instance` once written.
    """

    table: str
    key: Item
    identity: bytes
    encoded: bytes
    source: object
    instance: BaseModel | None = None
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def entry(self) -> dict[str, Any]:
        """The request entry as a dict (decoded from `encoded`)."""
        entry: dict[str, Any] = orjson.loads(self.encoded)
        return entry

    @property
    def size(self) -> int:
        """The entry's size in bytes, as sent."""
        return len(self.encoded)


def _new_write(
    table: str,
    key: Item,
    entry: dict[str, Any],
    source: object,
    instance: BaseModel | None = None,
    changes: dict[str, Any] | None = None,
) -> BatchWrite:
    return BatchWrite(
        table, key, item_identity(table, key), orjson.dumps(entry), source, instance, changes or {}
    )


def _refuse_unique(compiled: CompiledModel[Any], action: str) -> None:
    unique = compiled.options.unique
    if unique:
        raise InvalidValue(
            f"{compiled.model.__name__} declares unique fields ({', '.join(unique)}), so a "
            f"batch cannot {action} it: its unique markers must be written in the same "
            "transaction as the item. Use db.put/db.delete or db.transaction() instead"
        )


def put_write(compiled: CompiledModel[M], instance: M, table: str) -> BatchWrite:
    """Encode a put of `instance` for a batch (version and timestamps maintained).

    Raises:
        InvalidValue: the instance cannot be stored, or its model has unique fields.
    """
    _refuse_unique(compiled, "put")
    prepared = put_request(compiled, instance, table)
    item = prepared.request["Item"]
    key = {attribute.attribute: item[attribute.attribute] for attribute in compiled.key_attributes}
    return _new_write(
        table, key, {"PutRequest": {"Item": item}}, instance, instance, prepared.changes
    )


def delete_write(
    compiled: CompiledModel[Any], target: object, key_values: Mapping[str, Any], table: str
) -> BatchWrite:
    """Encode a delete, by the key fields in `key_values`, for a batch.

    Args:
        compiled: the model.
        target: what the caller handed in (reported back if it is not written).
        key_values: the key fields (an instance's fields, or the keywords given).
        table: the physical table name.

    Raises:
        InvalidKey: a key field is missing or cannot be encoded.
        InvalidValue: the model has unique fields.
    """
    _refuse_unique(compiled, "delete")
    key = compiled.key_from(key_values)
    return _new_write(table, key, {"DeleteRequest": {"Key": key}}, target)


# -- grouping into requests -----------------------------------------------------------


class Chunker:
    """Groups writes into BatchWriteItem requests of at most 25 writes and 16 MB.

    A write to a key already in the open request replaces the earlier one there (the
    last write wins), so no request ever writes one key twice.
    """

    def __init__(
        self, max_items: int = MAX_BATCH_WRITE, max_bytes: int = MAX_REQUEST_BYTES
    ) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._open: dict[bytes, BatchWrite] = {}
        self._bytes = 0

    def add(self, write: BatchWrite) -> list[BatchWrite] | None:
        """Add a write; returns the request it closed when the open one was full."""
        earlier = self._open.pop(write.identity, None)
        if earlier is not None:
            self._bytes -= earlier.size
        closed = None
        full = len(self._open) >= self.max_items
        if self._open and (full or self._bytes + write.size > self.max_bytes):
            closed = self.close()
        self._open[write.identity] = write
        self._bytes += write.size
        return closed

    def close(self) -> list[BatchWrite]:
        """Close the open request and return its writes (possibly none)."""
        chunk = list(self._open.values())
        self._open = {}
        self._bytes = 0
        return chunk


def batch_write_request(writes: Iterable[BatchWrite]) -> dict[str, Any]:
    """The BatchWriteItem request for these writes, grouped by table."""
    items: dict[str, list[dict[str, Any]]] = {}
    for write in writes:
        items.setdefault(write.table, []).append(write.entry)
    return {"RequestItems": items}


def batch_write_body(writes: Iterable[BatchWrite]) -> bytes:
    """`orjson.dumps(batch_write_request(writes))`, joined from the encoded entries."""
    entries: dict[str, list[bytes]] = {}
    for write in writes:
        entries.setdefault(write.table, []).append(write.encoded)
    tables = [
        orjson.dumps(table) + b":[" + b",".join(parts) + b"]" for table, parts in entries.items()
    ]
    return b'{"RequestItems":{' + b",".join(tables) + b"}}"


def unprocessed_writes(
    pending: Mapping[bytes, BatchWrite], answer: Mapping[str, Any]
) -> list[BatchWrite]:
    """The writes of `pending` that a BatchWriteItem answer lists as unprocessed."""
    left: Mapping[str, list[dict[str, Any]]] = answer.get("UnprocessedItems") or {}
    key_names = {write.table: tuple(write.key) for write in pending.values()}
    found: list[BatchWrite] = []
    for table, entries in left.items():
        names = key_names.get(table, ())
        for entry in entries:
            body = (
                entry.get("PutRequest", {}).get("Item")
                or entry.get("DeleteRequest", {}).get("Key")
                or {}
            )
            write = pending.get(item_identity(table, {n: body[n] for n in names if n in body}))
            if write is not None:
                found.append(write)
    return found


# -- sending --------------------------------------------------------------------------


class _Sender:
    """Sends BatchWriteItem requests with bounded concurrency, retrying what comes back."""

    def __init__(self, session: Context, concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._session = session
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: dict[bytes, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.unprocessed: list[BatchWrite] = []
        self.errors: list[Exception] = []
        self.fatal: Exception | None = None
        self.written = 0

    async def submit(self, chunk: list[BatchWrite]) -> None:
        """Start sending a request, once no request in flight holds any of its keys."""
        if not chunk:
            return
        blockers = {self._in_flight[w.identity] for w in chunk if w.identity in self._in_flight}
        if blockers:
            await asyncio.wait(blockers)
        await self._slots.acquire()
        if self.fatal is not None:
            self._slots.release()
            self.unprocessed.extend(chunk)
            return
        task = asyncio.create_task(self._send(chunk))
        self._tasks.add(task)
        for write in chunk:
            self._in_flight[write.identity] = task
        task.add_done_callback(partial(self._done, chunk))

    def _done(self, chunk: list[BatchWrite], task: asyncio.Task[None]) -> None:
        self._slots.release()
        self._tasks.discard(task)
        for write in chunk:
            if self._in_flight.get(write.identity) is task:
                del self._in_flight[write.identity]

    async def _send(self, chunk: list[BatchWrite]) -> None:
        pending = {write.identity: write for write in chunk}
        state = self._session.retry.start()
        while pending:
            try:
                answer = await self._request(list(pending.values()))
            except Exception as error:
                self._failed(list(pending.values()), error)
                return
            left = {write.identity: write for write in unprocessed_writes(pending, answer)}
            self._written(write for identity, write in pending.items() if identity not in left)
            pending = left
            delay = state.next_delay() if pending else None
            if pending and delay is None:
                self.unprocessed.extend(pending.values())
                return
            if delay is not None:
                await asyncio.sleep(delay)

    async def _request(self, writes: list[BatchWrite]) -> dict[str, Any]:
        """Send one BatchWriteItem: from the entries' bytes when nothing observes the
        request dict (no hook, no debug log), else as a dict, through the session."""
        tables = list(dict.fromkeys(write.table for write in writes))
        table = tables[0] if len(tables) == 1 else None
        transport = self._session.transport
        if isinstance(transport, Transport) and not transport.observed("BatchWriteItem"):
            return await transport.send_body(
                "BatchWriteItem", batch_write_body(writes), table=table
            )
        return await self._session.send("BatchWriteItem", batch_write_request(writes), table=table)

    def _written(self, writes: Iterable[BatchWrite]) -> None:
        for write in writes:
            self.written += 1
            if write.instance is not None:
                for name, value in write.changes.items():
                    write.instance.__dict__[name] = value

    def _failed(self, writes: list[BatchWrite], error: Exception) -> None:
        self.unprocessed.extend(writes)
        if RetryPolicy.retryable(error):
            self.errors.append(error)
        elif self.fatal is None:
            self.fatal = error

    async def finish(self) -> None:
        """Wait until every request sent has its answer."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    async def abort(self) -> None:
        """Cancel the requests in flight (the caller was cancelled or failed)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def incomplete(self, cause: BaseException | None = None) -> BatchIncomplete | None:
        """The error to raise if anything is left unwritten, else None."""
        if not self.unprocessed:
            return None
        cause = cause or self.fatal or (self.errors[-1] if self.errors else None)
        reason = f"stopped by {cause!r}" if cause else "the retry budget ran out"
        error = BatchIncomplete(
            f"BatchWriteItem: {reason}", [write.source for write in self.unprocessed]
        )
        error.__cause__ = cause
        return error


async def _items(source: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    if isinstance(source, AsyncIterable):
        async for item in source:
            yield item
    else:
        for item in source:
            yield item


async def write_stream(
    session: Context, writes: AsyncIterable[BatchWrite], *, concurrency: int = 8
) -> int:
    """Send a stream of writes in batches, holding only a bounded number in memory.

    If the stream itself raises (e.g. an item that cannot be encoded), the writes
    before it are completed first; the stream's error is then raised, or
    `BatchIncomplete` (caused by it) if some of those writes were left unwritten.

    Returns:
        The number of writes DynamoDB applied (a write replaced by a later write to
        the same key in the same request is not counted).

    Raises:
        BatchIncomplete: writes were left unwritten; it carries exactly those.
    """
    sender = _Sender(session, concurrency)
    chunker = Chunker()
    try:
        async for write in writes:
            if sender.fatal is not None:
                break
            closed = chunker.add(write)
            if closed:
                await sender.submit(closed)
        await sender.submit(chunker.close())
        await sender.finish()
    except Exception as error:
        await sender.submit(chunker.close())
        await sender.finish()
        incomplete = sender.incomplete(error)
        if incomplete is not None:
            raise incomplete from error
        raise
    except BaseException:
        await sender.abort()
        raise
    incomplete = sender.incomplete()
    if incomplete is not None:
        raise incomplete
    return sender.written


# -- the streaming helpers behind Session.put_many / delete_many ----------------------


class _Tables:
    """Model class -> (compiled model, physical table name), looked up once per class."""

    def __init__(self, session: Context) -> None:
        self._session = session
        self._known: dict[type[BaseModel], tuple[CompiledModel[Any], str]] = {}

    def __call__(self, model: type[BaseModel]) -> tuple[CompiledModel[Any], str]:
        known = self._known.get(model)
        if known is None:
            known = (compiled_of(model), self._session.table_name(model))
            self._known[model] = known
        return known


async def encode_puts(
    session: Context, items: Iterable[BaseModel] | AsyncIterable[BaseModel]
) -> AsyncIterator[BatchWrite]:
    """The puts of `items`, encoded one by one as they are read."""
    tables = _Tables(session)
    async for instance in _items(items):
        refuse_partial(instance, "put_many")
        compiled, table = tables(type(instance))
        yield put_write(compiled, instance, table)


async def encode_deletes(
    session: Context, targets: Iterable[DeleteTarget] | AsyncIterable[DeleteTarget]
) -> AsyncIterator[BatchWrite]:
    """The deletes of `targets` (instances, or `(Model, key fields)` pairs)."""
    tables = _Tables(session)
    async for target in _items(targets):
        yield _delete_of(tables, target)


def _delete_of(tables: _Tables, target: object) -> BatchWrite:
    if isinstance(target, BaseModel):
        compiled, table = tables(type(target))
        return delete_write(compiled, target, vars(target), table)
    if isinstance(target, Partial):  # its key is all a delete needs
        compiled, table = tables(target.model)
        return delete_write(compiled, target, target.to_dict(), table)
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], type):
        compiled, table = tables(target[0])
        return delete_write(compiled, target, target[1], table)
    raise TypeError(
        f"a delete takes a model instance, a Partial or a (Model, key fields) pair, got {target!r}"
    )


# -- BatchWriter ----------------------------------------------------------------------


class BatchWriter:
    """Collects puts and deletes and writes them in batches when the block exits.

    ```python
    async with db.batch() as b:
        b.put(page)
        b.delete(Node, page_id=pid, id=nid)
    print(b.written)
    ```

    Nothing is sent if the block raises. See the module docstring for chunking,
    retries and the absence of optimistic locking.

    Args:
        session: the open session.
        concurrency: how many BatchWriteItem requests may be in flight at once.
        duplicates: what a second write to a key already in the batch does: "last"
            (default) replaces the first, "error" raises `InvalidValue` at once.

    Attributes:
        written: the number of writes DynamoDB applied, once committed.
    """

    def __init__(
        self, session: Context, *, concurrency: int = 8, duplicates: Duplicates = "last"
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if duplicates not in ("last", "error"):
            raise ValueError(f'duplicates must be "last" or "error", got {duplicates!r}')
        self._session = session
        self._tables = _Tables(session)
        self.concurrency = concurrency
        self.duplicates: Duplicates = duplicates
        self._writes: dict[bytes, BatchWrite] = {}
        self._committed = False
        self.written = 0

    def __len__(self) -> int:
        return len(self._writes)

    def put(self, instance: BaseModel) -> None:
        """Add a put of `instance`, encoded now.

        Raises:
            InvalidValue: the instance cannot be stored, its model has unique fields, or
                its key is already in the batch and `duplicates="error"`.
        """
        refuse_partial(instance, "a batch put")
        compiled, table = self._tables(type(instance))
        self._add(put_write(compiled, instance, table))

    def delete(self, target: BaseModel | Partial[Any] | type[BaseModel], /, **key: Any) -> None:
        """Add a delete: of an instance (or a `Partial`), or of a model's item by its
        key fields.

        Raises:
            InvalidKey: a key field is missing or cannot be encoded.
            InvalidValue: the model has unique fields, or the key is already in the
                batch and `duplicates="error"`.
        """
        if isinstance(target, type):
            self._add(_delete_of(self._tables, (target, key)))
        else:
            if key:
                raise TypeError("delete(instance) takes no key fields")
            self._add(_delete_of(self._tables, target))

    def _add(self, write: BatchWrite) -> None:
        if self._committed:
            raise SessionError("this batch was already committed; open a new db.batch()")
        if write.identity in self._writes:
            if self.duplicates == "error":
                raise InvalidValue(
                    f"the batch already writes the item with key {write.key} "
                    f"in {write.table!r} (duplicates='error')"
                )
            del self._writes[write.identity]
        self._writes[write.identity] = write

    def to_requests(self) -> list[dict[str, Any]]:
        """The BatchWriteItem requests the batch would send now, in order."""
        chunker = Chunker()
        chunks = [c for c in map(chunker.add, self._writes.values()) if c]
        chunks.append(chunker.close())
        return [batch_write_request(chunk) for chunk in chunks if chunk]

    async def commit(self) -> int:
        """Send every write; called by `async with` when the block exits cleanly.

        Returns:
            The number of writes DynamoDB applied.

        Raises:
            BatchIncomplete: some writes were left unwritten; it carries exactly those.
        """
        if self._committed:
            raise SessionError("this batch was already committed; open a new db.batch()")
        self._committed = True
        writes, self._writes = list(self._writes.values()), {}

        async def stream() -> AsyncIterator[BatchWrite]:
            for write in writes:
                yield write

        self.written = await write_stream(self._session, stream(), concurrency=self.concurrency)
        return self.written

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.commit()
        else:
            self._committed = True
            self._writes = {}
