"""dynamap in a Starlette app: a session for the app's life, and errors as HTTP.

```python
from starlette.applications import Starlette
from dynamap.web.starlette import error_handlers, lifespan

app = Starlette(routes=[...], lifespan=lifespan(), exception_handlers=error_handlers())
```

`lifespan()` opens a `Session` when the server starts, binds it for the whole process
(so `await Page.get(...)` works in every request task, which under uvicorn or
hypercorn do not inherit the lifespan's context), keeps it as `app.state.dynamap`,
and closes it at shutdown. A handler that wants the session itself calls
`session_of(request)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dynamap._session import Session, current_session
from dynamap.web import HTTP_STATUS, http_answer

__all__ = ["error_handlers", "handle_error", "lifespan", "session_of"]

App = TypeVar("App")
#: What Starlette and FastAPI take as `lifespan=`.
Lifespan = Callable[[App], AbstractAsyncContextManager[Any]]
Handler = Callable[[Request, Exception], Any]


def lifespan(
    factory: Callable[[], Session] = Session, *, then: Lifespan[App] | None = None
) -> Lifespan[App]:
    """A lifespan that opens a session at startup and closes it at shutdown.

    While the app runs, the session is bound for the process (`Session.bind()`) and
    kept as `app.state.dynamap`.

    Args:
        factory: makes the session, e.g. `lambda: Session(table_prefix="dev-")`.
        then: the application's own lifespan, run inside (the session is open in it);
            what it yields is the app's lifespan state.
    """

    @contextlib.asynccontextmanager
    async def run(app: App) -> AsyncIterator[Any]:
        async with factory() as db:
            db.bind()
            _state(app).dynamap = db
            if then is None:
                yield None
            else:
                async with then(app) as state:
                    yield state

    return run


def _state(app: Any) -> Any:
    return app.state


def session_of(request: Request) -> Session:
    """The session serving this request: the lifespan's, else the bound one.

    Raises:
        SessionError: no session was opened by the lifespan, and none is bound.
    """
    db = getattr(request.app.state, "dynamap", None)
    if isinstance(db, Session) and db.state == "open":
        return db
    return current_session()


async def handle_error(request: Request, error: Exception) -> Response:
    """The exception handler: the HTTP answer `dynamap.web.http_answer` gives.

    Raises:
        Exception: `error` itself, when it is not one a client is told about.
    """
    answer = http_answer(error)
    if answer is None:
        raise error
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def error_handlers() -> Mapping[Any, Handler]:
    """`exception_handlers=` for Starlette: `handle_error` for each error of
    `dynamap.web.HTTP_STATUS`."""
    return dict.fromkeys(HTTP_STATUS, handle_error)
