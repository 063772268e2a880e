"""One adapter per client library: the same workloads, each written the way that
library's users would write them (its fastest documented path where there is a choice).

Each adapter module imports its library lazily (`load`), so that a peer that fails to
install or import is reported and left out instead of stopping the run.
"""

from __future__ import annotations

import importlib

from benchmarks.clients.base import Bench, UnsupportedError

__all__ = ["CLIENTS", "Bench", "UnsupportedError", "load"]

#: Client name -> adapter module, in the order the table shows them. The dynamap
#: variants (`dynamap-raw`: plain dicts; `dynamap-coalesced`: concurrent gets sent as
#: BatchGetItem, the session's default) run only where a workload asks for them.
CLIENTS = {
    "dynamap": "benchmarks.clients.dynamap_client",
    "dynamap-raw": "benchmarks.clients.dynamap_client",
    "dynamap-coalesced": "benchmarks.clients.dynamap_client",
    "dynamap-frozen": "benchmarks.clients.dynamap_client",
    "aioboto3": "benchmarks.clients.aioboto3_client",
    "boto3": "benchmarks.clients.boto3_client",
    "aiodynamo": "benchmarks.clients.aiodynamo_client",
    "pydynox": "benchmarks.clients.pydynox_client",
    "pynamodb": "benchmarks.clients.pynamodb_client",
    "floor": "benchmarks.clients.floor_client",
}


def load(name: str) -> Bench:
    """A fresh adapter for client `name` (raises ImportError if its library is missing)."""
    module = importlib.import_module(CLIENTS[name])
    bench: Bench = module.create(name)
    return bench
