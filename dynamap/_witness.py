"""Proof that a conditional write landed although its answer was lost.

A put or update whose answer is lost (a dropped connection, a 5xx) is retried. If the
first try had in fact been applied, the retry's condition (its version check, or a
condition of the caller's) fails. When the stored item still shows what that try
wrote, that is proof enough (`dynamap._outcome`). But under contention another writer
may already have replaced it, and the proof is gone.

Any writer that replaced a versioned item had to read it first (the version check
sees to that). Within one session such a read passes through the transport, so while
a versioned write is in flight, the session's `Witness` looks at every answer for
the item as that write left it; seeing it stored proves the write landed. The item is
unique to its write because it carries the model's `updated` timestamp, which is why
only models with an `updated` field are watched. Writers in other processes remain
unseen: for them, the retry's `ConditionCheckFailed` says `ambiguous=True`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from dynamap._identity import Item, item_identity
from dynamap._transport import RequestEvent
from dynamap.errors import ConditionCheckFailed, TransactionCanceled

__all__ = ["Watch", "Witness"]


@dataclass(slots=True)
class Watch:
    """One write in flight: the test of its item, and the item once an answer showed it
    stored."""

    same: Callable[[Item], bool]
    item: Item | None = None

    @property
    def seen(self) -> bool:
        """Whether an answer has shown the write's item stored."""
        return self.item is not None


class Witness:
    """Watches a session's answers for the items of its versioned writes in flight."""

    #: Operations whose request dict `observe` never reads (a BatchWriteItem request
    #: has no TableName and no TransactItems, and its answer shows no item), so the
    #: transport may send them from bytes (`Transport.observed`).
    ignores_requests: ClassVar[frozenset[str]] = frozenset({"BatchWriteItem"})

    def __init__(self) -> None:
        self._watches: dict[bytes, list[Watch]] = {}
        self._key_names: dict[str, tuple[str, ...]] = {}

    @contextmanager
    def watch(self, table: str, key: Item, same: Callable[[Item], bool]) -> Iterator[Watch]:
        """Watch for the item with `key` in `table` for which `same` is true."""
        self._key_names[table] = tuple(key)
        identity = item_identity(table, key)
        watch = Watch(same)
        self._watches.setdefault(identity, []).append(watch)
        try:
            yield watch
        finally:
            watches = self._watches[identity]
            watches.remove(watch)
            if not watches:
                del self._watches[identity]

    def observe(self, event: RequestEvent) -> None:
        """A transport `on_response` hook: look at the items an answer shows stored."""
        if not self._watches:
            return
        for table, item in _stored_items(event):
            names = self._key_names.get(table)
            if names is None or not all(name in item for name in names):
                continue
            for watch in self._watches.get(item_identity(table, {n: item[n] for n in names}), ()):
                if not watch.seen and watch.same(item):
                    watch.item = item


def _stored_items(event: RequestEvent) -> Iterator[tuple[str, Item]]:
    """The (table, item) pairs an answer shows as stored (now, or just before a write)."""
    request, response = event.request, event.response or {}
    table = request.get("TableName")
    if isinstance(table, str):
        for item in response.get("Items", ()):
            yield table, item
        if "Item" in response:
            yield table, response["Item"]
        if request.get("ReturnValues") in ("ALL_OLD", "ALL_NEW") and "Attributes" in response:
            yield table, response["Attributes"]
        if isinstance(event.error, ConditionCheckFailed) and isinstance(event.error.item, dict):
            yield table, event.error.item
    responses = response.get("Responses")
    if isinstance(responses, dict):  # BatchGetItem
        for name, items in responses.items():
            for item in items:
                yield name, item
    yield from _transaction_items(event)


def _transaction_items(event: RequestEvent) -> Iterator[tuple[str, Item]]:
    actions = event.request.get("TransactItems")
    if not actions:
        return
    tables = [next(iter(action.values())).get("TableName") for action in actions]
    if event.response is not None and isinstance(event.response.get("Responses"), list):
        for table, answer in zip(tables, event.response["Responses"], strict=False):
            if isinstance(table, str) and "Item" in answer:
                yield table, answer["Item"]
    if isinstance(event.error, TransactionCanceled):
        for table, reason in zip(tables, event.error.cancellation_reasons, strict=False):
            if isinstance(table, str) and isinstance(reason.get("Item"), dict):
                yield table, reason["Item"]
