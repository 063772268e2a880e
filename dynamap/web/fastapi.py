"""dynamap in a FastAPI app: a session for the app's life, a dependency, errors as HTTP.

```python
from fastapi import FastAPI
from dynamap.web.fastapi import DB, add_error_handlers, lifespan

app = FastAPI(lifespan=lifespan())
add_error_handlers(app)

@app.get("/pages/{page_id}")
async def read_page(page_id: str) -> Page:
    return await Page.get_or_raise(id=page_id)      # a 404 when there is none

@app.get("/stats")
async def stats(db: DB) -> dict[str, int]:           # the session itself, when wanted
    return dict(db.stats.requests)
```

`lifespan()` opens a `Session` when the server starts and binds it for the whole
process (`Session.bind()`), so model methods work in every request task: uvicorn and
hypercorn run requests in tasks that do not inherit the lifespan's context.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from dynamap._session import Session
from dynamap.web import HTTP_STATUS
from dynamap.web.starlette import handle_error, lifespan, session_of

__all__ = ["DB", "add_error_handlers", "get_session", "lifespan"]


def get_session(request: Request) -> Session:
    """The dependency giving a handler the session serving the request.

    Raises:
        SessionError: no session was opened by the lifespan, and none is bound.
    """
    return session_of(request)


#: A handler parameter annotated `DB` receives the session: `async def f(db: DB)`.
DB = Annotated[Session, Depends(get_session)]


def add_error_handlers(app: FastAPI) -> None:
    """Answer dynamap errors with their HTTP status (see `dynamap.web`): not found 404,
    condition failed 409, invalid cursor 400, item too large 413, throttled 503."""
    for error in HTTP_STATUS:
        app.add_exception_handler(error, handle_error)
