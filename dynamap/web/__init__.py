"""dynamap in async web apps: one session for the whole process, and errors as HTTP.

- `dynamap.web.starlette` and `dynamap.web.fastapi`: a lifespan that opens a session
  at startup and binds it for every request task (`Session.bind()`), a way for a
  handler to get that session explicitly, and exception handlers that answer with
  the HTTP status each dynamap error means.
- `http_answer` (here): that mapping, for any framework.

| error | status |
| --- | --- |
| `ItemNotFound` | 404 |
| `ConditionCheckFailed`, `UniqueConstraintViolated`, `TransactionCanceled` | 409 |
| `InvalidCursor` | 400 |
| `ItemTooLarge` | 413 |
| `Throttled`, `ServiceUnavailable` | 503, with `Retry-After` |

Other errors are left alone (a 500: they are the application's bugs or its
configuration's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dynamap.errors import (
    ConditionCheckFailed,
    DynamapError,
    InvalidCursor,
    ItemNotFound,
    ItemTooLarge,
    OperationError,
    ServiceUnavailable,
    Throttled,
    TransactionCanceled,
    UniqueConstraintViolated,
)

__all__ = ["HTTP_STATUS", "HTTPAnswer", "http_answer"]

#: Each dynamap error an HTTP client can be told about, and the status it answers with.
HTTP_STATUS: Mapping[type[DynamapError], int] = {
    ItemNotFound: 404,
    ConditionCheckFailed: 409,
    UniqueConstraintViolated: 409,
    TransactionCanceled: 409,
    InvalidCursor: 400,
    ItemTooLarge: 413,
    Throttled: 503,
    ServiceUnavailable: 503,
}


@dataclass(frozen=True, slots=True)
class HTTPAnswer:
    """What to answer for a dynamap error.

    Attributes:
        status: the HTTP status code.
        body: the JSON body: `{"detail": message, "error": error class name}`.
        headers: extra headers (`Retry-After` for a 503).
    """

    status: int
    body: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


def http_answer(error: BaseException, *, retry_after: int = 1) -> HTTPAnswer | None:
    """The HTTP answer for a dynamap error, or None for an error that is a 500.

    Args:
        error: the exception a handler raised.
        retry_after: the seconds a 503 asks the client to wait (`Retry-After`).
    """
    status = next((code for cls, code in HTTP_STATUS.items() if isinstance(error, cls)), None)
    if status is None:
        return None
    headers = {"Retry-After": str(retry_after)} if status == 503 else {}
    body = {"detail": _detail(error), "error": type(error).__name__}
    return HTTPAnswer(status, body, headers)


def _detail(error: BaseException) -> str:
    # Operation errors name the physical table; the client is told only what happened.
    if isinstance(error, Throttled | ServiceUnavailable):
        return "the database is busy; retry later"
    if isinstance(error, ConditionCheckFailed | TransactionCanceled):
        return "the item was changed or is not in the state asked for"
    if isinstance(error, OperationError):
        return error.message
    return str(error)
