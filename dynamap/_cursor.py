"""Opaque, signed pagination cursors.

A cursor is what a web API hands its clients to fetch the next page. It carries the
key to resume after, a version, and a fingerprint of the query it came from, all
signed with HMAC-SHA256 under the session's secret. So a client cannot forge a
cursor that reads another partition, tamper with one, or replay one on another
query or index: each raises `InvalidCursor`.

Format: ``<version>.<base64url payload>.<base64url signature>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from dynamap.errors import InvalidCursor

__all__ = ["CURSOR_VERSION", "EphemeralSecret", "decode_cursor", "encode_cursor", "fingerprint"]

CURSOR_VERSION = "1"
_SIGNATURE_BYTES = 16
_EPHEMERAL_HINT = (
    "; this session's cursor secret is random, so cursors of another process (another "
    "web worker, or before a restart) never match: set DYNAMAP_CURSOR_SECRET to one "
    "secret shared by every process"
)


class EphemeralSecret(bytes):
    """A cursor secret made up for one session (no `DYNAMAP_CURSOR_SECRET`), so that a
    signature mismatch can say why it may have happened."""


def fingerprint(request: Mapping[str, Any]) -> str:
    """A short digest of what makes a query that query (not its page position)."""
    shape = {
        name: request.get(name)
        for name in (
            "TableName",
            "IndexName",
            "KeyConditionExpression",
            "FilterExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ScanIndexForward",
            "Segment",
            "TotalSegments",
            "ProjectionExpression",
        )
    }
    digest = hashlib.sha256(orjson.dumps(shape, option=orjson.OPT_SORT_KEYS)).digest()
    return _b64(digest[:12])


def encode_cursor(secret: bytes, query: str, last_key: Mapping[str, Any]) -> str:
    """A cursor that resumes `query` after the item whose key is `last_key`."""
    payload = _b64(orjson.dumps({"q": query, "k": last_key}, option=orjson.OPT_SORT_KEYS))
    return f"{CURSOR_VERSION}.{payload}.{_sign(secret, payload)}"


def decode_cursor(secret: bytes, query: str, cursor: str) -> dict[str, Any]:
    """The ExclusiveStartKey a cursor carries, after checking it belongs to `query`.

    Raises:
        InvalidCursor: the cursor is malformed, tampered with, of another version, or
            from another query.
    """
    # a cursor is ASCII base64url text; anything else (a lone surrogate included) is not one
    parts = cursor.split(".") if isinstance(cursor, str) and cursor.isascii() else []
    if len(parts) != 3 or parts[0] != CURSOR_VERSION:
        raise InvalidCursor("malformed or unsupported pagination cursor")
    _, payload, signature = parts
    if not hmac.compare_digest(signature.encode(), _sign(secret, payload).encode()):
        hint = _EPHEMERAL_HINT if isinstance(secret, EphemeralSecret) else ""
        raise InvalidCursor(
            f"pagination cursor signature does not match (tampered or foreign){hint}"
        )
    body = orjson.loads(_unb64(payload))
    if body.get("q") != query:
        raise InvalidCursor("pagination cursor belongs to another query")
    key: dict[str, Any] = body["k"]
    return key


def _sign(secret: bytes, payload: str) -> str:
    mac = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return _b64(mac[:_SIGNATURE_BYTES])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as error:
        raise InvalidCursor("malformed pagination cursor") from error
