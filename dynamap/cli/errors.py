"""How the `dynamap` command reports a failure: one line naming the problem and the fix.

Commands raise `CommandError` for problems they find themselves (an unknown module, a
file that cannot be read); everything else dynamap or Python raises is turned into a
line by `one_line`, with a hint where the fix is known. Exit codes:

- 0: done, nothing left to do.
- 1: done, but the result needs attention (`plan` found changes, `import` rejected rows).
- 2: bad input or an error: nothing (more) was done.
- 130: interrupted with Ctrl-C.
"""

from __future__ import annotations

from pydantic import ValidationError

from dynamap.errors import (
    AccessDenied,
    ConnectionFailed,
    DefinitionError,
    OperationError,
    SessionError,
    TableNotFound,
)

__all__ = [
    "EXIT_ATTENTION",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "CommandError",
    "one_line",
    "summarize_validation",
]

EXIT_OK = 0
EXIT_ATTENTION = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class CommandError(Exception):
    """A problem a command found in its input or environment; the message says the fix.

    Attributes:
        exit_code: the process exit code (2 unless told).
    """

    def __init__(self, message: str, *, exit_code: int = EXIT_ERROR) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def one_line(error: BaseException) -> str:
    """The error as one line: what went wrong and, where known, how to fix it."""
    text = _flatten(_message(error))
    hint = _hint(error)
    return f"{text}; {hint}" if hint and hint not in text else text


def _message(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return f"{error.title}: {summarize_validation(error)}"
    if isinstance(error, DefinitionError):
        return str(error).split("\n  (docs:", 1)[0] + _docs(error)
    text = str(error)
    return text if text else type(error).__name__


def _docs(error: DefinitionError) -> str:
    text = str(error)
    marker = "(docs: "
    return f" (see {text.split(marker, 1)[1].rstrip(')')})" if marker in text else ""


def _flatten(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def _hint(error: BaseException) -> str:
    if isinstance(error, TableNotFound):
        return "create it with `dynamap create-tables TARGET` (with the same --prefix)"
    if isinstance(error, ConnectionFailed):
        return (
            "is the server running? Start one with `dynamap local`, or check "
            "--endpoint-url / AWS_ENDPOINT_URL_DYNAMODB"
        )
    if isinstance(error, AccessDenied) and error.code != "NoCredentials":
        return "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and their permissions"
    if isinstance(error, SessionError) and "region" in str(error):
        return "on the command line, pass --region"
    if isinstance(error, OperationError) and error.request_id:
        return f"AWS request id {error.request_id}"
    return ""


def summarize_validation(error: ValidationError, *, limit: int = 3) -> str:
    """A short account of a pydantic validation error: `field: message` for each problem."""
    problems = []
    for detail in error.errors(include_url=False)[:limit]:
        where = ".".join(str(part) for part in detail["loc"]) or "(row)"
        problems.append(f"{where}: {detail['msg']}")
    more = error.error_count() - limit
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems)
