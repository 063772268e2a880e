"""DynamoDB Streams: every change to a table, decoded into models.

A stream record says what happened to one item: `INSERT`, `MODIFY` or `REMOVE`, its
key, and (as the stream's view type allows) the item before and after. `decode_event`
turns a Lambda event, and `decode_records` the records of GetRecords, into `Change`
objects whose `old` and `new` are models: of the model asked for, or of each item's
own model when reading a whole single-table collection (`Table`). Marker items of
unique fields (see `dynamap._unique`) are recognised by their key and skipped.

```python
from dynamap._context import Context
from dynamap.streams import Change, handle_batch

async def on_change(change: Change[Page | Node]) -> None:
    if change.event == "INSERT" and isinstance(change.new, Page):
        ...

def handler(event, context):                         # a Lambda's entry point
    return runner.run(handle_batch(event, page_manager, on_change))
```

`handle_batch` reports a failing record the way Lambda asks for
(`{"batchItemFailures": [{"itemIdentifier": <sequence number>}]}`, with
`ReportBatchItemFailures` on the event source mapping), so Lambda retries from that
record and not the whole batch. Outside Lambda, `read_stream` reads a table's stream
itself (DescribeStream, GetShardIterator, GetRecords) as an async iterator, for local
workers and tests; `enable_stream` turns a table's stream on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypedDict, TypeVar, cast

from pydantic import BaseModel, ValidationError

from dynamap._compiler import CompiledModel
from dynamap._context import Context
from dynamap._declarations import Table
from dynamap._transport import Transport
from dynamap._unique import MARKER_ENTITY
from dynamap.errors import InvalidRequest, InvalidValue
from dynamap.readtarget import ReadTarget, plain_item, resolve_target

__all__ = [
    "BatchItemFailures",
    "Change",
    "EventName",
    "StreamView",
    "decode_event",
    "decode_record",
    "decode_records",
    "enable_stream",
    "handle_batch",
    "read_stream",
]

M = TypeVar("M", bound=BaseModel)
EventName = Literal["INSERT", "MODIFY", "REMOVE"]
StreamView = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
Target = type[M] | Table[M]

logger = logging.getLogger("dynamap.streams")

_STREAMS_TARGET = "DynamoDBStreams_20120810."
_EVENTS = ("INSERT", "MODIFY", "REMOVE")


@dataclass(frozen=True, slots=True)
class Change(Generic[M]):
    """One change to one item, from a stream record.

    Attributes:
        event: "INSERT", "MODIFY" or "REMOVE".
        keys: the item's primary key attributes, as plain values (`{"PK": "PAGE#1"}`).
        old: the item before the change, as its model; None for an INSERT, when the
            stream's view has no old image, or when the item's model is unknown.
        new: the item after the change, likewise (None for a REMOVE).
        model: the item's model class; None when the record does not tell (a
            KEYS_ONLY stream) or names an entity the target does not hold.
        entity: the item's entity attribute, when an image carries it.
        sequence_number: the record's position in its shard (what Lambda's
            `batchItemFailures` report).
        event_id: the record's unique id.
        created_at: when the change was made (to the second, as the stream tells).
        record: the stream record itself (DynamoDB JSON images included).
    """

    event: EventName
    keys: dict[str, Any]
    old: M | None
    new: M | None
    model: type[M] | None
    entity: str | None
    sequence_number: str
    event_id: str
    created_at: datetime | None
    record: Mapping[str, Any]

    @property
    def item(self) -> M | None:
        """The item as it is now (`new`), or as it was before its removal (`old`)."""
        return self.new if self.new is not None else self.old


# -- decoding -----------------------------------------------------------------------------


def decode_record(record: Mapping[str, Any], target: Target[M]) -> Change[M] | None:
    """Decode one stream record (a Lambda event's, or GetRecords') into a `Change`.

    Args:
        record: the record: `eventName`, `eventID` and the `dynamodb` part.
        target: a model (changes of its items; other entities of a shared table
            give None) or a `Table` (each item as its own model).

    Returns:
        The change; None for a unique field's marker item, or another model's item.

    Raises:
        InvalidValue: the record is not a DynamoDB stream record, or an image does
            not validate as its model.
    """
    return _decode(record, resolve_target(target, None))


def decode_records(records: Iterable[Mapping[str, Any]], target: Target[M]) -> list[Change[M]]:
    """Decode stream records in order, leaving out marker items and other models' items.

    Raises:
        InvalidValue: a record is malformed, or an image does not validate.
    """
    resolved = resolve_target(target, None)
    changes = (_decode(record, resolved) for record in records)
    return [change for change in changes if change is not None]


def decode_event(event: Mapping[str, Any], target: Target[M]) -> list[Change[M]]:
    """Decode a Lambda DynamoDB Streams event (`{"Records": [...]}`) into changes.

    Raises:
        InvalidValue: the event has no `Records` list, a record is malformed, or an
            image does not validate.
    """
    return decode_records(_records_of(event), target)


def _records_of(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise InvalidValue("not a DynamoDB Streams event: it has no 'Records' list")
    return records


def _decode(record: Mapping[str, Any], target: ReadTarget) -> Change[Any] | None:
    event, body = _parts(record)
    keys = body.get("Keys") or {}
    if _is_marker(keys, target):
        return None
    old_image, new_image = body.get("OldImage"), body.get("NewImage")
    entity = _entity(target, new_image or old_image)
    if entity == MARKER_ENTITY:
        return None
    compiled = _model_of(target, entity, old_image or new_image)
    if compiled is _OTHER:
        return None
    return Change(
        event=event,
        keys=plain_item(keys),
        old=_image(compiled, old_image, record),
        new=_image(compiled, new_image, record),
        model=None if compiled is None else compiled.model,
        entity=entity,
        sequence_number=str(body.get("SequenceNumber", "")),
        event_id=str(record.get("eventID", "")),
        created_at=_created_at(body.get("ApproximateCreationDateTime")),
        record=record,
    )


def _parts(record: Mapping[str, Any]) -> tuple[EventName, Mapping[str, Any]]:
    event = record.get("eventName") if isinstance(record, Mapping) else None
    body = record.get("dynamodb") if isinstance(record, Mapping) else None
    if event not in _EVENTS or not isinstance(body, Mapping):
        raise InvalidValue(f"not a DynamoDB stream record (eventName {event!r})")
    return cast("EventName", event), body


def _is_marker(keys: Mapping[str, Any], target: ReadTarget) -> bool:
    value = keys.get(target.anchor.pk.attribute, {})
    text = value.get("S") if isinstance(value, Mapping) else None
    return isinstance(text, str) and text.startswith(MARKER_ENTITY + "#")


def _entity(target: ReadTarget, image: Mapping[str, Any] | None) -> str | None:
    if not image:
        return None
    value = image.get(target.table.entity_attribute, {})
    entity = value.get("S") if isinstance(value, Mapping) else None
    return entity if isinstance(entity, str) else None


#: `_model_of`'s answer for an item of another model than the one asked for.
_OTHER: Any = object()


def _model_of(
    target: ReadTarget, entity: str | None, image: Mapping[str, Any] | None
) -> CompiledModel[Any] | None:
    if target.compiled is None:
        return target.by_entity.get(entity) if entity is not None else None
    if entity is None:  # a KEYS_ONLY record: the keys alone do not say whose item it is
        return target.compiled if image else None
    return target.compiled if entity == target.compiled.entity else _OTHER


def _image(
    compiled: CompiledModel[Any] | None,
    image: Mapping[str, Any] | None,
    record: Mapping[str, Any],
) -> Any:
    if compiled is None or not image:
        return None
    try:
        return compiled.from_item(dict(image))
    except (ValidationError, ValueError) as error:
        where = record.get("dynamodb", {}).get("SequenceNumber")
        raise InvalidValue(
            f"stream record {where}: the image is no valid {compiled.model.__name__}: {error}"
        ) from error


def _created_at(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        return value
    return None


# -- Lambda: partial batch failures ------------------------------------------------------


class _ItemFailure(TypedDict):
    itemIdentifier: str


class BatchItemFailures(TypedDict):
    """What a Lambda stream handler returns with `ReportBatchItemFailures` on."""

    batchItemFailures: list[_ItemFailure]


async def handle_batch(
    event: Mapping[str, Any],
    target: Target[M],
    handler: Callable[[Change[M]], Awaitable[object]],
) -> BatchItemFailures:
    """Run `handler` on each change of a Lambda stream event, in order, and report the
    first record that fails so that Lambda retries from it.

    Records of a shard must be handled in order, so the first failure (the handler
    raised, or the record does not decode) stops the batch: that record is reported,
    and Lambda delivers it and every record after it again. Marker items of unique
    fields and other models' items count as handled.

    Args:
        event: the Lambda event.
        target: a model or a `Table`, as for `decode_record`.
        handler: an async function called with each `Change`.

    Returns:
        `{"batchItemFailures": []}`, or the one failed record's sequence number.

    Raises:
        InvalidValue: the event is not a DynamoDB Streams event.
    """
    resolved = resolve_target(target, None)
    for record in _records_of(event):
        try:
            change = _decode(record, resolved)
            if change is not None:
                await handler(change)
        except Exception:
            identifier = str(record.get("dynamodb", {}).get("SequenceNumber", ""))
            logger.exception("stream record %s failed; reporting it for a retry", identifier)
            return {"batchItemFailures": [{"itemIdentifier": identifier}]}
    return {"batchItemFailures": []}


# -- reading a stream ourselves ------------------------------------------------------------


class _StreamsTransport(Transport):
    target_prefix = _STREAMS_TARGET


def _streams_endpoint(db: Context) -> str:
    configured = db.transport.config.resolved_endpoint()
    if configured:  # DynamoDB Local and moto serve the Streams API on the same port
        return configured
    return f"https://streams.dynamodb.{db.transport.region}.amazonaws.com"


async def _open_streams(db: Context) -> Transport:
    config = replace(
        db.transport.config, endpoint_url=_streams_endpoint(db), region=db.transport.region
    )
    streams = _StreamsTransport(
        config, db.retry, max_connections=4, timeout=db.transport.timeout, http=db.transport.http
    )
    await streams.open()
    return streams


def _table_of(target: Target[Any]) -> Table[Any]:
    return target if isinstance(target, Table) else resolve_target(target, None).table


async def enable_stream(
    db: Context,
    target: Target[Any],
    *,
    view: StreamView = "NEW_AND_OLD_IMAGES",
    poll_interval: float = 0.5,
) -> str:
    """Turn on the stream of a model's table (or a `Table`), and wait until it is ACTIVE.

    A stream that is on already is left as it is. Infrastructure code (CloudFormation,
    CDK, Terraform) is the usual place for this; this is for local servers and tests.

    Args:
        db: an open session.
        target: the model or table.
        view: what each record carries: "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE" or
            "NEW_AND_OLD_IMAGES" (the default; old and new models both need it).
        poll_interval: seconds between two DescribeTable calls while waiting.

    Returns:
        The stream's ARN.
    """
    name = db.table_name(_table_of(target))
    described = (await db.send("DescribeTable", {"TableName": name}, table=name))["Table"]
    if not described.get("StreamSpecification", {}).get("StreamEnabled"):
        spec = {"StreamEnabled": True, "StreamViewType": view}
        await db.send("UpdateTable", {"TableName": name, "StreamSpecification": spec}, table=name)
    while True:
        described = (await db.send("DescribeTable", {"TableName": name}, table=name))["Table"]
        if described.get("TableStatus") == "ACTIVE" and described.get("LatestStreamArn"):
            return str(described["LatestStreamArn"])
        await asyncio.sleep(poll_interval)


async def read_stream(
    db: Context,
    target: Target[M],
    *,
    start: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON",
    follow: bool = False,
    poll_interval: float = 1.0,
) -> AsyncIterator[Change[M]]:
    """The changes in a table's stream, decoded, shard by shard (parents first).

    ```python
    async for change in read_stream(db, page_manager):
        print(change.event, change.keys, change.item)
    ```

    For local workers and tests: shards are read one after the other, so on AWS,
    where a busy table has many open shards, use Lambda (`handle_batch`) instead.

    Args:
        db: an open session.
        target: a model or a `Table`, as for `decode_record`.
        start: "TRIM_HORIZON" (every record still kept, the default) or "LATEST"
            (only changes made from now on).
        follow: keep waiting for new changes (a worker); False stops once every shard
            has answered with no more records (what a test wants).
        poll_interval: seconds to wait after an empty answer while following.

    Raises:
        InvalidRequest: the table has no stream (see `enable_stream`).
        InvalidValue: a record's image does not validate as its model.
    """
    resolved = resolve_target(target, None)
    name = db.table_name(resolved.table)
    described = (await db.send("DescribeTable", {"TableName": name}, table=name))["Table"]
    arn = described.get("LatestStreamArn")
    if not arn or not described.get("StreamSpecification", {}).get("StreamEnabled"):
        raise InvalidRequest(
            f"table {name!r} has no stream; turn it on with enable_stream()",
            operation="DescribeTable",
            table=name,
            code="StreamNotEnabled",
        )
    streams = await _open_streams(db)
    try:
        reader = _ShardReader(streams, str(arn), start, follow, poll_interval)
        async for record in reader.records():
            change = _decode(record, resolved)
            if change is not None:
                yield change
    finally:
        await streams.close()


@dataclass
class _ShardReader:
    streams: Transport
    arn: str
    start: Literal["TRIM_HORIZON", "LATEST"]
    follow: bool
    poll_interval: float

    async def records(self) -> AsyncIterator[Mapping[str, Any]]:
        done: set[str] = set()
        first = True
        while True:
            shards = _parents_first(await self._shards())
            if first and self.start == "LATEST":  # closed shards hold only the past
                done |= {s["ShardId"] for s in shards if _closed(s)}
            todo = [shard for shard in shards if shard["ShardId"] not in done]
            for shard in todo:
                kind = self.start if first else "TRIM_HORIZON"
                async for record in self._shard_records(shard["ShardId"], kind):
                    yield record
                if _closed(shard) or not self.follow:
                    done.add(shard["ShardId"])
            first = False
            if not self.follow:
                return
            if not todo:
                await asyncio.sleep(self.poll_interval)

    async def _shards(self) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"StreamArn": self.arn}
        shards: list[dict[str, Any]] = []
        while True:
            answer = await self.streams.send("DescribeStream", request)
            description = answer["StreamDescription"]
            shards += description.get("Shards", [])
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            request["ExclusiveStartShardId"] = last

    async def _shard_records(self, shard_id: str, kind: str) -> AsyncIterator[Mapping[str, Any]]:
        answer = await self.streams.send(
            "GetShardIterator",
            {"StreamArn": self.arn, "ShardId": shard_id, "ShardIteratorType": kind},
        )
        iterator = answer.get("ShardIterator")
        while iterator:
            answer = await self.streams.send("GetRecords", {"ShardIterator": iterator})
            records = answer.get("Records", [])
            for record in records:
                yield record
            iterator = answer.get("NextShardIterator")
            if not records and iterator:
                if not self.follow:
                    return
                await asyncio.sleep(self.poll_interval)


def _closed(shard: Mapping[str, Any]) -> bool:
    return "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})


def _parents_first(shards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {shard["ShardId"]: shard for shard in shards}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(shard: dict[str, Any]) -> None:
        if shard["ShardId"] in placed:
            return
        placed.add(shard["ShardId"])
        parent = by_id.get(shard.get("ParentShardId", ""))
        if parent is not None:
            place(parent)
        ordered.append(shard)

    for shard in shards:
        place(shard)
    return ordered
