"""Queries and scans: builders that read lazily, page by page.

```python
q = db.query(Node, page_id=pid).sk_gte(created_at=since).limit(20)
async for node in q: ...                 # pages fetched lazily, the next one prefetched
nodes = await q.all()                    # or .first(), .count()
page = await q.page(cursor=token)        # Page(items, cursor) for web APIs
```

`limit(n)` caps the items returned in all; `page_size(n)` is DynamoDB's per-request
`Limit`. Cursors are signed and bound to their query (see `dynamap._cursor`) and are
rebuilt from the last item actually returned, so a page that stops mid-way through a
DynamoDB page resumes exactly after it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar

from pydantic import ValidationError

from dynamap import _display as display
from dynamap._context import Context
from dynamap._cursor import decode_cursor, encode_cursor, fingerprint
from dynamap._partial import Partial
from dynamap._sortkey import sort_condition
from dynamap.errors import InvalidKey, InvalidStoredItem
from dynamap.expressions import (
    Condition,
    Parameters,
    Path,
    SortCondition,
    key_condition,
    projection,
)
from dynamap.readtarget import SKIP, ReadTarget, plain_item, resolve_target

if TYPE_CHECKING:
    from pandas import DataFrame
    from rich.table import Table as RichTable

    from dynamap._compiler import CompiledIndex
    from dynamap._declarations import Index, Table

__all__ = ["Page", "Query", "Scan"]

M = TypeVar("M")
Unknown = Literal["skip", "raw", "error"]
OnInvalid = Literal["raise", "skip"]
#: Items decoded between two turns given to the event loop (see `_Read._iterate`).
_YIELD_EVERY = 256


@dataclass(slots=True)
class Page(Generic[M]):
    """One page of results and the cursor to the next (None on the last page).

    In Jupyter a page shows as an HTML table with one row per item, in rich as a
    table; `to_pandas()` gives a DataFrame.
    """

    items: list[M]
    cursor: str | None

    def _caption(self) -> str:
        count = len(self.items)
        more = "more after the cursor" if self.cursor else "last page"
        return f"Page: {count} item{'' if count == 1 else 's'}, {more}"

    def _repr_html_(self) -> str:
        return display.items_html(self.items, self._caption())

    def __rich__(self) -> RichTable:
        return display.items_rich(self.items, self._caption())

    def to_pandas(self) -> DataFrame:
        """The items as a pandas DataFrame, one row per item, one column per field.

        Raises:
            ImportError: pandas is not installed (`pip install "dynamap[pandas]"`).
        """
        return display.to_dataframe(self.items)


@dataclass(slots=True)
class _Progress:
    """Where an iteration stopped: the last raw item returned, and whether more remain."""

    last: Mapping[str, Any] | None = None
    more: bool = False


@dataclass(slots=True)
class _Options:
    limit: int | None = None
    page_size: int | None = None
    fields: tuple[str, ...] | None = None
    partial: bool = False
    on_invalid: OnInvalid = "raise"
    filter: Condition | None = None
    consistent: bool = False
    unknown: Unknown = "skip"
    raw: bool = False
    start: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Read(Generic[M]):
    """What queries and scans share: options, request building, paging, decoding."""

    operation = "Scan"

    def __init__(self, session: Context, target: ReadTarget) -> None:
        self._session = session
        self._target = target
        self._options = _Options()
        #: The stored items skipped by `on_invalid("skip")`, one error each, in the order
        #: they were met; `len(read.invalid)` is their count.
        self.invalid: list[InvalidStoredItem] = []

    # -- options (each returns self, so calls chain) ------------------------------

    def limit(self, count: int) -> Self:
        """Return at most `count` items in all (and `count` per `page()`)."""
        if count < 1:
            raise ValueError("limit must be at least 1")
        self._options.limit = count
        return self

    def page_size(self, count: int) -> Self:
        """Ask DynamoDB for at most `count` items per request (its `Limit`)."""
        if count < 1:
            raise ValueError("page_size must be at least 1")
        self._options.page_size = count
        return self

    def filter(self, condition: Condition) -> Self:
        """Keep only items that meet `condition` (applied by DynamoDB after reading)."""
        current = self._options.filter
        self._options.filter = condition if current is None else current & condition
        return self

    def _read_fields(self, names: tuple[str, ...]) -> Any:
        if not names:
            raise ValueError("fields() needs at least one field name")
        self._options.fields = names
        self._options.partial = True
        return self

    def _read_partial(self) -> Any:
        self._options.partial = True
        return self

    def on_invalid(self, policy: OnInvalid) -> Self:
        """What to do with a stored item that does not fit its model: raise
        `InvalidStoredItem` ("raise", default), or leave it out ("skip") and record its
        error in `self.invalid`, so one bad item does not stop a whole read."""
        if policy not in ("raise", "skip"):
            raise ValueError(f"on_invalid takes 'raise' or 'skip', got {policy!r}")
        self._options.on_invalid = policy
        return self

    def consistent(self, enabled: bool = True) -> Self:
        """Use strongly consistent reads (not on GSIs)."""
        self._options.consistent = enabled
        return self

    def unknown(self, policy: Unknown) -> Self:
        """What a collection read does with items of no known entity: skip (default),
        return them raw (a dict), or raise."""
        self._options.unknown = policy
        return self

    def _read_raw(self) -> Any:
        self._options.raw = True
        return self

    # -- requests -------------------------------------------------------------------

    def to_request(self) -> dict[str, Any]:
        """The request for the first page, exactly as it would be sent."""
        request: dict[str, Any] = {"TableName": self._session.table_name(self._target.table)}
        params = self._target.parameters()
        self._add_specific(request, params)
        self._add_common(request, params)
        params.apply(request)
        if self._options.start:
            request["ExclusiveStartKey"] = self._options.start
        return request

    def _add_specific(self, request: dict[str, Any], params: Parameters) -> None:
        """Hook for Query's key condition."""

    def _add_common(self, request: dict[str, Any], params: Parameters) -> None:
        target, options = self._target, self._options
        if target.index is not None:
            request["IndexName"] = target.index.name
        condition = target.entity_filter()
        if options.filter is not None:
            condition = options.filter if condition is None else condition & options.filter
        if condition is not None:
            request["FilterExpression"] = condition.encode(params)
        if options.fields is not None:
            wanted: list[str | Path] = [*options.fields, *target.required_attributes()]
            request["ProjectionExpression"] = projection(params, wanted)
        limit = options.page_size or options.limit
        if limit:
            request["Limit"] = limit
        if options.consistent:
            request["ConsistentRead"] = True
        request.update(options.extra)

    # -- reading ----------------------------------------------------------------------

    async def _send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return await self._session.send(self.operation, request, table=request["TableName"])

    def _decoder(self) -> Callable[[Mapping[str, Any]], Any]:
        """How each item of this read is decoded, resolved once per read; a read that
        would return partial items without `.partial()` is refused here."""
        options = self._options
        if options.raw:
            return plain_item
        projection = None
        if options.partial:
            projection = self._target.projection_of(options.fields)
        else:
            self._target.check_whole()
        return self._target.decoder(projection, options.unknown)

    def _invalid(self, raw: Mapping[str, Any], error: Exception) -> Any:
        """An item that failed to decode: SKIP (recorded) or raise, by `on_invalid`."""
        invalid = (
            self._target.invalid_item(raw, error) if isinstance(error, ValidationError) else error
        )
        assert isinstance(invalid, InvalidStoredItem)
        if self._options.on_invalid == "skip":
            self.invalid.append(invalid)
            return SKIP
        raise invalid from None

    def _decode_all(self, decode: Callable[[Mapping[str, Any]], Any], raws: list[Any]) -> list[Any]:
        """Decode a page's items, leaving out SKIPs (for parallel scans)."""
        items = []
        for raw in raws:
            try:
                item = decode(raw)
            except (ValidationError, InvalidStoredItem) as error:
                item = self._invalid(raw, error)
            if item is not SKIP:
                items.append(item)
        return items

    async def _iterate(
        self, request: dict[str, Any], limit: int | None, progress: _Progress
    ) -> AsyncGenerator[Any, None]:
        """Items from `request` on, fetching each next page while the current one is used.

        Decoding a page is CPU work that never awaits, so every `_YIELD_EVERY` items the
        event loop gets a turn: the prefetch of the next page goes out while this one
        is decoded (and other tasks are not held up by a long page). Items are let go
        as they are read, so a page's memory is reused by the next one.
        """
        remaining = limit
        decode = self._decoder()
        pending: asyncio.Future[dict[str, Any]] | None = self._fetch(request, None)
        try:
            while pending is not None:
                answer = await pending
                pending = None
                next_key = answer.get("LastEvaluatedKey")
                left = answer.get("Items", [])[::-1]  # popped from the end as they are read
                del answer
                if next_key and (remaining is None or remaining > len(left)):
                    pending = self._fetch(request, next_key)
                read = 0
                while left:
                    raw = left.pop()
                    read += 1
                    if read % _YIELD_EVERY == 0:
                        await asyncio.sleep(0)
                    try:
                        item = decode(raw)
                    except (ValidationError, InvalidStoredItem) as error:
                        item = self._invalid(raw, error)
                    if item is SKIP:
                        continue
                    progress.last = raw
                    yield item
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            progress.more = bool(next_key) or bool(left)
                            return
                if next_key and pending is None:
                    pending = self._fetch(request, next_key)
        finally:
            await _cancel(pending)

    def _fetch(
        self, request: dict[str, Any], start: Mapping[str, Any] | None
    ) -> asyncio.Future[dict[str, Any]]:
        """Start sending the request for the page after `start` (the first when None)."""
        page = request if start is None else {**request, "ExclusiveStartKey": start}
        return asyncio.ensure_future(self._send(page))

    def __aiter__(self) -> AsyncIterator[M]:
        return self._iterate(self.to_request(), self._options.limit, _Progress())

    async def all(self) -> list[M]:
        """Every item (up to `limit`), as a list."""
        return [item async for item in self]

    async def to_pandas(self) -> DataFrame:
        """Every item (up to `limit`) as a pandas DataFrame: `await q.to_pandas()`.

        Raises:
            ImportError: pandas is not installed (`pip install "dynamap[pandas]"`);
                raised before any request is sent.
        """
        display.require_pandas()
        return display.to_dataframe(await self.all())

    async def first(self) -> M | None:
        """The first item, or None."""
        request = self.to_request()
        async with contextlib.aclosing(self._iterate(request, 1, _Progress())) as items:
            async for item in items:
                result: M = item
                return result
        return None

    async def count(self) -> int:
        """How many items match (filter included), counted by DynamoDB without reading
        them out (`Select=COUNT`)."""
        request = self.to_request()
        request.pop("ProjectionExpression", None)
        request.pop("Limit", None)
        request["Select"] = "COUNT"
        total = 0
        while True:
            answer = await self._send(request)
            total += int(answer.get("Count", 0))
            next_key = answer.get("LastEvaluatedKey")
            if not next_key:
                return total
            request["ExclusiveStartKey"] = next_key

    async def page(self, cursor: str | None = None) -> Page[M]:
        """One page of `limit` items, and a cursor for the next page.

        Raises:
            ValueError: no `limit` was set.
            InvalidCursor: the cursor was tampered with or is from another query.
        """
        size = self._options.limit
        if size is None:
            raise ValueError("page() needs a page length: call .limit(n) first")
        request = self.to_request()
        query_id = fingerprint(request)
        if cursor is not None:
            request["ExclusiveStartKey"] = decode_cursor(
                self._session.cursor_secret, query_id, cursor
            )
        if self._options.page_size is None:
            # One item more than the page shows tells whether another page exists, so the
            # last page gets no cursor (instead of a cursor to an empty page).
            request["Limit"] = size + 1
        progress = _Progress()
        async with contextlib.aclosing(self._iterate(request, size, progress)) as items:
            collected: list[M] = [item async for item in items]
        next_cursor = None
        if progress.more and progress.last is not None:
            last_key = self._target.cursor_key(progress.last)
            next_cursor = encode_cursor(self._session.cursor_secret, query_id, last_key)
        return Page(collected, next_cursor)


async def _cancel(pending: asyncio.Future[Any] | None) -> None:
    if pending is None or pending.done():
        if pending is not None and not pending.cancelled():
            pending.exception()  # retrieved, so an unused prefetch failure is not reported
        return
    pending.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await pending


class Query(_Read[M]):
    """A query over one partition of a table or index. Build it with `db.query(...)`.

    Sort-key conditions take the sort key template's fields (a leading subset of
    them for a prefix): `sk_eq`, `sk_lt`, `sk_lte`, `sk_gt`, `sk_gte`, `sk_between`,
    `sk_begins_with`. For a collection query on a Table, pass the raw key text instead.
    """

    operation = "Query"

    def __init__(
        self,
        session: Context,
        target: type[M] | Table[Any],
        *,
        index: str | Index | CompiledIndex | None,
        key: Mapping[str, Any],
        anchor: type[Any] | None = None,
    ) -> None:
        super().__init__(session, resolve_target(target, index, anchor))
        self._partition, rest = self._target.partition_value(key)
        self._sort: SortCondition | None = self._target.default_sort(rest)
        self._forward = True

    def fields(self, *names: str) -> Query[Partial[M]]:
        """Read only these fields (a projection): each item comes back as a `Partial`
        holding the fields read and the key fields, never filled from defaults."""
        query: Query[Partial[M]] = self._read_fields(names)
        return query

    def partial(self) -> Query[Partial[M]]:
        """Return each item as a `Partial` of what the table or index holds: required
        to query an index that projects KEYS_ONLY or INCLUDE."""
        query: Query[Partial[M]] = self._read_partial()
        return query

    def raw(self) -> Query[dict[str, Any]]:
        """Return plain dicts (attribute -> Python value) instead of models."""
        query: Query[dict[str, Any]] = self._read_raw()
        return query

    def reverse(self, enabled: bool = True) -> Self:
        """Return items in descending sort-key order."""
        self._forward = not enabled
        return self

    def _sk(
        self, op: str, raw: object, values: Mapping[str, Any], high: Mapping[str, Any] | None = None
    ) -> Self:
        attribute = self._target.sort_attribute()
        if attribute is None:
            raise InvalidKey("this table or index has no sort key")
        if raw is not None:
            self._sort = _raw_sort(op, attribute.attribute, raw, high)
        else:
            codec = self._target.codec()
            self._sort = sort_condition(attribute, codec, op, values, high)
        return self

    def sk_eq(self, raw: object = None, /, **fields: Any) -> Self:
        """Sort key equal to (all fields) or starting with (leading fields) the values."""
        return self._sk("eq", raw, fields)

    def sk_begins_with(self, raw: object = None, /, **fields: Any) -> Self:
        """Sort key starting with the template filled with these leading fields."""
        return self._sk("begins_with", raw, fields)

    def sk_lt(self, raw: object = None, /, **fields: Any) -> Self:
        """Sort key below the values."""
        return self._sk("lt", raw, fields)

    def sk_lte(self, raw: object = None, /, **fields: Any) -> Self:
        """Sort key at or below the values."""
        return self._sk("lte", raw, fields)

    def sk_gt(self, raw: object = None, /, **fields: Any) -> Self:
        """Sort key above the values."""
        return self._sk("gt", raw, fields)

    def sk_gte(self, raw: object = None, /, **fields: Any) -> Self:
        """Sort key at or above the values."""
        return self._sk("gte", raw, fields)

    def sk_between(self, low: Mapping[str, Any] | object, high: Mapping[str, Any] | object) -> Self:
        """Sort key between two sets of values (or two raw keys), both included."""
        if isinstance(low, Mapping) and isinstance(high, Mapping):
            return self._sk("between", None, low, high)
        return self._sk("between", low, {}, {"raw": high})

    def _add_specific(self, request: dict[str, Any], params: Parameters) -> None:
        pk = self._target.partition_attribute()
        request["KeyConditionExpression"] = key_condition(
            pk.attribute, self._partition, self._sort
        ).encode(params)
        if not self._forward:
            request["ScanIndexForward"] = False


def _raw_sort(
    op: str, attribute: str, raw: object, high: Mapping[str, Any] | None
) -> SortCondition:
    if op == "between":
        assert high is not None
        return SortCondition.between(attribute, raw, high["raw"])
    factory = getattr(SortCondition, op)
    condition: SortCondition = factory(attribute, raw)
    return condition


class Scan(_Read[M]):
    """A scan over a whole table or index. Build it with `db.scan(...)`.

    `segments(n)` reads with n parallel workers (DynamoDB's parallel scan); every item
    is returned exactly once, in no particular order.
    """

    operation = "Scan"

    def __init__(
        self,
        session: Context,
        target: type[M] | Table[Any],
        *,
        index: str | Index | CompiledIndex | None,
    ) -> None:
        super().__init__(session, resolve_target(target, index))
        self._segments = 1

    def fields(self, *names: str) -> Scan[Partial[M]]:
        """Read only these fields (a projection); see `Query.fields`."""
        scan: Scan[Partial[M]] = self._read_fields(names)
        return scan

    def partial(self) -> Scan[Partial[M]]:
        """Return each item as a `Partial`; see `Query.partial`."""
        scan: Scan[Partial[M]] = self._read_partial()
        return scan

    def raw(self) -> Scan[dict[str, Any]]:
        """Return plain dicts (attribute -> Python value) instead of models."""
        scan: Scan[dict[str, Any]] = self._read_raw()
        return scan

    def segments(self, count: int) -> Self:
        """Scan with `count` parallel segments."""
        if not 1 <= count <= 1_000_000:
            raise ValueError("segments must be between 1 and 1,000,000")
        self._segments = count
        return self

    def __aiter__(self) -> AsyncIterator[M]:
        if self._segments == 1:
            return super().__aiter__()
        return self._parallel()

    async def page(self, cursor: str | None = None) -> Page[M]:
        """One page of a (non-parallel) scan; see `Query.page`."""
        if self._segments != 1:
            raise ValueError("page() cannot resume a parallel scan: use segments(1)")
        return await super().page(cursor)

    async def _parallel(self) -> AsyncIterator[M]:
        queue: asyncio.Queue[list[Any] | BaseException | None] = asyncio.Queue(
            maxsize=2 * self._segments
        )
        base = self.to_request()
        workers = [
            asyncio.ensure_future(self._segment(base, number, queue))
            for number in range(self._segments)
        ]
        remaining = self._options.limit
        running = len(workers)
        try:
            while running:
                batch = await queue.get()
                if batch is None:
                    running -= 1
                    continue
                if isinstance(batch, BaseException):
                    raise batch
                for item in batch:
                    yield item
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            return
        finally:
            for worker in workers:
                await _cancel(worker)

    async def _segment(
        self,
        base: dict[str, Any],
        number: int,
        queue: asyncio.Queue[list[Any] | BaseException | None],
    ) -> None:
        request = {**base, "Segment": number, "TotalSegments": self._segments}
        try:
            decode = self._decoder()
            while True:
                answer = await self._send(request)
                await queue.put(self._decode_all(decode, answer.get("Items", [])))
                next_key = answer.get("LastEvaluatedKey")
                if not next_key:
                    break
                request = {**request, "ExclusiveStartKey": next_key}
        except Exception as error:
            await queue.put(error)
            return
        await queue.put(None)
