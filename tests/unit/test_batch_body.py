"""A BatchWriteItem body joined from the writes' encoded entries is byte for byte what
serialising the request dict gives; and it is sent that way only when nothing (no hook,
no debug log, no consumed-capacity option) would look at the request dict."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
import pytest
from fake_transport import QUICK

from dynamap import Key, Model, RequestEvent, Table
from dynamap._transport import ConnectionConfig, Transport
from dynamap._witness import Witness
from dynamap.batch import batch_write_body, batch_write_request, delete_write, put_write


class Post(Model, table=Table("Posts"), entity="post"):
    pk = Key("POST#{id}")
    id: str
    title: str
    tags: list[str]
    at: datetime
    extra: dict[str, int]


class Label(Model, table=Table('Odd "quoted" \u00e9 table'), entity="label"):
    pk = Key("name")
    name: str


def writes() -> list[object]:
    posts = [Post(id=f"p{n}", title=f"t\u00e9\U0001f600 \"{n}\"", tags=["a", "b"],
                  at=datetime(2024, 1, n + 1, tzinfo=UTC), extra={"n": n})
             for n in range(3)]
    found: list[object] = [put_write(Post.__dynamap__, p, "Posts") for p in posts]
    found.append(put_write(Label.__dynamap__, Label(name="x"), 'Odd "quoted" \u00e9 table'))
    found.append(delete_write(Post.__dynamap__, "target", {"id": "p9"}, "Posts"))
    return found


def test_the_joined_body_is_the_serialised_request() -> None:
    found = writes()
    body = batch_write_body(found)  # type: ignore[arg-type]
    assert body == orjson.dumps(batch_write_request(found))  # type: ignore[arg-type]
    decoded = orjson.loads(body)["RequestItems"]
    assert list(decoded) == ["Posts", 'Odd "quoted" \u00e9 table']
    assert len(decoded["Posts"]) == 4


def test_each_write_keeps_its_entry_as_bytes_and_its_size_is_theirs() -> None:
    for write in writes():
        assert write.size == len(write.encoded) == len(orjson.dumps(write.entry))  # type: ignore[attr-defined]


def transport(**options: bool) -> Transport:
    return Transport(ConnectionConfig(), QUICK, **options)


def test_nothing_observes_a_bare_transport_or_one_with_only_the_witness() -> None:
    bare = transport()
    assert not bare.observed("BatchWriteItem")
    bare.on_response.append(Witness().observe)
    assert not bare.observed("BatchWriteItem")
    assert bare.observed("Query")  # the witness reads the TableName of other requests


def test_a_hook_the_debug_log_or_consumed_capacity_observe_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def hook(event: RequestEvent) -> None:
        return None

    hooked = transport()
    hooked.on_request.append(hook)
    assert hooked.observed("BatchWriteItem")
    assert transport(consumed_capacity=True).observed("BatchWriteItem")
    caplog.set_level(logging.DEBUG, logger="dynamap")
    assert transport().observed("BatchWriteItem")
