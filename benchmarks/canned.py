"""A tiny HTTP server that answers from fixed bytes, to isolate client cost.

It runs in its own process (`python -m benchmarks.canned PORT`), so its CPU time is
never counted as the client's. Headers are those DynamoDB sends, CRC32 included
(botocore checks it). It answers any request with one of two things:

- the canned page: a full Query page of 2,562 items with no `LastEvaluatedKey`, so
  that every client's ordinary "read the whole query" loop reads exactly one page;
- for a query on the partition `GROUP#stream-100k`: a stream of 100,000 items in 40
  pages (39 full ones, then 82 items), each page after the first found from the
  `ExclusiveStartKey` the client sends back, so clients page through it as through
  DynamoDB. Its pages repeat the canned page's items.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from aiohttp import web

from benchmarks.dataset import PAGE_ITEMS, canned_page, partition, wire_items

__all__ = ["STREAM_GROUP", "STREAM_ITEMS", "canned_server"]

STREAM_GROUP = "stream-100k"
STREAM_ITEMS = 100_000
_STREAM_KEY = partition(STREAM_GROUP)
_PAGES = -(-STREAM_ITEMS // PAGE_ITEMS)


def _answer(body: bytes) -> web.Response:
    return web.Response(body=body, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-RequestId": "CANNED0000000000000000000000000000000000000000000000",
        "x-amz-crc32": str(zlib.crc32(body)),
    })


def _stream_page(number: int) -> bytes:
    """Page `number` (from 0) of the stream."""
    count = min(PAGE_ITEMS, STREAM_ITEMS - number * PAGE_ITEMS)
    answer: dict[str, object] = {"Count": count, "Items": wire_items("canned", count),
                                 "ScannedCount": count}
    if number + 1 < _PAGES:
        answer["LastEvaluatedKey"] = {"PK": {"S": _STREAM_KEY},
                                      "SK": {"S": f"PAGE#{number + 1}"}}
    return orjson.dumps(answer)


def _app() -> web.Application:
    page = canned_page()
    stream: dict[int, bytes] = {}

    async def answer(request: web.Request) -> web.Response:
        body = await request.read()
        if _STREAM_KEY.encode() not in body:
            return _answer(page)
        start = orjson.loads(body).get("ExclusiveStartKey")
        number = int(start["SK"]["S"].removeprefix("PAGE#")) if start else 0
        if number not in stream:
            stream[number] = _stream_page(number)
        return _answer(stream[number])

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


@contextmanager
def canned_server(port: int) -> Iterator[str]:
    """Run the canned server in a child process; yields its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.canned", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the canned server exited")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, b"{}"), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the canned server did not start")


if __name__ == "__main__":
    web.run_app(_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
