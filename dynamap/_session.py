"""`Session`: the async entry point that reads and writes models in DynamoDB.

```python
async with Session() as db:
    page = await db.put(Page(title="Home"))
    same = await db.get(Page, id=page.id)
    async for node in db.query(Node, page_id=page.id):
        ...
```

A session has an explicit life: new, open, closed. Entering `async with Session()`
opens it and binds it to the current context, so that model methods
(`await Page.get(...)`, `await page.save()`) find it; `db.bind()` makes it the
session of the whole process instead (a web app's lifespan, a Lambda's warm start).
Each call builds its request with the pure builders of `dynamap._operations`, sends it
through the transport, and decodes the answer with the model's compiled codec.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import secrets
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, Unpack, overload

from pydantic import BaseModel

from dynamap import _tables as _tables
from dynamap import _unique as _unique
from dynamap import _unique_writes as _writes
from dynamap._batch_get import get_many
from dynamap._changes import UpdateChanges
from dynamap._coalesce import GetCoalescer
from dynamap._compiler import CompiledIndex, CompiledModel, compiled_of
from dynamap._cursor import EphemeralSecret
from dynamap._declarations import Index, Table
from dynamap._once import update_once
from dynamap._operations import (
    PreparedWrite,
    UpdateSpec,
    delete_request,
    get_request,
    put_request,
    raw_update_request,
    update_request,
)
from dynamap._outcome import (
    Proof,
    delete_unknown,
    landed_answer,
    landed_item,
    proof_of,
    refuse_lost_old_item,
    retry_safe,
    safe_update,
)
from dynamap._partial import Partial, from_projection, read_in_part, refuse_partial
from dynamap._query import Query, Scan
from dynamap._retry import RetryPolicy
from dynamap._transaction import Transaction, get_transaction
from dynamap._transport import ConnectionConfig, Hook, HttpTransport, Stats, Transport
from dynamap._witness import Watch, Witness
from dynamap.batch import (
    BatchWriter,
    DeleteTarget,
    Duplicates,
    encode_deletes,
    encode_puts,
    write_stream,
)
from dynamap.errors import ConditionCheckFailed, ItemNotFound, SessionError
from dynamap.expressions import Condition, Update
from dynamap.readtarget import plain_item

__all__ = ["Session", "compiled_of", "current_session"]

M = TypeVar("M", bound=BaseModel)
State = Literal["new", "open", "closed"]

_current: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "dynamap_session", default=None
)
#: The process-wide session set by `Session.bind()`: every task and thread sees it.
_default: Session | None = None


def current_session() -> Session:
    """The session model methods use here.

    That is the session made current in this context (by `async with Session()` or
    `with db.use():`), else the process-wide one set by `db.bind()`.

    Raises:
        SessionError: no session is bound in this context, nor for the process.
    """
    session = _current.get() or _default
    if session is None:
        raise SessionError(
            "no dynamap session is bound here: wrap the code in `async with Session() as db:`, "
            "or in a web app open one at startup and call `db.bind()` (see the docs page "
            "'Web apps')"
        )
    return session


class Session:
    """A connection to DynamoDB and the operations on models.

    Args:
        endpoint_url: the endpoint; default `AWS_ENDPOINT_URL_DYNAMODB`, then
            `DYNAMODB_ENDPOINT`, then AWS's endpoint for the region.
        region: the region; default `AWS_REGION` / `AWS_DEFAULT_REGION` / the profile.
        profile: an AWS profile for the credential chain.
        aws_access_key_id: explicit credentials instead of the chain.
        aws_secret_access_key: explicit credentials instead of the chain.
        aws_session_token: explicit credentials instead of the chain.
        table_prefix: prepended to every table name (default `DYNAMAP_TABLE_PREFIX`).
        retry: the retry policy for throttling, 5xx and connection errors.
        cursor_secret: the key that signs pagination cursors (default
            `DYNAMAP_CURSOR_SECRET`, else random per session: cursors then only work
            within this session).
        coalesce_gets: send concurrent `get` calls of one event-loop tick as one
            BatchGetItem.
        max_connections: the size of the HTTP connection pool.
        timeout: seconds before one HTTP request times out.
        consumed_capacity: ask DynamoDB for the capacity each data request consumed
            (`ReturnConsumedCapacity: TOTAL`), added up in `stats.consumed_capacity`.
        transport: replaces the single HTTP exchange of each request (signing and
            sending one body, reading its answer), e.g. a `dynamap.mock.MockTransport`
            in unit tests. Retries, hooks and `stats` work as ever around it; no
            credentials are resolved and no connection pool is opened.
    """

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        table_prefix: str | None = None,
        retry: RetryPolicy | None = None,
        cursor_secret: bytes | str | None = None,
        coalesce_gets: bool = True,
        max_connections: int = 64,
        timeout: float = 30.0,
        consumed_capacity: bool = False,
        transport: HttpTransport | None = None,
    ) -> None:
        config = ConnectionConfig(
            endpoint_url,
            region,
            profile,
            aws_access_key_id,
            aws_secret_access_key,
            aws_session_token,
        )
        self.retry = retry or RetryPolicy()
        self.transport = Transport(
            config,
            self.retry,
            max_connections=max_connections,
            timeout=timeout,
            consumed_capacity=consumed_capacity,
            http=transport,
        )
        prefix = (
            table_prefix if table_prefix is not None else os.environ.get("DYNAMAP_TABLE_PREFIX", "")
        )
        self.table_prefix = prefix
        secret = (
            cursor_secret
            or os.environ.get("DYNAMAP_CURSOR_SECRET")
            or EphemeralSecret(secrets.token_bytes(32))
        )
        self.cursor_secret = secret.encode() if isinstance(secret, str) else secret
        self.coalesce_gets = coalesce_gets
        self.state: State = "new"
        self._entered: contextvars.Token[Session | None] | None = None
        self._coalescer: GetCoalescer | None = None
        self._witness = Witness()
        self.transport.on_response.append(self._witness.observe)

    # -- life -------------------------------------------------------------------

    async def open(self) -> Self:
        """Resolve configuration and open the connection pool.

        Raises:
            SessionError: the session was opened before (sessions are not reusable).
        """
        if self.state != "new":
            raise SessionError(f"this session is {self.state}; create a new Session")
        await self.transport.open()
        self.state = "open"
        return self

    async def close(self) -> None:
        """Close the connection pool. Safe to call twice."""
        if self._coalescer is not None:
            await self._coalescer.flush()
        self.state = "closed"
        self.unbind()
        await self.transport.close()

    async def __aenter__(self) -> Self:
        await self.open()
        self._entered = _current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        token, self._entered = self._entered, None
        if token is not None:
            # Exiting in another context than the one entered (a fixture, a task) leaves
            # nothing here to restore.
            with contextlib.suppress(ValueError):
                _current.reset(token)
        await self.close()

    def bind(self) -> None:
        """Make this session the process-wide one model methods use: in every task and
        thread, e.g. opened once in a web app's lifespan or a Lambda's first call.

        A session made current in a context (`async with Session()`, `use()`) wins
        there. Closing the session unbinds it.

        Raises:
            SessionError: the session is closed.
        """
        global _default
        if self.state == "closed":
            raise SessionError("this session is closed; bind an open one")
        _default = self

    def unbind(self) -> None:
        """Undo `bind()`, if this session is still the process-wide one."""
        global _default
        if _default is self:
            _default = None

    @contextlib.contextmanager
    def use(self) -> Iterator[Self]:
        """Make this session current in this context (and tasks started from it) for
        the block, over any process-wide one: `with db.use(): await Page.get(...)`.
        For tests and per-request sessions."""
        token = _current.set(self)
        try:
            yield self
        finally:
            with contextlib.suppress(ValueError):  # left in another context
                _current.reset(token)

    def _require_open(self) -> None:
        if self.state != "open":
            hint = (
                "use `async with Session() as db:`"
                if self.state == "new"
                else ("it was closed; create a new Session")
            )
            raise SessionError(f"the session is {self.state}: {hint}")

    # -- plumbing ---------------------------------------------------------------

    @property
    def stats(self) -> Stats:
        """Per-operation request, error and retry counts and consumed capacity."""
        return self.transport.stats

    def on_request(self, hook: Hook) -> Hook:
        """Register a hook called before each request (usable as a decorator)."""
        self.transport.on_request.append(hook)
        return hook

    def on_response(self, hook: Hook) -> Hook:
        """Register a hook called after each request, failed ones included."""
        self.transport.on_response.append(hook)
        return hook

    def table_name(self, target: Table[Any] | type[BaseModel]) -> str:
        """The physical name of a table (or a model's table), prefix included."""
        table = target if isinstance(target, Table) else compiled_of(target).table
        return table.physical_name(self.table_prefix)

    async def send(
        self, operation: str, request: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Send one raw DynamoDB request (DynamoDB JSON in and out), with retries.

        A raw UpdateItem that is not safe to repeat (see docs/concepts/retries.md) is
        not retried after a try that may have been applied: `AmbiguousWrite` is
        raised instead. PartiQL statements are retried as they are.
        """
        self._require_open()
        idempotent = operation != "UpdateItem" or retry_safe(request)
        return await self.transport.send(operation, request, table=table, idempotent=idempotent)

    async def ping(self) -> bool:
        """Whether DynamoDB answers (a ListTables call); never raises."""
        try:
            await self.send("ListTables", {"Limit": 1})
        except Exception:
            return False
        return True

    # -- items ------------------------------------------------------------------

    @overload
    async def get(
        self,
        model: type[M],
        /,
        *,
        consistent: bool = ...,
        fields: None = ...,
        raw: Literal[False] = ...,
        **key: Any,
    ) -> M | None: ...

    @overload
    async def get(
        self,
        model: type[M],
        /,
        *,
        consistent: bool = ...,
        fields: Iterable[str],
        raw: Literal[False] = ...,
        **key: Any,
    ) -> Partial[M] | None: ...

    @overload
    async def get(
        self,
        model: type[M],
        /,
        *,
        consistent: bool = ...,
        fields: Iterable[str] | None = ...,
        raw: Literal[True],
        **key: Any,
    ) -> dict[str, Any] | None: ...

    async def get(
        self,
        model: type[M],
        /,
        *,
        consistent: bool = False,
        fields: Iterable[str] | None = None,
        raw: bool = False,
        **key: Any,
    ) -> M | Partial[M] | dict[str, Any] | None:
        """Read one item by its key fields; None when there is none.

        Args:
            model: the model class.
            consistent: a strongly consistent read.
            fields: read only these fields (a projection): the result is then a
                `Partial[M]` holding them and the key fields, nothing made up.
            raw: return the stored item as a plain dict instead of a model: every
                attribute (keys and entity included) decoded by its stored type alone,
                nothing validated (as `db.query(...).raw()` returns items).
            **key: the fields the model's key templates name, e.g. `id=...`.

        Raises:
            InvalidStoredItem: the stored item does not fit the model.
        """
        compiled = compiled_of(model)
        item_key = compiled.key_from(key)
        table = self.table_name(model)
        names = None if fields is None else _field_list(fields)
        if names is None and self.coalesce_gets:
            item = await self._coalesced().get(table, item_key, consistent)
        else:
            request = get_request(compiled, table, item_key, consistent=consistent, fields=names)
            item = (await self.send("GetItem", request, table=table)).get("Item")
        if item is None:
            return None
        if raw:
            return plain_item(item)
        if names is not None:
            return from_projection(
                compiled, item, f"fields={names!r}", read_in_part(compiled, names)
            )
        return compiled.from_item(item)

    async def get_or_raise(self, model: type[M], /, *, consistent: bool = False, **key: Any) -> M:
        """Like `get`, but a missing item raises `ItemNotFound`."""
        found = await self.get(model, consistent=consistent, fields=None, raw=False, **key)
        if found is None:
            raise ItemNotFound(
                f"no {model.__name__} with {key}",
                operation="GetItem",
                table=self.table_name(model),
                code="ItemNotFound",
            )
        return found

    def _coalesced(self) -> GetCoalescer:
        if self._coalescer is None:
            self._coalescer = GetCoalescer(self)
        return self._coalescer

    async def put(self, instance: M, /, *, condition: Condition | None = None) -> M:
        """Write a whole item, replacing any item with the same key.

        Version and timestamp fields are maintained: the instance is updated in place
        once the write succeeds, and returned.

        Args:
            instance: the model instance to store.
            condition: a condition the stored item must meet, e.g. `F("PK").not_exists()`.

        Raises:
            ConditionCheckFailed: the condition (or the version check) failed; its
                `item` is the stored item, decoded.
        """
        await self._put(instance, condition, False)
        return instance

    async def put_returning_old(
        self, instance: M, /, *, condition: Condition | None = None
    ) -> M | None:
        """Like `put`, returning the item that was replaced (None if there was none).

        Raises:
            AmbiguousWrite: the put was applied by a try whose answer, holding the
                replaced item, was lost.
        """
        return await self._put(instance, condition, True)

    async def _put(self, instance: M, condition: Condition | None, return_old: bool) -> M | None:
        refuse_partial(instance, "put")
        compiled = compiled_of(type(instance))
        if compiled.options.unique:
            old: Any = await _writes.unique_put(self, instance, condition)
            return old if return_old else None
        table = self.table_name(type(instance))
        prepared = put_request(
            compiled, instance, table, condition=condition, return_old=return_old
        )
        answer = await self._write("PutItem", prepared, compiled, table)
        _apply_changes(instance, prepared.changes)
        replaced = answer.get("Attributes")
        return None if replaced is None else compiled.from_item(replaced)

    async def _write(
        self,
        operation: str,
        prepared: PreparedWrite[Any],
        compiled: CompiledModel[Any],
        table: str,
    ) -> dict[str, Any]:
        """Send one write and report what it did, also when an answer was lost (the
        contract is in docs/concepts/retries.md)."""
        request = prepared.request
        if operation == "UpdateItem" and not safe_update(compiled, prepared):
            try:
                return await update_once(self._send_write, self.retry, request, table)
            except ConditionCheckFailed as error:
                raise _decoded_condition_error(error, compiled) from None
        proof = proof_of(operation, prepared, compiled)
        with self._watch(prepared, compiled, table, proof) as watch:
            try:
                answer, ambiguous = await self._exchange(operation, request, table)
            except ConditionCheckFailed as error:
                landed = landed_item(error, proof, watch)
                if landed is not None:  # an earlier try whose answer was lost did it
                    return landed_answer(operation, landed, request, error)
                if error.ambiguous and operation == "DeleteItem" and error.item is None:
                    raise delete_unknown(error) from error
                raise _decoded_condition_error(error, compiled) from None
        if ambiguous:
            refuse_lost_old_item(operation, request, answer, compiled)
        return answer

    async def _send_write(
        self,
        operation: str,
        request: Mapping[str, Any],
        *,
        table: str | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        self._require_open()
        return await self.transport.send(operation, request, table=table, idempotent=idempotent)

    async def _exchange(
        self, operation: str, request: Mapping[str, Any], table: str
    ) -> tuple[dict[str, Any], bool]:
        self._require_open()
        return await self.transport.exchange(operation, request, table=table)

    def _watch(
        self,
        prepared: PreparedWrite[Any],
        compiled: CompiledModel[Any],
        table: str,
        proof: Proof | None,
    ) -> AbstractContextManager[Watch | None]:
        """While a version-checked write is in flight, watch answers for the item as it
        leaves it (see `dynamap._witness`): any writer that moves such an item on must
        read it first. Other writers need not, so other writes are not watched."""
        version = compiled.options.version
        if proof is None or version is None or version not in prepared.changes:
            return contextlib.nullcontext()
        request = prepared.request
        key = request.get("Key") or {
            attribute.attribute: request["Item"][attribute.attribute]
            for attribute in compiled.key_attributes
        }
        return self._witness.watch(table, key, proof)

    async def update(
        self,
        target: M | Partial[M],
        /,
        *,
        condition: Condition | None = None,
        **changes: Unpack[UpdateChanges],
    ) -> M:
        """Change parts of a stored item and return it as it is now.

        Keywords (see `UpdateChanges`): `set`, `remove`, `add`, `delete`, `append`,
        `prepend`, `set_if_not_exists`. Paths are field names, or paths into them
        (`"meta.tags[0]"`), resolved against the model: a path that names no field, a
        value of the wrong type, removing a required field, or changing the primary
        key, the version or the created timestamp raises `InvalidUpdate` before
        anything is sent. A field set to None is removed. Index keys built from changed
        fields are kept in step. The item must exist. With a version field, the
        instance's version must match the stored one. An instance is refreshed in
        place with the stored item; a `Partial` (from a projection) can be updated
        too, and the whole item is returned.

        An update that a retry could apply twice (`add=` to a number, `append=`, ...)
        with no version check is sent so that it is applied once, under
        `RetryPolicy.non_idempotent` (see docs/concepts/retries.md).

        Raises:
            InvalidUpdate: a change is refused (see above).
            ConditionCheckFailed: the item is missing, or a condition failed;
                `ambiguous=True` when a try whose answer was lost may have caused it.
            AmbiguousWrite: under `non_idempotent="no-retry"`, the update may have
                been applied and was not retried.
        """
        return await self._update(target, UpdateSpec.of(changes), condition)

    async def _update(
        self, target: M | Partial[M], spec: UpdateSpec, condition: Condition | None
    ) -> M:
        model: type[M] = target.model if isinstance(target, Partial) else type(target)
        compiled = compiled_of(model)
        table = self.table_name(model)
        known = target.to_dict() if isinstance(target, Partial) else dict(vars(target))
        version = compiled.options.version
        expected = known.get(version) if version else None
        if _unique.touches(compiled, spec):
            fresh: M = await _writes.unique_update(self, compiled, known, spec, condition, expected)
        else:
            prepared = update_request(
                compiled, known, table, spec, condition=condition, expected_version=expected
            )
            answer = await self._write("UpdateItem", prepared, compiled, table)
            fresh = compiled.from_item(answer["Attributes"])
        if not isinstance(target, Partial):
            _apply_changes(target, dict(vars(fresh)))
        return fresh

    async def update_key(
        self,
        model: type[M],
        /,
        *,
        key: Mapping[str, Any],
        condition: Condition | None = None,
        **changes: Unpack[UpdateChanges],
    ) -> M:
        """Update an item known only by its key: `update_key(Page, key={"id": i}, set=...)`.

        Takes the same change keywords as `update` (`UpdateChanges`); index keys that
        need fields not given are refused.
        """
        spec = UpdateSpec.of(changes)
        compiled = compiled_of(model)
        if _unique.touches(compiled, spec):
            fresh: M = await _writes.unique_update(self, compiled, key, spec, condition, None)
            return fresh
        table = self.table_name(model)
        prepared = update_request(compiled, key, table, spec, condition=condition)
        answer = await self._write("UpdateItem", prepared, compiled, table)
        return compiled.from_item(answer["Attributes"])

    async def update_raw(
        self,
        model: type[BaseModel],
        /,
        *,
        key: Mapping[str, Any],
        update: Update,
        condition: Condition | None = None,
    ) -> dict[str, Any]:
        """A schema-less update, for deliberate writes outside the model (a data fix, a
        migration step): attribute paths are taken literally and nothing is checked
        against the model's fields. Only the primary key attributes are refused.

        ```python
        await db.update_raw(Page, key={"id": pid},
                            update=Update().set(F.attr("legacyFlag"), 1).remove("oldName"))
        ```

        Args:
            model: the model whose table and key template locate the item.
            key: the key fields, e.g. `{"id": pid}`.
            update: the actions (`dynamap.expressions.Update`), on stored attribute names.
            condition: a condition on stored attributes; the item must exist either way.

        Returns:
            The whole stored item afterwards, as a plain dict (it may no longer fit the
            model, which is why no model is built).
        """
        compiled = compiled_of(model)
        table = self.table_name(model)
        request = raw_update_request(compiled, key, table, update, condition=condition)
        answer = await self.send("UpdateItem", request, table=table)
        return plain_item(answer["Attributes"])

    @overload
    async def delete(self, target: M, /, *, condition: Condition | None = ...) -> M | None: ...

    @overload
    async def delete(
        self, target: type[M], /, *, condition: Condition | None = ..., **key: Any
    ) -> M | None: ...

    async def delete(
        self, target: M | type[M], /, *, condition: Condition | None = None, **key: Any
    ) -> M | None:
        """Delete an item (an instance, or a model and its key fields).

        Returns the deleted item, or None if there was none. With a version field,
        deleting an instance requires the stored version to match.

        Raises:
            ConditionCheckFailed: the condition or the version check failed.
            AmbiguousWrite: an answer was lost and the retry found no item: it is
                gone, but whether this call deleted it cannot be known.
        """
        if isinstance(target, type):
            compiled = compiled_of(target)
            item_key, expected = compiled.key_from(key), None
        else:
            compiled = compiled_of(type(target))
            item_key = compiled.key_of(target)
            version = compiled.options.version
            expected = getattr(target, version) if version else None
        if compiled.options.unique:
            deleted: M | None = await _writes.unique_delete(
                self, compiled, item_key, condition, expected
            )
            return deleted
        table = self.table_name(compiled.model)
        request = delete_request(
            compiled,
            item_key,
            table,
            condition=condition,
            expected_version=expected,
            return_old=True,
        )
        answer = await self._write("DeleteItem", PreparedWrite(request), compiled, table)
        old = answer.get("Attributes")
        return None if old is None else compiled.from_item(old)

    # -- reads of many ------------------------------------------------------------

    def query(
        self,
        target: type[M] | Table[M],
        anchor: type[BaseModel] | None = None,
        /,
        *,
        index: str | Index | CompiledIndex | None = None,
        **key: Any,
    ) -> Query[M]:
        """A query over one partition of a model's table or index (see `Query`).

        ```python
        nodes = await db.query(Node, page_id=pid).all()        # Node items of a page
        everything = await db.query(app, Page, id=pid).all()   # the whole collection
        ```

        Args:
            target: a model (items of that model), or a Table (a collection: every
                item of the partition, each decoded to its own model).
            anchor: for a Table, the model whose key fields name the partition; its
                partition key is built from `**key` and escaped like every key.
            index: the index to query, by name or as declared on the model.
            **key: the partition key's fields. A collection read without an anchor
                takes `raw_pk=` instead: the stored key value, used as given.
        """
        self._require_open()
        return Query(self, target, index=index, key=key, anchor=anchor)

    def scan(
        self, target: type[M] | Table[M], /, *, index: str | Index | CompiledIndex | None = None
    ) -> Scan[M]:
        """A scan over a model's table or index (see `Scan`)."""
        self._require_open()
        return Scan(self, target, index=index)

    # -- batches and transactions ------------------------------------------------

    def batch(self, *, concurrency: int = 8, duplicates: Duplicates = "last") -> BatchWriter:
        """A batch writer: `async with db.batch() as b: b.put(x); b.delete(y)`.

        Writes are sent when the block exits cleanly, in BatchWriteItem requests of up
        to 25, with unprocessed items retried; batch writes skip optimistic locking
        (see `dynamap.batch`).

        Args:
            concurrency: how many requests may be in flight at once.
            duplicates: a second write to a key in the batch replaces the first
                ("last", default) or raises `InvalidValue` ("error").
        """
        self._require_open()
        return BatchWriter(self, concurrency=concurrency, duplicates=duplicates)

    def transaction(self, *, token: str | None = None) -> Transaction:
        """A write transaction: `async with db.transaction() as t: t.put(x)`.

        Args:
            token: the idempotency token (ClientRequestToken); default a new one.
        """
        self._require_open()
        return Transaction(self, token=token)

    async def put_many(
        self, items: Iterable[BaseModel] | AsyncIterable[BaseModel], *, concurrency: int = 8
    ) -> int:
        """Put any number of items, of any models, streamed in batches of 25.

        The iterable is read as the batches go, so memory stays bounded however many
        items it yields. Like `batch()`, this skips optimistic locking.

        Args:
            items: model instances (an iterable or an async iterable).
            concurrency: how many BatchWriteItem requests may be in flight at once.

        Returns:
            The number of writes DynamoDB applied.

        Raises:
            InvalidValue: an item cannot be stored; the items before it are written
                first, nothing after it is read.
            BatchIncomplete: items were left unwritten; it carries exactly those.
        """
        self._require_open()
        return await write_stream(self, encode_puts(self, items), concurrency=concurrency)

    async def delete_many(
        self,
        targets: Iterable[DeleteTarget] | AsyncIterable[DeleteTarget],
        *,
        concurrency: int = 8,
    ) -> int:
        """Delete any number of items, streamed in batches of 25.

        Args:
            targets: model instances, or `(Model, {key fields})` pairs.
            concurrency: how many BatchWriteItem requests may be in flight at once.

        Returns:
            The number of deletes DynamoDB applied (deleting a missing item counts).

        Raises:
            InvalidKey: a target's key cannot be built; the deletes before it are done.
            BatchIncomplete: deletes were left undone; it carries exactly those targets.
        """
        self._require_open()
        return await write_stream(self, encode_deletes(self, targets), concurrency=concurrency)

    async def get_many(
        self, model: type[M], keys: Iterable[Mapping[str, Any]], *, consistent: bool = False
    ) -> list[M | None]:
        """Read many items of one model by their key fields, in BatchGetItem chunks of 100.

        Args:
            model: the model class.
            keys: the key fields of each item, e.g. `[{"id": a}, {"id": b}]`; a key
                may appear more than once.
            consistent: strongly consistent reads.

        Returns:
            One entry per key, in the order asked: the item, or None if there is none.

        Raises:
            InvalidKey: a key cannot be built (before anything is sent).
            BatchIncomplete: keys were left unread when the retry budget ran out; it
                carries exactly those key mappings.
        """
        self._require_open()
        return await get_many(self, model, keys, consistent=consistent)

    async def get_transaction(
        self, targets: Iterable[tuple[type[M], Mapping[str, Any]]]
    ) -> list[M | None]:
        """Read up to 100 items, of any models, as one consistent snapshot
        (TransactGetItems): `await db.get_transaction([(User, {"id": a}), ...])`.

        Returns:
            One entry per target, in order: an instance of its model, or None where
            there is no item.

        Raises:
            InvalidValue: more than 100 items.
        """
        self._require_open()
        found: list[M | None] = await get_transaction(self, targets)
        return found

    # -- tables -------------------------------------------------------------------

    async def create_tables(self, *targets: type[BaseModel] | Table[Any]) -> list[str]:
        """Create the tables of these models (or tables) if missing, add missing GSIs,
        enable TTL, and wait until ACTIVE. Idempotent.

        Returns:
            One line per change made; empty when everything already existed.
        """
        self._require_open()
        changes: list[str] = []
        for table in _tables.collect_tables(targets):
            schema = _tables.schema_of(table)
            plan = await _tables.plan_table(self.transport, schema, self.table_prefix)
            changes += plan.describe() if not plan.in_sync else []
            await _tables.apply_plan(self.transport, plan, prefix=self.table_prefix)
        return changes

    async def drop_tables(self, *targets: type[BaseModel] | Table[Any]) -> list[str]:
        """Delete the tables of these models (or tables). Returns the names dropped."""
        self._require_open()
        dropped = []
        for table in _tables.collect_tables(targets):
            name = self.table_name(table)
            if await _tables.drop_table(self.transport, name):
                dropped.append(name)
        return dropped


def _field_list(fields: Iterable[str]) -> list[str]:
    if isinstance(fields, str):
        raise TypeError(f"fields= takes a list of field names, not the string {fields!r}")
    names = list(fields)
    if not names:
        raise ValueError("fields= needs at least one field name")
    return names


def _apply_changes(instance: BaseModel, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        instance.__dict__[name] = value


def _decoded_condition_error(
    error: ConditionCheckFailed, compiled: CompiledModel[Any]
) -> ConditionCheckFailed:
    item = error.item
    if isinstance(item, dict):
        with contextlib.suppress(ValueError):
            item = compiled.from_item(item)
    decoded = ConditionCheckFailed(
        error.message,
        item=item,
        operation=error.operation,
        table=error.table,
        code=error.code,
        request_id=error.request_id,
    )
    decoded.ambiguous = error.ambiguous
    return decoded
