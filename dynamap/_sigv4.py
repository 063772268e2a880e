"""AWS Signature Version 4 for DynamoDB's JSON-over-POST requests.

DynamoDB requests all share one shape (POST to the endpoint's path, a JSON body, no
query string), so signing them needs only a small part of SigV4. The signing key,
four chained HMACs, changes once a day per credential and region: it is cached, which
is most of what makes this cheaper than a general signer; the signed headers are
always the same five, so the canonical request is one format string, and the date is
formatted once per second. A unit test checks every signature against botocore's own
signer.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["Credentials", "Signer", "host_header"]

_ALGORITHM = "AWS4-HMAC-SHA256"
_SERVICE = "dynamodb"
_CONTENT_TYPE = "application/x-amz-json-1.0"
_SIGNED = "content-type;host;x-amz-date;x-amz-target"
_SIGNED_WITH_TOKEN = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"


class Credentials(NamedTuple):
    """Frozen AWS credentials, as botocore's `get_frozen_credentials()` returns them."""

    access_key: str
    secret_key: str
    token: str | None


@dataclass(slots=True)
class Signer:
    """Signs DynamoDB requests for one region and endpoint host."""

    region: str
    host: str
    path: str = "/"
    _key_cache: tuple[str, str, bytes] | None = None
    _date_cache: tuple[int, str] | None = None

    def headers(
        self, credentials: Credentials, target: str, body: bytes, now: datetime | None = None
    ) -> dict[str, str]:
        """Every header the request needs, Authorization included.

        Args:
            credentials: the credentials to sign with.
            target: the X-Amz-Target value, e.g. "DynamoDB_20120810.GetItem".
            body: the exact request body.
            now: the signing time (default: the current time).
        """
        amz_date = self._now() if now is None else now.strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "content-type": _CONTENT_TYPE,
            "host": self.host,
            "x-amz-date": amz_date,
            "x-amz-target": target,
        }
        if credentials.token:
            headers["x-amz-security-token"] = credentials.token
        headers["Authorization"] = self._authorization(credentials, target, body, amz_date)
        return headers

    def _now(self) -> str:
        """The current X-Amz-Date, formatted once per second."""
        second = int(time.time())
        cached = self._date_cache
        if cached is None or cached[0] != second:
            cached = (second, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second)))
            self._date_cache = cached
        return cached[1]

    def _authorization(
        self, credentials: Credentials, target: str, body: bytes, amz_date: str
    ) -> str:
        token = credentials.token
        # The signed headers are always these, in SigV4's (sorted) order.
        security = f"x-amz-security-token:{token.strip()}\n" if token else ""
        signed = _SIGNED_WITH_TOKEN if token else _SIGNED
        canonical = (
            f"POST\n{self.path}\n\ncontent-type:{_CONTENT_TYPE}\nhost:{self.host}\n"
            f"x-amz-date:{amz_date}\n{security}x-amz-target:{target.strip()}\n\n"
            f"{signed}\n{hashlib.sha256(body).hexdigest()}"
        )
        day = amz_date[:8]
        scope = f"{day}/{self.region}/{_SERVICE}/aws4_request"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        to_sign = f"{_ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
        key = self._signing_key(credentials.secret_key, day)
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return (
            f"{_ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached = self._key_cache
        if cached is not None and cached[0] == secret and cached[1] == day:
            return cached[2]
        key = _hmac(f"AWS4{secret}".encode(), day)
        for part in (self.region, _SERVICE, "aws4_request"):
            key = _hmac(key, part)
        self._key_cache = (secret, day, key)
        return key


def host_header(url: str) -> str:
    """The Host header (and signed host) for an endpoint URL, as AWS expects it:
    lowercase, without user info, with the port only when it is not the default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default:
        host = f"{host}:{parts.port}"
    return host


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()
