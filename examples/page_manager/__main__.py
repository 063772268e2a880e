"""Run the page manager end to end: `python -m examples.page_manager`.

Creates the `PageManager` table, migrates a sample localStorage export into it (with
two malformed records, which end in the rejects report), shows the three access
patterns, then drives the web API in-process. With no DynamoDB endpoint configured it
starts a local DynamoDB for the run; with `AWS_ENDPOINT_URL_DYNAMODB` (or the seed's
`DYNAMODB_ENDPOINT`) set, or AWS credentials, it uses that instead. The web API part
needs the `examples` extra (`pip install "dynamap[examples]"`: Starlette and httpx).
"""

from __future__ import annotations

import json
import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx

from dynamap import Session
from dynamap.migrate import MigrationReport
from examples._runner import run_on_dynamodb
from examples.page_manager.api import create_app
from examples.page_manager.migration import migrate_local_storage
from examples.page_manager.models import page_manager
from examples.page_manager.service import get_page_with_nodes, page_nodes, published_pages


def sample_export(pages: int = 12, nodes_per_page: int = 4, seed: int = 0) -> list[Any]:
    """A localStorage `pages` export as the application wrote it, plus two bad records."""
    rng = random.Random(seed)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    export: list[Any] = []
    for number in range(pages):
        page_id = new_id()
        nodes = [{
            "id": new_id(), "pageId": page_id, "title": f"Section {n + 1}",
            "description": f"Section {n + 1} of page {number + 1}",
            "prompt": f"an illustration of section {n + 1}",
            "generatedImages": [f"https://images.example/{page_id}/{n}.png"],
            "predictionId": f"pred-{number}-{n}", "predictionStatus": "succeeded",
        } for n in range(nodes_per_page)]
        export.append({"id": page_id, "title": f"Page {number + 1}",
                       "isPublished": number % 3 != 2, "nodes": nodes})
    export.append({"id": new_id(), "title": "Broken", "isPublished": "yes", "nodes": []})
    export[0]["nodes"].append({"id": new_id(), "pageId": "elsewhere", "title": "Stray",
                               "description": ""})
    return export


async def run(db: Session, workdir: Path) -> MigrationReport:
    """Create the table, migrate the sample export, and show what the app reads."""
    print("tables:", await db.create_tables(page_manager) or "already there")
    source = workdir / "pages.json"
    source.write_text(json.dumps(sample_export()), encoding="utf-8")
    report = await migrate_local_storage(db, source, rejects_path=workdir / "rejects.jsonl")
    print("migration:", "verified" if report.ok else "FAILED")
    print(report.summary())
    for entity in report.entities:
        for problem in (*entity.rejected, *entity.duplicates):
            print(f"  rejected {problem.where}: {problem.reason}")

    newest = await published_pages(db).limit(3).all()
    print("newest published pages:", [page.title for page in newest])
    found = await get_page_with_nodes(db, newest[0].id)
    assert found is not None
    print(f"{found.page.title!r} and its nodes, one query:", [n.title for n in found.nodes])
    by_time = await page_nodes(db, found.page.id).all()
    print("its nodes by creation time (PageNodesIndex):", [n.title for n in by_time])
    await tour_api(db)
    print("requests sent:", dict(sorted(db.stats.requests.items())))
    return report


async def tour_api(db: Session) -> None:
    """Call the web API in-process: list page by page, create, publish, read back."""
    transport = httpx.ASGITransport(app=create_app(db))
    async with httpx.AsyncClient(transport=transport, base_url="http://pages.local") as http:
        cursor, sizes = None, []
        while True:
            params = {"limit": "4", **({"cursor": cursor} if cursor else {})}
            answer = (await http.get("/pages", params=params)).raise_for_status().json()
            sizes.append(len(answer["items"]))
            cursor = answer["cursor"]
            if cursor is None:
                break
        print("GET /pages, 4 at a time:", sizes)
        page = (await http.post("/pages", json={"title": "Made over HTTP"})).json()
        await http.post(f"/pages/{page['id']}/nodes", json={"title": "First node"})
        await http.patch(f"/pages/{page['id']}", json={"isPublished": True})
        whole = (await http.get(f"/pages/{page['id']}")).json()
        print(f"GET /pages/{{id}}: {whole['title']!r}, published={whole['isPublished']}, "
              f"{len(whole['nodes'])} node(s)")


async def _main() -> bool:
    async with Session() as db:
        with tempfile.TemporaryDirectory() as workdir:
            report = await run(db, Path(workdir))
    return report.ok


def main() -> None:
    """Run on the configured DynamoDB, or on a local one started for the run."""
    run_on_dynamodb(lambda _embedded: _main())


if __name__ == "__main__":
    main()
