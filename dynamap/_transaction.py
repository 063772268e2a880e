"""Transactions: writes that all happen, or none does.

```python
async with db.transaction() as t:        # committed when the block exits cleanly
    t.put(order, condition=F("PK").not_exists())
    t.update(account, add={"balance": -order.total}, condition=F("balance") >= order.total)
    t.delete(cart)
    t.check(customer, F("status") == "active")

users = await db.get_transaction([(User, {"id": a}), (User, {"id": b})])
```

Each action is built when it is added, with the same builders as single writes
(`dynamap._operations`): bad input raises at `t.put(...)`, and version fields and
timestamps are maintained and checked as `Session.put` / `update` / `delete` do. A
transaction holds at most 100 actions and acts on each item once; more, or a second
action on one item, raises before anything is sent.

Each commit carries a `ClientRequestToken`, generated per transaction and reused
when the transport retries the request (after a dropped connection, say), so a
commit whose answer was lost is not applied a second time. A transaction cancelled
by DynamoDB raises `TransactionCanceled` with one reason per action, in the order
the actions were added, and the current item, decoded to its model, where DynamoDB
returns it (every action asks for it with `ReturnValuesOnConditionCheckFailure`).
Cancellations caused only by conflicting concurrent transactions are retried under
the session's `RetryPolicy`, with a new token, unless an earlier try's answer was lost
(that try may still be applied later, so the token that dedupes it is kept; DynamoDB
runs a cancelled token's transaction again when it is sent again).

Models with unique fields get their marker items added to the same transaction at
commit (see `dynamap._unique`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, Unpack

from pydantic import BaseModel

from dynamap import _unique as _unique
from dynamap._changes import UpdateChanges
from dynamap._clock import write_time
from dynamap._compiler import CompiledModel, compiled_of
from dynamap._context import Context
from dynamap._identity import Item, item_identity
from dynamap._operations import (
    UpdateSpec,
    delete_request,
    model_parameters,
    put_request,
    update_request,
)
from dynamap._partial import refuse_partial
from dynamap.errors import (
    InvalidRequest,
    InvalidValue,
    SessionError,
    TransactionCanceled,
    UniqueConstraintViolated,
)
from dynamap.expressions import Condition

__all__ = [
    "MAX_ACTIONS",
    "Action",
    "Transaction",
    "get_transaction",
    "transact_get_raw",
]

M = TypeVar("M", bound=BaseModel)
ActionKind = Literal["Put", "Update", "Delete", "ConditionCheck"]

#: The most actions DynamoDB takes in one transaction.
MAX_ACTIONS = 100

_CONFLICTS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


def _new_token() -> str:
    return uuid.uuid4().hex


def _compiled(model: type[M]) -> CompiledModel[M]:
    return compiled_of(model)


def _both(first: Condition | None, second: Condition | None) -> Condition | None:
    if first is None or second is None:
        return first or second
    return first & second


@dataclass(slots=True)
class Action:
    """One action of a transaction, as added.

    Attributes:
        kind: "Put", "Update", "Delete" or "ConditionCheck".
        compiled: the model acted on.
        body: the action's request (TableName, Item or Key, expressions).
        key: the item's primary key.
        identity: table and key in canonical form.
        instance: the instance to update (version, timestamps) once committed.
        changes: the field values to set on `instance` once committed.
        unique: for models with unique fields, what the action does to its markers.
    """

    kind: ActionKind
    compiled: CompiledModel[Any]
    body: dict[str, Any]
    key: Item
    identity: bytes
    instance: BaseModel | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    unique: _unique.UniqueIntent | None = None


@dataclass(slots=True)
class _Entry:
    """One TransactItems entry: a user action, or a marker item it brought along."""

    kind: ActionKind
    body: dict[str, Any]
    identity: bytes
    action: int
    marker: _unique.Marker | None = None


class Transaction:
    """A write transaction: `async with db.transaction() as t: t.put(x)`.

    Nothing is sent if the block raises. See the module docstring.

    Args:
        session: the open session.
        token: the ClientRequestToken for the commit (default: a new random one).

    Attributes:
        token: the ClientRequestToken the commit is (or was last) sent with.
    """

    def __init__(self, session: Context, *, token: str | None = None) -> None:
        self._session = session
        self._actions: list[Action] = []
        self._identities: set[bytes] = set()
        self._state: Literal["open", "committed", "discarded"] = "open"
        self.token = token or _new_token()

    def __len__(self) -> int:
        return len(self._actions)

    @property
    def actions(self) -> tuple[Action, ...]:
        """The actions added so far, in order."""
        return tuple(self._actions)

    # -- adding actions -------------------------------------------------------------

    def put(self, instance: BaseModel, /, *, condition: Condition | None = None) -> None:
        """Add a put of a whole item (version checked and incremented, timestamps set).

        Raises:
            InvalidValue: the instance cannot be stored, the transaction is full, or
                it already acts on this item.
        """
        refuse_partial(instance, "a transaction put")
        compiled = _compiled(type(instance))
        table = self._session.table_name(type(instance))
        now = write_time()
        snapshot = instance.model_copy(deep=True) if compiled.options.unique else instance

        def build(guard: Condition | None) -> dict[str, Any]:
            return put_request(
                compiled, snapshot, table, condition=_both(condition, guard), now=now
            ).request

        prepared = put_request(compiled, snapshot, table, condition=condition, now=now)
        item = prepared.request["Item"]
        key = {a.attribute: item[a.attribute] for a in compiled.key_attributes}
        intent = _unique.put_intent(compiled, snapshot, build) if compiled.options.unique else None
        self._add(
            Action(
                "Put",
                compiled,
                prepared.request,
                key,
                item_identity(table, key),
                instance,
                prepared.changes,
                intent,
            )
        )

    def update(
        self,
        target: BaseModel,
        /,
        *,
        condition: Condition | None = None,
        **changes: Unpack[UpdateChanges],
    ) -> None:
        """Add an update of a stored item; the keywords are those of `Session.update`
        (`UpdateChanges`), checked against the model in the same way.

        The item must exist; with a version field, the instance's version must match
        the stored one. Once committed, the instance's version and timestamps are
        updated; the other changes are in the stored item (re-read it to see them).

        Raises:
            InvalidValue: the update changes the primary key or cannot be encoded,
                the transaction is full, or it already acts on this item.
        """
        spec = UpdateSpec.of(changes)
        compiled = _compiled(type(target))
        version = compiled.options.version
        expected = getattr(target, version) if version else None
        self.add_update(
            compiled,
            dict(vars(target)),
            spec,
            condition=condition,
            expected_version=expected,
            instance=target,
        )

    def add_update(
        self,
        compiled: CompiledModel[Any],
        known: Mapping[str, Any],
        spec: UpdateSpec,
        *,
        condition: Condition | None = None,
        expected_version: int | None = None,
        instance: BaseModel | None = None,
    ) -> None:
        """Add an update from known field values (an instance's, or just a key's).

        The lower-level form of `update`, as `Session.update_key` needs it.
        """
        table = self._session.table_name(compiled.model)
        now = write_time()

        def build(guard: Condition | None) -> dict[str, Any]:
            request = update_request(
                compiled,
                known,
                table,
                spec,
                condition=_both(condition, guard),
                expected_version=expected_version,
                now=now,
            ).request
            request.pop("ReturnValues", None)
            return request

        prepared = update_request(
            compiled,
            known,
            table,
            spec,
            condition=condition,
            expected_version=expected_version,
            now=now,
        )
        body = prepared.request
        body.pop("ReturnValues", None)
        intent = _unique.update_intent(compiled, spec, build)
        self._add(
            Action(
                "Update",
                compiled,
                body,
                body["Key"],
                item_identity(table, body["Key"]),
                instance,
                prepared.changes,
                intent,
            )
        )

    def delete(
        self,
        target: BaseModel | type[BaseModel],
        /,
        *,
        condition: Condition | None = None,
        **key: Any,
    ) -> None:
        """Add a delete: of an instance (its version checked, if any), or of a model's
        item by its key fields.

        Raises:
            InvalidKey: a key field is missing or cannot be encoded.
            InvalidValue: the transaction is full, or it already acts on this item.
        """
        if isinstance(target, type):
            compiled = _compiled(target)
            self.add_delete(compiled, compiled.key_from(key), condition=condition)
            return
        if key:
            raise TypeError("delete(instance) takes no key fields")
        compiled = _compiled(type(target))
        version = compiled.options.version
        self.add_delete(
            compiled,
            compiled.key_of(target),
            condition=condition,
            expected_version=getattr(target, version) if version else None,
        )

    def add_delete(
        self,
        compiled: CompiledModel[Any],
        key: Item,
        *,
        condition: Condition | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Add a delete of the item with primary key `key` (DynamoDB JSON)."""
        table = self._session.table_name(compiled.model)

        def build(guard: Condition | None) -> dict[str, Any]:
            return delete_request(
                compiled,
                key,
                table,
                condition=_both(condition, guard),
                expected_version=expected_version,
            )

        intent = _unique.delete_intent(compiled, build)
        self._add(
            Action("Delete", compiled, build(None), key, item_identity(table, key), unique=intent)
        )

    def check(
        self, target: BaseModel | type[BaseModel], condition: Condition, /, **key: Any
    ) -> None:
        """Add a condition check on an item that the transaction does not write.

        `t.check(customer, F("status") == "active")` or
        `t.check(Customer, F("status") == "active", id=cid)`.

        Raises:
            InvalidKey: a key field is missing or cannot be encoded.
            InvalidValue: the transaction is full, or it already acts on this item.
        """
        if isinstance(target, type):
            compiled: CompiledModel[Any] = _compiled(target)
            item_key = compiled.key_from(key)
        else:
            compiled = _compiled(type(target))
            item_key = compiled.key_of(target)
        table = self._session.table_name(compiled.model)
        params = model_parameters(compiled)
        body: dict[str, Any] = {
            "TableName": table,
            "Key": item_key,
            "ConditionExpression": condition.encode(params),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        params.apply(body)
        self._add(
            Action("ConditionCheck", compiled, body, item_key, item_identity(table, item_key))
        )

    def _add(self, action: Action) -> None:
        if self._state != "open":
            raise SessionError(f"this transaction is {self._state}; open a new db.transaction()")
        if len(self._actions) >= MAX_ACTIONS:
            raise InvalidValue(
                f"a transaction holds at most {MAX_ACTIONS} actions "
                "(DynamoDB's limit); split the work or use db.batch()"
            )
        if action.unique is not None:
            _unique.refuse_marker_key(action.compiled, action.key)
        if action.identity in self._identities:
            raise InvalidValue(
                f"the transaction already acts on the {action.compiled.model.__name__} with "
                f"key {action.key}; DynamoDB allows one action per item in a transaction"
            )
        self._identities.add(action.identity)
        self._actions.append(action)

    # -- requests -----------------------------------------------------------------------

    def to_request(self) -> dict[str, Any]:
        """The TransactWriteItems request as it stands.

        Marker items of unique fields that need the current item (a value that moves,
        a delete) are only known at commit, after reading it; they are left out here.
        """
        entries = self._entries()
        return self._request(entries)

    def _request(self, entries: list[_Entry]) -> dict[str, Any]:
        return {
            "TransactItems": [{entry.kind: entry.body} for entry in entries],
            "ClientRequestToken": self.token,
        }

    def _entries(self) -> list[_Entry]:
        entries: list[_Entry] = []
        for index, action in enumerate(self._actions):
            intent = action.unique
            if intent is None or (intent.needs_read and not intent.was_read):
                entries.append(_Entry(action.kind, action.body, action.identity, index))
                continue
            table = action.body["TableName"]
            guard, markers = _unique.expand(action.compiled, table, action.key, intent)
            body = action.body if guard is None else intent.rebuild(guard)
            entries.append(_Entry(action.kind, body, action.identity, index))
            entries.extend(_Entry(m.kind, m.body, m.identity, index, m) for m in markers)
        _check_entries(self._actions, entries)
        return entries

    async def _read_current(self) -> None:
        reading = [
            action
            for action in self._actions
            if action.unique is not None and action.unique.needs_read
        ]
        if not reading:
            return
        found = await transact_get_raw(
            self._session, [(action.body["TableName"], action.key) for action in reading]
        )
        for action, item in zip(reading, found, strict=True):
            assert action.unique is not None
            action.unique.current = item
            action.unique.was_read = True

    # -- committing ---------------------------------------------------------------------

    async def commit(self) -> None:
        """Send the transaction; called by `async with` when the block exits cleanly.

        Raises:
            TransactionCanceled: DynamoDB cancelled it; nothing was applied.
            UniqueConstraintViolated: a unique field's value belongs to another item.
        """
        if self._state != "open":
            raise SessionError(f"this transaction is {self._state}; open a new db.transaction()")
        self._state = "committed"
        if not self._actions:
            return
        state = self._session.retry.start()
        while True:
            await self._read_current()
            entries = self._entries()
            try:
                await self._session.send("TransactWriteItems", self._request(entries))
                break
            except TransactionCanceled as error:
                delay = state.next_delay() if self._retryable(entries, error) else None
                if delay is None:
                    raise self._canceled(entries, error) from None
                if not error.ambiguous:  # else a lost try of this token may still land:
                    self.token = _new_token()  # keep it, so that it lands once at most
            except InvalidRequest as error:
                in_progress = error.code == "TransactionInProgressException"
                delay = state.next_delay() if in_progress else None
                if delay is None:
                    raise
            await asyncio.sleep(delay)
        self._apply()

    def _apply(self) -> None:
        for action in self._actions:
            if action.instance is not None:
                for name, value in action.changes.items():
                    action.instance.__dict__[name] = value

    def _retryable(self, entries: list[_Entry], error: TransactionCanceled) -> bool:
        """Whether the cancellation is only conflicts or races worth trying again."""
        reasons = error.cancellation_reasons
        if not reasons:
            return error.code == "TransactionConflictException"
        failures = [
            (entry, reason)
            for entry, reason in zip(entries, reasons, strict=False)
            if reason.get("Code") not in (None, "None")
        ]
        return bool(failures) and all(self._transient(entry, reason) for entry, reason in failures)

    def _transient(self, entry: _Entry, reason: Mapping[str, Any]) -> bool:
        code = reason.get("Code")
        if code in _CONFLICTS:
            return True
        if code != "ConditionalCheckFailed":
            return False
        if entry.marker is not None:
            return entry.marker.kind == "Delete"
        action = self._actions[entry.action]
        return action.unique is not None and _unique.raced(
            action.compiled, action.unique, reason.get("Item")
        )

    def _canceled(self, entries: list[_Entry], error: TransactionCanceled) -> Exception:
        reasons = error.cancellation_reasons
        if not reasons:
            return error
        for entry, reason in zip(entries, reasons, strict=False):
            marker = entry.marker
            if (
                marker is not None
                and marker.kind == "Put"
                and reason.get("Code") == "ConditionalCheckFailed"
            ):
                model = self._actions[entry.action].compiled.model.__name__
                violated = UniqueConstraintViolated(model, marker.field, marker.value)
                violated.__cause__ = error
                return violated
        per_action: list[dict[str, Any]] = [{"Code": "None"} for _ in self._actions]
        for entry, reason in zip(entries, reasons, strict=False):
            if entry.marker is None:
                per_action[entry.action] = _decoded_reason(
                    self._actions[entry.action].compiled, reason
                )
        return TransactionCanceled(
            error.message,
            cancellation_reasons=per_action,
            operation=error.operation,
            table=error.table,
            code=error.code,
            request_id=error.request_id,
        )

    # -- context manager ----------------------------------------------------------------

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
        elif self._state == "open":
            self._state = "discarded"


def _check_entries(actions: Sequence[Action], entries: list[_Entry]) -> None:
    if len(entries) > MAX_ACTIONS:
        raise InvalidValue(
            f"with the marker items of unique fields, this transaction has {len(entries)} "
            f"actions; DynamoDB takes at most {MAX_ACTIONS}"
        )
    seen: dict[bytes, _Entry] = {}
    for entry in entries:
        earlier = seen.setdefault(entry.identity, entry)
        if earlier is entry:
            continue
        marker = entry.marker
        if (
            marker is not None
            and marker.kind == "Put"
            and earlier.marker is not None
            and earlier.marker.kind == "Put"
        ):
            model = actions[entry.action].compiled.model.__name__
            raise UniqueConstraintViolated(model, marker.field, marker.value)
        raise InvalidValue(
            "two actions of this transaction write the same item (a unique "
            "value moving between items?); split it into two transactions"
        )


def _decoded_reason(compiled: CompiledModel[Any], reason: Mapping[str, Any]) -> dict[str, Any]:
    decoded = dict(reason)
    item = reason.get("Item")
    if isinstance(item, dict):
        with contextlib.suppress(ValueError):
            decoded["Item"] = compiled.from_item(item)
    return decoded


# -- reads --------------------------------------------------------------------------------


async def transact_get_raw(session: Context, keys: Sequence[tuple[str, Item]]) -> list[Item | None]:
    """Read items (table, key) in one TransactGetItems: a consistent snapshot.

    Keys may repeat; conflicting transactions are waited out under the retry policy.

    Raises:
        InvalidValue: more than 100 distinct items.
    """
    distinct: dict[bytes, tuple[str, Item]] = {}
    for table, key in keys:
        distinct.setdefault(item_identity(table, key), (table, key))
    if len(distinct) > MAX_ACTIONS:
        raise InvalidValue(
            f"TransactGetItems reads at most {MAX_ACTIONS} items, got {len(distinct)}"
        )
    request = {
        "TransactItems": [
            {"Get": {"TableName": table, "Key": key}} for table, key in distinct.values()
        ]
    }
    answer = await _send_get(session, request)
    items = [response.get("Item") for response in answer.get("Responses", [])]
    by_identity = dict(zip(distinct, items, strict=True))
    return [by_identity[item_identity(table, key)] for table, key in keys]


async def _send_get(session: Context, request: dict[str, Any]) -> dict[str, Any]:
    state = session.retry.start()
    while True:
        try:
            return await session.send("TransactGetItems", request)
        except TransactionCanceled as error:
            codes = {reason.get("Code") for reason in error.cancellation_reasons} - {"None"}
            conflict = (codes and codes <= _CONFLICTS) or (
                not codes and error.code == "TransactionConflictException"
            )
            delay = state.next_delay() if conflict else None
            if delay is None:
                raise
            await asyncio.sleep(delay)


async def get_transaction(
    session: Context, targets: Iterable[tuple[type[BaseModel], Mapping[str, Any]]]
) -> list[Any]:
    """Read up to 100 items, of any models and tables, as one consistent snapshot.

    Args:
        session: the open session.
        targets: `(Model, key fields)` pairs.

    Returns:
        One entry per target, in order: the item, or None where there is none.

    Raises:
        InvalidKey: a key field is missing or cannot be encoded.
        InvalidValue: more than 100 distinct items.
    """
    gets: list[tuple[CompiledModel[Any], str, Item]] = []
    for model, key in targets:
        compiled = _compiled(model)
        gets.append((compiled, session.table_name(model), compiled.key_from(key)))
    if not gets:
        return []
    items = await transact_get_raw(session, [(table, key) for _, table, key in gets])
    return [
        None if item is None else compiled.from_item(item)
        for (compiled, _, _), item in zip(gets, items, strict=True)
    ]
