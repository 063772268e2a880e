"""AWS Signature Version 4 for DynamoDB's JSON-over-POST requests.

DynamoDB requests all share one shape (POST to the endpoint's path, a JSON body, no
query string), so signing them needs only a small part of SigV4. The signing key,
four chained HMACs, changes once a day per credential and region: it is cached, which
is most of what makes this cheaper than a general signer. A unit test checks every
signature against botocore's own signer.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["Credentials", "Signer", "host_header"]

_ALGORITHM = "AWS4-HMAC-SHA256"
_SERVICE = "dynamodb"


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
        moment = now or datetime.now(UTC)
        amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "host": self.host,
            "x-amz-date": amz_date,
            "x-amz-target": target,
        }
        if credentials.token:
            headers["x-amz-security-token"] = credentials.token
        headers["Authorization"] = self._authorization(credentials, headers, body, amz_date)
        return headers

    def _authorization(
        self, credentials: Credentials, headers: dict[str, str], body: bytes, amz_date: str
    ) -> str:
        names = sorted(headers)
        canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in names)
        signed = ";".join(names)
        canonical = "\n".join((
            "POST", self.path, "", canonical_headers, signed, hashlib.sha256(body).hexdigest()
        ))
        day = amz_date[:8]
        scope = f"{day}/{self.region}/{_SERVICE}/aws4_request"
        to_sign = "\n".join((
            _ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()
        ))
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
