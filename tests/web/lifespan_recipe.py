"""The recipe of FastAPI's and Starlette's docs for a shared resource, with dynamap:
a session opened in the lifespan and bound there; handlers await model methods only.

Served by a real uvicorn or hypercorn process in `test_hosts.py`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dynamap import Key, Model, Session, Table

notes = Table("WebNotes")


class Note(Model, table=notes, entity="note"):
    """A note, read and written only through model methods."""

    pk = Key("NOTE#{id}")
    id: str
    text: str


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    async with Session() as db:
        db.bind()
        print("lifespan: session open", flush=True, file=sys.stderr)
        yield
    print(f"lifespan: session {db.state}", flush=True, file=sys.stderr)


async def put_note(request: Request) -> Response:
    body = await request.json()
    note = await Note(id=request.path_params["id"], text=body["text"]).save()
    return JSONResponse(note.model_dump(), status_code=201)


async def get_note(request: Request) -> Response:
    note = await Note.get(id=request.path_params["id"])
    if note is None:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(note.model_dump())


def create_app() -> Starlette:
    routes = [Route("/notes/{id}", put_note, methods=["PUT"]),
              Route("/notes/{id}", get_note, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)
