"""dynamap._sigv4 must sign exactly as botocore's SigV4Auth does: same request, same
time, same credentials, same region, same host."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from dynamap._sigv4 import Credentials, Signer, host_header

TARGET = "DynamoDB_20120810.GetItem"
BODY = b'{"TableName":"dev-PageManager","Key":{"PK":{"S":"PAGE#\xc3\xa9"},"SK":{"S":"META#"}}}'


def botocore_sign(
    url: str, region: str, credentials: Credentials, body: bytes = BODY
) -> tuple[dict[str, str], datetime]:
    """Sign with botocore now; return its headers and the time it signed at."""
    request = AWSRequest(
        method="POST", url=url, data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET},
    )
    boto = BotoCredentials(credentials.access_key, credentials.secret_key, credentials.token)
    SigV4Auth(boto, "dynamodb", region).add_auth(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    signed_at = datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return headers, signed_at


def dynamap_sign(
    url: str, region: str, credentials: Credentials, now: datetime, body: bytes = BODY,
    signer: Signer | None = None,
) -> dict[str, str]:
    signer = signer or Signer(region, host_header(url))
    headers = signer.headers(credentials, TARGET, body, now=now)
    return {name.lower(): value for name, value in headers.items()}


CASES = [
    ("http://127.0.0.1:8000", "us-east-1", None),
    ("http://localhost:8000", "eu-west-1", "FwoGZXIvYXdzEBYaDH+session/token=="),
    ("https://dynamodb.us-east-1.amazonaws.com", "us-east-1", None),
    ("https://dynamodb.ap-southeast-2.amazonaws.com", "ap-southeast-2", "token-value"),
    ("https://dynamodb.eu-central-1.amazonaws.com:443", "eu-central-1", None),
    ("http://[::1]:8001", "us-west-2", "t"),
]


@pytest.mark.parametrize(("url", "region", "token"), CASES)
def test_signature_equals_botocore(url: str, region: str, token: str | None) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    expected, signed_at = botocore_sign(url, region, credentials)
    ours = dynamap_sign(url, region, credentials, signed_at)
    assert ours["authorization"] == expected["authorization"]
    assert ours["x-amz-date"] == expected["x-amz-date"]
    assert ours.get("x-amz-security-token") == expected.get("x-amz-security-token")
    assert ours["x-amz-target"] == TARGET
    assert ours["content-type"] == "application/x-amz-json-1.0"
    assert ("x-amz-security-token" in ours) == (token is not None)
    signed_headers = expected["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert "host" in signed_headers.split(";")


def test_the_cached_signing_key_follows_the_secret() -> None:
    url, region = "http://127.0.0.1:8000", "us-east-1"
    signer = Signer(region, host_header(url))
    first = Credentials("AKID1", "secret-one", None)
    second = Credentials("AKID2", "secret-two", "tok")
    for credentials in (first, second, first):
        expected, signed_at = botocore_sign(url, region, credentials)
        ours = dynamap_sign(url, region, credentials, signed_at, signer=signer)
        assert ours["authorization"] == expected["authorization"]


def test_the_cached_signing_key_follows_the_day() -> None:
    signer = Signer("us-east-1", "127.0.0.1:8000")
    credentials = Credentials("AKID", "secret", None)
    day_one = datetime(2024, 3, 15, 23, 59, 59, tzinfo=UTC)
    day_two = datetime(2024, 3, 16, 0, 0, 1, tzinfo=UTC)
    first = signer.headers(credentials, TARGET, BODY, now=day_one)["Authorization"]
    second = signer.headers(credentials, TARGET, BODY, now=day_two)["Authorization"]
    fresh = Signer("us-east-1", "127.0.0.1:8000").headers(credentials, TARGET, BODY,
                                                          now=day_two)["Authorization"]
    assert "20240315/us-east-1/dynamodb/aws4_request" in first
    assert "20240316/us-east-1/dynamodb/aws4_request" in second
    assert second == fresh


def test_the_body_is_signed() -> None:
    url, region = "http://127.0.0.1:8000", "us-east-1"
    credentials = Credentials("AKID", "secret", None)
    at = datetime(2024, 3, 15, 12, tzinfo=UTC)
    one = dynamap_sign(url, region, credentials, at, body=b"{}")
    other = dynamap_sign(url, region, credentials, at, body=b"{ }")
    assert one["authorization"] != other["authorization"]
    expected, signed_at = botocore_sign(url, region, credentials, body=b"{}")
    assert dynamap_sign(url, region, credentials, signed_at, body=b"{}")["authorization"] == (
        expected["authorization"])


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://localhost", "localhost"),
        ("http://localhost:80", "localhost"),
        ("https://dynamodb.us-east-1.amazonaws.com:443", "dynamodb.us-east-1.amazonaws.com"),
        ("https://DynamoDB.US-East-1.amazonaws.com/", "dynamodb.us-east-1.amazonaws.com"),
        ("https://user:pass@example.com:8443/", "example.com:8443"),
        ("http://[::1]:8000", "[::1]:8000"),
    ],
)
def test_host_header(url: str, host: str) -> None:
    assert host_header(url) == host
