"""Fixtures for the web-host tests: a boto3 client on the test server (the independent
truth the tables are read back with)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from dynamap.local import LocalDynamoDB


@pytest.fixture
def boto(server: LocalDynamoDB) -> Any:
    """boto3's low-level DynamoDB client on the test server."""
    return boto3.client("dynamodb", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x")
