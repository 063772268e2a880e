"""Batch writes and reads without a network: encoding, chunking, dedupe, retries of
unprocessed items, bounded concurrency, streaming and errors, through a fake transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import pytest
from fake_transport import QUICK, MemoryTable, fake_session
from pydantic import Field

from dynamap import (
    BatchIncomplete,
    InvalidKey,
    InvalidRequest,
    InvalidValue,
    Key,
    Model,
    SessionError,
    Table,
    Throttled,
    new_id,
)
from dynamap.batch import (
    MAX_BATCH_WRITE,
    BatchWriter,
    Chunker,
    batch_write_request,
    delete_write,
    put_write,
    unprocessed_writes,
)

app = Table("App")
other = Table("Other")


class Note(Model, table=app, entity="note", version="version", created="created_at",
           updated="updated_at"):
    pk = Key("NOTE#{id}")
    sk = Key("META#")
    id: str = Field(default_factory=new_id)
    text: str
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Tag(Model, table=other, entity="tag"):
    pk = Key("name")
    name: str


class Account(Model, table=Table("Accounts"), unique=("email",)):
    pk = Key("ACCOUNT#{id}")
    id: str = Field(default_factory=new_id)
    email: str


def note_write(text: str, id: str | None = None) -> Any:
    note = Note(text=text, id=id or new_id())
    return put_write(Note.__dynamap__, note, "App")


# -- encoding ----------------------------------------------------------------------------


def test_a_put_is_encoded_when_added_with_version_and_timestamps_staged() -> None:
    note = Note(id="n1", text="hello")
    write = put_write(Note.__dynamap__, note, "p-App")
    item = write.entry["PutRequest"]["Item"]
    assert write.table == "p-App"
    assert write.key == {"PK": {"S": "NOTE#n1"}, "SK": {"S": "META#"}}
    assert item["version"] == {"N": "1"} and "updated_at" in item and "created_at" in item
    assert note.version == 0 and note.updated_at is None  # applied only once written
    assert write.changes["version"] == 1 and write.source is note


def test_a_delete_is_encoded_from_key_fields_or_an_instance() -> None:
    by_key = delete_write(Tag.__dynamap__, ("k",), {"name": "x"}, "Other")
    assert by_key.entry == {"DeleteRequest": {"Key": {"name": {"S": "x"}}}}
    assert by_key.source == ("k",)
    with pytest.raises(InvalidKey):
        delete_write(Note.__dynamap__, "t", {}, "App")


def test_models_with_unique_fields_are_refused_in_batches() -> None:
    with pytest.raises(InvalidValue, match=r"unique fields .*transaction"):
        put_write(Account.__dynamap__, Account(email="a@b.c"), "Accounts")
    with pytest.raises(InvalidValue, match="unique"):
        delete_write(Account.__dynamap__, "t", {"id": "1"}, "Accounts")


# -- chunking ------------------------------------------------------------------------------


def chunks_of(writes: list[Any], chunker: Chunker) -> list[list[Any]]:
    chunks = [c for c in map(chunker.add, writes) if c]
    chunks.append(chunker.close())
    return [c for c in chunks if c]


def test_writes_are_grouped_25_to_a_request() -> None:
    writes = [note_write(f"t{i}") for i in range(60)]
    assert [len(c) for c in chunks_of(writes, Chunker())] == [25, 25, 10]


def test_a_request_is_closed_before_it_would_pass_the_byte_limit() -> None:
    writes = [note_write("x" * 1000) for _ in range(10)]
    limit = writes[0].size * 3 + 1
    assert [len(c) for c in chunks_of(writes, Chunker(max_bytes=limit))] == [3, 3, 3, 1]


def test_a_second_write_to_a_key_in_the_open_request_replaces_the_first() -> None:
    first, second = note_write("old", id="same"), note_write("new", id="same")
    chunk = chunks_of([first, note_write("other"), second], Chunker())
    assert len(chunk) == 1 and len(chunk[0]) == 2
    assert second in chunk[0] and first not in chunk[0]


def test_a_request_mixes_tables_and_maps_unprocessed_entries_back() -> None:
    note, tag = note_write("a"), delete_write(Tag.__dynamap__, "tag", {"name": "x"}, "Other")
    request = batch_write_request([note, tag])
    assert set(request["RequestItems"]) == {"App", "Other"}
    pending = {note.identity: note, tag.identity: tag}
    answer = {"UnprocessedItems": {"Other": [tag.entry]}}
    assert unprocessed_writes(pending, answer) == [tag]
    assert unprocessed_writes(pending, {"UnprocessedItems": {}}) == []


# -- the batch writer ----------------------------------------------------------------------


def store_handler(table: MemoryTable, *, hold_back: int = 0) -> Any:
    """Apply BatchWriteItem requests to `table`, holding back the first `hold_back`
    entries of each request longer than that as unprocessed."""

    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        assert operation == "BatchWriteItem"
        left: dict[str, list[Any]] = {}
        for name, entries in request["RequestItems"].items():
            for position, entry in enumerate(entries):
                if position < hold_back < len(entries):
                    left.setdefault(name, []).append(entry)
                else:
                    table.write(entry)
        return {"UnprocessedItems": left}

    return handle


async def test_nothing_is_sent_when_the_block_raises() -> None:
    session, transport = fake_session(store_handler(MemoryTable(("PK", "SK"))))
    async with session:
        with pytest.raises(RuntimeError, match="boom"):
            async with session.batch() as batch:
                batch.put(Note(text="a"))
                raise RuntimeError("boom")
        assert transport.sent == []
        with pytest.raises(SessionError):
            batch.put(Note(text="b"))


async def test_bad_input_raises_at_put_before_anything_is_sent() -> None:
    session, transport = fake_session(store_handler(MemoryTable(("PK", "SK"))))
    async with session:
        batch = session.batch()
        batch.put(Note(text="fine"))
        with pytest.raises(InvalidValue):
            batch.put(Note(text="\ud800"))  # a lone surrogate cannot be stored
        with pytest.raises(InvalidKey):
            batch.delete(Note)
        assert transport.sent == []


async def test_unprocessed_items_are_retried_until_written() -> None:
    stored = MemoryTable(("PK", "SK"))
    session, transport = fake_session(store_handler(stored, hold_back=3))
    notes = [Note(text=f"t{i}") for i in range(30)]
    async with session, session.batch() as batch:
        for note in notes:
            batch.put(note)
    assert batch.written == 30 and len(stored.items) == 30
    assert all(note.version == 1 and note.updated_at is not None for note in notes)
    sizes = sorted(sum(map(len, r["RequestItems"].values())) for _, r in transport.sent)
    assert sizes == [3, 3, 5, 25]  # 3 held back of 25 and of 5, sent again


async def test_duplicates_last_wins_or_error() -> None:
    stored = MemoryTable(("PK", "SK"))
    session, transport = fake_session(store_handler(stored))
    async with session:
        async with session.batch() as batch:
            batch.put(Note(id="n", text="first"))
            batch.put(Note(id="n", text="second"))
            batch.delete(Tag, name="gone")
        assert len(batch) == 0 and batch.written == 2
        request = transport.sent[0][1]
        assert [e["PutRequest"]["Item"]["text"] for e in request["RequestItems"]["App"]] == [
            {"S": "second"}]
        strict = session.batch(duplicates="error")
        strict.put(Note(id="n", text="first"))
        with pytest.raises(InvalidValue, match="already writes"):
            strict.put(Note(id="n", text="second"))


async def test_to_requests_shows_the_requests_without_sending() -> None:
    session, transport = fake_session(store_handler(MemoryTable(("PK", "SK"))))
    batch = BatchWriter(session)
    for i in range(30):
        batch.put(Note(text=f"t{i}"))
    batch.delete(Tag, name="x")
    requests = batch.to_requests()
    assert [sum(map(len, r["RequestItems"].values())) for r in requests] == [25, 6]
    assert transport.sent == []


async def test_what_stays_unprocessed_is_raised_exactly() -> None:
    stuck = {"NOTE#stuck-1", "NOTE#stuck-2"}

    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        entries = request["RequestItems"]["App"]
        left = [e for e in entries if e["PutRequest"]["Item"]["PK"]["S"] in stuck]
        return {"UnprocessedItems": {"App": left} if left else {}}

    session, _ = fake_session(handle)
    notes = [Note(id=f"n{i}", text="t") for i in range(40)]
    stuck_notes = [Note(id="stuck-1", text="t"), Note(id="stuck-2", text="t")]
    async with session:
        with pytest.raises(BatchIncomplete) as raised:
            async with session.batch() as batch:
                for note in [*notes[:20], *stuck_notes, *notes[20:]]:
                    batch.put(note)
    assert sorted(raised.value.unprocessed, key=id) == sorted(stuck_notes, key=id)
    assert all(note.version == 0 for note in stuck_notes)  # never written
    assert all(note.version == 1 for note in notes)


async def test_a_refused_request_stops_the_batch_and_reports_what_is_unwritten() -> None:
    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        raise InvalidRequest("no", operation=operation, code="ValidationException")

    session, _ = fake_session(handle)
    notes = [Note(text="t") for _ in range(30)]
    async with session:
        with pytest.raises(BatchIncomplete) as raised:
            await session.put_many(notes)
    assert isinstance(raised.value.__cause__, InvalidRequest)
    assert sorted(raised.value.unprocessed, key=id) == sorted(notes, key=id)


async def test_throttling_after_retries_leaves_the_chunk_unprocessed_but_the_rest_goes() -> None:
    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        texts = {e["PutRequest"]["Item"]["text"]["S"] for e in request["RequestItems"]["App"]}
        if "t0" in texts:  # the first chunk is throttled on every try
            raise Throttled("slow down", operation=operation, code="ThrottlingException")
        return {}

    session, transport = fake_session(handle)
    notes = [Note(text=f"t{i}") for i in range(50)]
    async with session:
        with pytest.raises(BatchIncomplete) as raised:
            await session.put_many(notes, concurrency=1)
    assert sorted(raised.value.unprocessed, key=id) == sorted(notes[:25], key=id)
    assert isinstance(raised.value.__cause__, Throttled)
    assert len(transport.sent) == QUICK.attempts + 1  # the first chunk's tries, the second
    assert session.stats.retries == {"BatchWriteItem": QUICK.attempts - 1}


async def test_concurrency_is_bounded() -> None:
    async def slow(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.001)
        return {}

    session, transport = fake_session(slow)
    async with session:
        written = await session.put_many((Note(text=str(i)) for i in range(500)), concurrency=3)
    assert written == 500 and len(transport.sent) == 20
    assert transport.most_in_flight == 3


async def test_a_key_is_never_in_two_requests_in_flight_and_the_last_write_wins() -> None:
    stored = MemoryTable(("PK", "SK"))
    in_flight: set[str] = set()

    async def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        keys = [e["PutRequest"]["Item"]["PK"]["S"] for e in request["RequestItems"]["App"]]
        assert not in_flight & set(keys)
        in_flight.update(keys)
        await asyncio.sleep(0.002)
        in_flight.difference_update(keys)
        for entry in request["RequestItems"]["App"]:
            stored.write(entry)
        return {}

    def notes() -> Iterator[Note]:
        for round_ in range(4):
            for i in range(30):
                yield Note(id=f"n{i}", text=f"round {round_}")

    session, _ = fake_session(handle)
    async with session:
        await session.put_many(notes(), concurrency=8)
    texts = {item["text"]["S"] for item in stored.items.values()}
    assert len(stored.items) == 30 and texts == {"round 3"}


async def test_put_many_streams_an_async_iterable_with_bounded_read_ahead() -> None:
    release = asyncio.Event()
    produced = 0

    async def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {}

    async def notes() -> AsyncIterator[Note]:
        nonlocal produced
        for i in range(3_000):
            produced += 1
            yield Note(text=str(i))

    session, _ = fake_session(handle)
    async with session:
        task = asyncio.create_task(session.put_many(notes(), concurrency=2))
        for _ in range(50):
            await asyncio.sleep(0)
        assert produced <= (2 + 1) * MAX_BATCH_WRITE + 1  # two in flight, one being filled
        release.set()
        assert await task == 3_000
    assert produced == 3_000


async def test_an_item_that_cannot_be_encoded_stops_the_stream_after_the_ones_before() -> None:
    stored = MemoryTable(("PK", "SK"))
    session, _ = fake_session(store_handler(stored))
    read = 0

    def notes() -> Iterator[Note]:
        nonlocal read
        for i in range(100):
            read += 1
            yield Note(text="\ud800" if i == 60 else str(i))

    async with session:
        with pytest.raises(InvalidValue):
            await session.put_many(notes())
    assert len(stored.items) == 60 and read == 61


async def test_delete_many_takes_instances_and_model_key_pairs() -> None:
    stored = MemoryTable(("PK", "SK"))
    session, transport = fake_session(store_handler(stored))
    async with session:
        deleted = await session.delete_many([Note(id="a", text=""), (Note, {"id": "b"})])
        with pytest.raises(TypeError):
            await session.delete_many(["not a target"])  # type: ignore[list-item]
    keys = [e["DeleteRequest"]["Key"]["PK"]["S"] for e in
            transport.sent[0][1]["RequestItems"]["App"]]
    assert deleted == 2 and keys == ["NOTE#a", "NOTE#b"]


# -- get_many ---------------------------------------------------------------------------------


def reads_handler(
    present: set[str], *, hold_back: int = 0, always: frozenset[str] = frozenset()
) -> Any:
    def handle(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        assert operation == "BatchGetItem"
        (table, entry), = request["RequestItems"].items()
        keys = entry["Keys"]
        assert len(keys) <= 100
        assert len({k["PK"]["S"] for k in keys}) == len(keys)  # no duplicates sent
        held = keys[:hold_back] if len(keys) > hold_back else []
        left = held + [k for k in keys[len(held):] if k["PK"]["S"] in always]
        found = [{**k, "id": {"S": k["PK"]["S"][5:]}, "text": {"S": "t"}, "version": {"N": "1"}}
                 for k in keys if k not in left and k["PK"]["S"][5:] in present]
        answer: dict[str, Any] = {"Responses": {table: found[::-1]}}
        if left:
            answer["UnprocessedKeys"] = {table: {**entry, "Keys": left}}
        return answer

    return handle


async def test_get_many_answers_in_the_order_asked_with_none_for_missing() -> None:
    present = {f"n{i}" for i in range(250)}
    session, transport = fake_session(reads_handler(present, hold_back=7))
    asked = [{"id": f"n{i}"} for i in range(250)] + [{"id": "missing"}, {"id": "n3"}]
    async with session:
        found = await session.get_many(Note, asked, consistent=True)
    assert [n.id if n else None for n in found] == [k["id"] if k["id"] != "missing" else None
                                                     for k in asked]
    first = [r for op, r in transport.sent][:3]
    assert [len(r["RequestItems"]["App"]["Keys"]) for r in first] == [100, 100, 51]
    assert all(r["RequestItems"]["App"]["ConsistentRead"] for r in first)
    assert len(transport.sent) > 3  # unprocessed keys asked again


async def test_get_many_raises_exactly_the_keys_left_unread() -> None:
    session, _ = fake_session(reads_handler({"a", "b", "c"}, always=frozenset({"NOTE#b"})))
    asked = [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "b"}]
    async with session:
        with pytest.raises(BatchIncomplete) as raised:
            await session.get_many(Note, asked)
    assert raised.value.unprocessed == [asked[1]]


async def test_get_many_checks_every_key_before_sending() -> None:
    session, transport = fake_session(reads_handler(set()))
    async with session:
        with pytest.raises(InvalidKey):
            await session.get_many(Note, [{"id": "a"}, {}])
        assert await session.get_many(Note, []) == []
    assert transport.sent == []
