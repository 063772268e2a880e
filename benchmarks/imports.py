"""Import cost: CPU milliseconds to import each client's library in a fresh
interpreter (`process_time` around the import statement), and whether botocore is
loaded by it. `python -m benchmarks.imports [N]` prints a table (median of N, 5)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

__all__ = ["IMPORTS", "measure_imports"]

#: What an application of each client imports.
IMPORTS = {
    "dynamap": "import dynamap",
    "aiodynamo": "import aiodynamo.client, aiodynamo.http.aiohttp",
    "pydynox": "import pydynox",
    "aioboto3": "import aioboto3",
    # what any async application on pydantic models loads before dynamap's own modules
    "reference": "import asyncio, pydantic; from pydantic import BaseModel\n"
                 "class Probe(BaseModel):\n    x: int",
}

_PROBE = """
import gc, json, sys, time
started = time.process_time()
{statement}
cpu = time.process_time() - started
botocore = sorted(m for m in sys.modules if m.split(".")[0] in ("botocore", "aiobotocore"))
print(json.dumps({{"cpu_ms": cpu * 1000, "objects": len(gc.get_objects()),
                  "botocore_modules": len(botocore)}}))
"""


def _once(statement: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _PROBE.format(statement=statement)],
                          capture_output=True, text=True, check=True, timeout=120)
    found: dict[str, float] = json.loads(done.stdout)
    return found


def measure_imports(repetitions: int = 5) -> dict[str, dict[str, float]]:
    """Per client: median import CPU ms, tracked objects after, botocore modules loaded;
    the clients are interleaved."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in IMPORTS}
    for _ in range(repetitions):
        for name, statement in IMPORTS.items():
            runs[name].append(_once(statement))
    return {name: {key: statistics.median(r[key] for r in found) for key in found[0]}
            for name, found in runs.items()}


def markdown(figures: dict[str, dict[str, float]]) -> str:
    """The figures as a markdown table."""
    lines = ["| import | CPU ms | tracked objects after | botocore modules loaded |",
             "|---|---|---|---|"]
    for name, found in figures.items():
        statement = IMPORTS[name].replace("\n", "; ").replace("    ", "")
        lines.append(f"| `{statement}` | {found['cpu_ms']:.0f} | {found['objects']:,.0f} | "
                     f"{found['botocore_modules']:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(measure_imports(int(sys.argv[1]) if len(sys.argv) > 1 else 5)))
