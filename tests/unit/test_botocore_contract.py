"""What dynamap's transport relies on in aioboto3/aiobotocore, checked against the
installed versions, so that an upgrade that breaks it fails here first.

The transport takes only three things from them (everything else is its own; the
signature itself is checked against botocore's signer in test_sigv4.py):

- `aioboto3.Session(...)` with explicit keys, profile and region, and its `region_name`;
- `await session.get_credentials()`, whose `await get_frozen_credentials()` has
  `access_key`, `secret_key` and `token`, refreshed when they are about to expire;
- `session.client("dynamodb", region_name=...).meta.endpoint_url` for AWS endpoints.

No test here touches the network: credentials come from explicit keys, the
environment, or a `credential_process` that runs this Python.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dynamap._retry import RetryPolicy
from dynamap._sigv4 import Credentials, Signer
from dynamap._transport import ConnectionConfig, Transport

#: Prints credentials that expire within botocore's mandatory refresh window, so each
#: use refreshes them; the key counts the runs.
CREDENTIAL_PROCESS = """\
import json, pathlib, sys
from datetime import UTC, datetime, timedelta
counter = pathlib.Path(sys.argv[1])
runs = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(runs))
expires = datetime.now(UTC) + timedelta(minutes=1)
print(json.dumps({"Version": 1, "AccessKeyId": f"AKID{runs}", "SecretAccessKey": "secret",
                  "SessionToken": "token", "Expiration": expires.isoformat()}))
"""


@pytest.fixture(autouse=True)
def isolated_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, region, profile or endpoint from the machine; no IMDS lookups."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
                 "DYNAMODB_ENDPOINT", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


async def opened(config: ConnectionConfig) -> AsyncIterator[Transport]:
    transport = Transport(config, RetryPolicy())
    await transport.open()
    try:
        yield transport
    finally:
        await transport.close()


async def test_explicit_keys_sign_and_the_endpoint_comes_from_botocore() -> None:
    config = ConnectionConfig(region="eu-west-1", aws_access_key_id="AKIDEXPLICIT",
                              aws_secret_access_key="secret", aws_session_token="tok")
    async for transport in opened(config):
        assert transport.region == "eu-west-1"
        assert transport.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
        assert await transport.credentials() == Credentials("AKIDEXPLICIT", "secret", "tok")


async def test_region_and_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    async for transport in opened(ConnectionConfig()):
        assert transport.region == "ap-southeast-2"
        assert transport.endpoint_url == "https://dynamodb.ap-southeast-2.amazonaws.com"
        assert await transport.credentials() == Credentials("AKIDFROMENV", "env-secret", None)


async def test_credentials_from_the_chain_are_refreshed_before_they_expire(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script, counter = tmp_path / "credentials.py", tmp_path / "runs"
    script.write_text(CREDENTIAL_PROCESS)
    config_file = tmp_path / "config"
    config_file.write_text(
        f"[profile contract]\ncredential_process = {sys.executable} {script} {counter}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    async for transport in opened(ConnectionConfig(profile="contract", region="us-east-1")):
        first = await transport.credentials()
        second = await transport.credentials()
    assert first.secret_key == second.secret_key == "secret"
    assert first.token == second.token == "token"
    assert first.access_key.startswith("AKID")
    assert second.access_key != first.access_key  # refreshed through the chain


async def test_a_local_endpoint_needs_no_credentials() -> None:
    config = ConnectionConfig(endpoint_url="http://127.0.0.1:9", region="us-east-1")
    async for transport in opened(config):
        assert transport.endpoint_url == "http://127.0.0.1:9"
        assert await transport.credentials() == Credentials("local", "local", None)


@pytest.mark.parametrize("token", ["tok", None])
async def test_keys_region_and_endpoint_given_skip_botocore_and_match_what_it_returns(
    token: str | None,
) -> None:
    """The transport does not ask botocore when keys, region and endpoint are all given;
    what it signs with must be what botocore's chain would have handed back."""
    import aioboto3

    config = ConnectionConfig(endpoint_url="http://127.0.0.1:9", region="eu-west-1",
                              aws_access_key_id="AKIDEXPLICIT", aws_secret_access_key="secret",
                              aws_session_token=token)
    session = aioboto3.Session(region_name="eu-west-1", aws_access_key_id="AKIDEXPLICIT",
                               aws_secret_access_key="secret", aws_session_token=token)
    frozen = await (await session.get_credentials()).get_frozen_credentials()
    async for transport in opened(config):
        assert transport._credentials is None  # the chain was not consulted
        assert transport.region == session.region_name == "eu-west-1"
        assert transport.endpoint_url == "http://127.0.0.1:9"
        assert await transport.credentials() == Credentials(
            frozen.access_key, frozen.secret_key, frozen.token)


def test_the_signers_own_clock_signs_as_an_explicit_time_does() -> None:
    """test_sigv4.py checks explicit times against botocore; the signer's own cached
    clock must give the same headers as that time given explicitly, and be now."""
    signer = Signer("us-east-1", "127.0.0.1:8000")
    credentials = Credentials("AKIDEXAMPLE", "secret", "token")
    body = b'{"TableName":"T","Key":{"PK":{"S":"a"}}}'
    before = datetime.now(UTC).replace(microsecond=0)
    ours = signer.headers(credentials, "DynamoDB_20120810.GetItem", body)
    at = datetime.strptime(ours["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= at <= datetime.now(UTC)
    fresh = Signer("us-east-1", "127.0.0.1:8000")
    assert fresh.headers(credentials, "DynamoDB_20120810.GetItem", body, now=at) == ours
