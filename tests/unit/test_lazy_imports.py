"""`import dynamap` loads no botocore, aioboto3 or aiohttp: they are imported when a
session opens (and botocore not at all when the session is given keys, a region and
an endpoint). Each check runs in a fresh interpreter, since this one has them loaded."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("botocore", "aiobotocore", "aioboto3", "boto3", "aiohttp")

LOADED = """
import json, sys
{setup}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))))
"""

OPEN_WITH_EVERYTHING_GIVEN = """
import asyncio
from dynamap import Session

async def main():
    db = Session(endpoint_url="http://127.0.0.1:9", region="eu-west-1",
                 aws_access_key_id="AKIDLOCAL", aws_secret_access_key="secret")
    await db.open()
    await db.close()

asyncio.run(main())
"""


def loaded_after(setup: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", LOADED.format(setup=setup, heavy=HEAVY)],
                          capture_output=True, text=True, check=True, timeout=120)
    found: list[str] = json.loads(done.stdout)
    return found


def test_import_dynamap_loads_no_botocore_aioboto3_or_aiohttp() -> None:
    assert loaded_after("import dynamap") == []


def test_importing_the_public_names_loads_none_either() -> None:
    setup = "from dynamap import F, GSI, Key, Model, Page, Query, Session, Table"
    assert loaded_after(setup) == []


def test_a_session_with_keys_region_and_endpoint_opens_without_botocore() -> None:
    assert loaded_after(OPEN_WITH_EVERYTHING_GIVEN) == ["aiohttp"]


def test_a_session_that_needs_the_credential_chain_loads_aioboto3() -> None:
    setup = OPEN_WITH_EVERYTHING_GIVEN.replace(
        'aws_access_key_id="AKIDLOCAL", aws_secret_access_key="secret"', "")
    setup = "import os; os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'\n" + setup
    assert {"aioboto3", "botocore", "aiohttp"} <= set(loaded_after(setup))
