"""Sending requests to DynamoDB: the only code that touches the network.

aioboto3 still does what it is good at: the standard credential chain (refreshed
when it expires), region and endpoint resolution. It, botocore and aiohttp are
imported when a session opens, not when dynamap is imported (they hold some 20,000
objects that every full garbage collection would walk, and take most of the import
time); a session given explicit keys, a region and an endpoint (DynamoDB Local, tests,
benchmarks) never loads botocore at all, since the chain would only hand those back.
The request path itself is lean: the request dict is serialised with orjson, signed
by `dynamap._sigv4` with a cached signing key, and POSTed on one pooled aiohttp
session; the answer is parsed with orjson, never through botocore's shape-walking
response parser. Errors are mapped to dynamap's error classes here, and only here, via
`dynamap.errors.ERROR_CODES`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import orjson

from dynamap._retry import RetryPolicy
from dynamap._sigv4 import Credentials, Signer, host_header
from dynamap.errors import (
    ERROR_CODES,
    AccessDenied,
    AmbiguousWrite,
    ConditionCheckFailed,
    ConnectionFailed,
    InvalidValue,
    OperationError,
    ServiceUnavailable,
    SessionError,
    TableNotFound,
    TransactionCanceled,
)

if TYPE_CHECKING:
    import aioboto3
    import aiohttp

__all__ = [
    "Answer",
    "ConnectionConfig",
    "HttpTransport",
    "RequestEvent",
    "Stats",
    "Transport",
    "map_error",
]

logger = logging.getLogger("dynamap")

_TARGET_PREFIX = "DynamoDB_20120810."
#: The operations that read or write items, and so can report consumed capacity.
DATA_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    }
)
_LOCAL_CREDENTIALS = Credentials("local", "local", None)
#: The request of an event that nothing observes (see `Transport.send_body`).
_UNSEEN: Mapping[str, Any] = MappingProxyType({})
_CREATE_TABLES_HINT = (
    "create the tables with `dynamap create-tables`, or `await db.create_tables(...)` "
    "in scripts and tests"
)


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """Where and as whom to connect. Unset values come from the environment.

    Attributes:
        endpoint_url: the endpoint; default `AWS_ENDPOINT_URL_DYNAMODB`, then
            `DYNAMODB_ENDPOINT`, then botocore's resolution for the region (AWS).
        region: the region; default `AWS_REGION` / `AWS_DEFAULT_REGION` / the profile.
        profile: the AWS profile name for the credential chain.
        aws_access_key_id: explicit credentials, instead of the chain.
        aws_secret_access_key: explicit credentials, instead of the chain.
        aws_session_token: explicit credentials, instead of the chain.
    """

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None

    def resolved_endpoint(self) -> str | None:
        """The configured endpoint, from the arguments or the environment."""
        return (
            self.endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
            or os.environ.get("DYNAMODB_ENDPOINT")
            or None
        )


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """What a hook sees of one request (`on_request`) or its answer (`on_response`).

    Attributes:
        operation: the DynamoDB operation, e.g. "Query".
        request: the request dict as sent.
        response: the decoded answer (None in `on_request`, or when the request failed).
        error: the error raised, if the request failed for good.
        duration: seconds from the first try to the final answer (0 in `on_request`).
        retries: how many times the request was retried.
    """

    operation: str
    request: Mapping[str, Any]
    response: Mapping[str, Any] | None = None
    error: BaseException | None = None
    duration: float = 0.0
    retries: int = 0


Hook = Callable[[RequestEvent], Awaitable[None] | None]


class Answer(NamedTuple):
    """The answer to one HTTP exchange: the status, the body's bytes, the request id."""

    status: int
    payload: bytes
    request_id: str | None = None


class HttpTransport(Protocol):
    """The single HTTP exchange of one request, which `Session(transport=...)` replaces.

    Everything around the exchange stays the session's own: the request is built,
    serialised and retried, hooks are called and statistics counted as ever; only
    signing and sending one body, and reading its answer, are done by this object.
    `dynamap.mock.MockTransport` is one, for unit tests.
    """

    async def open(self) -> None:
        """Called when the session opens."""
        ...

    async def close(self) -> None:
        """Called when the session closes."""
        ...

    async def exchange(self, operation: str, body: bytes) -> Answer:
        """Send one serialised request of `operation` and return its answer.

        Raises:
            ConnectionFailed: the request could not be sent or its answer was lost
                (`ambiguous` says whether it may have been applied); it is retried
                as a network error is.
        """
        ...


@dataclass(slots=True)
class Stats:
    """Counters of one session: requests, retries and consumed capacity per operation."""

    requests: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    consumed_capacity: dict[str, float] = field(default_factory=dict)

    def record(self, event: RequestEvent) -> None:
        """Count one finished request."""
        operation = event.operation
        self.requests[operation] = self.requests.get(operation, 0) + 1
        if event.retries:
            self.retries[operation] = self.retries.get(operation, 0) + event.retries
        if event.error is not None:
            self.errors[operation] = self.errors.get(operation, 0) + 1
        units = _capacity_units(event.response)
        if units:
            self.consumed_capacity[operation] = self.consumed_capacity.get(operation, 0) + units


def _capacity_units(response: Mapping[str, Any] | None) -> float:
    if not response or "ConsumedCapacity" not in response:
        return 0.0
    consumed = response["ConsumedCapacity"]
    entries = consumed if isinstance(consumed, list) else [consumed]
    return float(sum(entry.get("CapacityUnits", 0) for entry in entries))


class Transport:
    """A signed, pooled, retrying connection to one DynamoDB endpoint."""

    #: The X-Amz-Target prefix of the API spoken (DynamoDB Streams' differs).
    target_prefix = _TARGET_PREFIX

    def __init__(
        self,
        config: ConnectionConfig,
        retry: RetryPolicy,
        *,
        max_connections: int = 64,
        timeout: float = 30.0,
        consumed_capacity: bool = False,
        http: HttpTransport | None = None,
    ) -> None:
        self.config = config
        #: The replaced HTTP exchange (`Session(transport=...)`), if any.
        self.http = http
        self.retry = retry
        self.max_connections = max_connections
        self.timeout = timeout
        self.consumed_capacity = consumed_capacity
        self.stats = Stats()
        self.on_request: list[Hook] = []
        self.on_response: list[Hook] = []
        self.endpoint_url = ""
        self.region = ""
        self._http: aiohttp.ClientSession | None = None
        self._signer: Signer | None = None
        self._credentials: Any = None
        self._static: Credentials | None = None
        self._network_errors: tuple[type[BaseException], ...] = (TimeoutError, OSError)
        #: Connection failures that prove the request never left: no connection was made.
        self._not_sent: tuple[type[BaseException], ...] = ()

    async def open(self) -> None:
        """Resolve region, endpoint and credentials, and open the connection pool.

        Raises:
            SessionError: no region is configured anywhere.
            AccessDenied: no credentials are found for a non-local endpoint.
        """
        if self.http is not None:
            await self._open_replaced(self.http)
            return
        endpoint = self.config.resolved_endpoint()
        static = _static_credentials(self.config)
        region = self.config.region or os.environ.get("AWS_REGION")
        if static is not None and region and endpoint:
            # all three given: the credential chain and botocore's resolution would
            # only hand them back, so neither is loaded
            self.region, self.endpoint_url, self._static = region, endpoint, static
        else:
            await self._resolve_with_botocore(endpoint)
        parts = urlsplit(self.endpoint_url)
        self._signer = Signer(self.region, host_header(self.endpoint_url), parts.path or "/")
        import aiohttp  # here, not at import time: see the module's docstring

        self._network_errors = (aiohttp.ClientError, TimeoutError, OSError)
        self._not_sent = (
            aiohttp.ClientConnectorError,
            *(
                (aiohttp.ConnectionTimeoutError,)
                if hasattr(aiohttp, "ConnectionTimeoutError")
                else ()
            ),
        )
        connector = aiohttp.TCPConnector(limit=self.max_connections, ttl_dns_cache=300)
        self._http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
        )

    async def _open_replaced(self, http: HttpTransport) -> None:
        """Open a replaced exchange: no credentials, no pool, nothing resolved."""
        self.region = self.config.region or os.environ.get("AWS_REGION") or "us-east-1"
        self.endpoint_url = self.config.resolved_endpoint() or "http://dynamodb.invalid"
        self._signer = Signer(self.region, host_header(self.endpoint_url), "/")
        await http.open()

    async def _resolve_with_botocore(self, endpoint: str | None) -> None:
        import aioboto3  # here, not at import time: see the module's docstring

        session = aioboto3.Session(
            profile_name=self.config.profile,
            region_name=self.config.region,
            aws_access_key_id=self.config.aws_access_key_id,
            aws_secret_access_key=self.config.aws_secret_access_key,
            aws_session_token=self.config.aws_session_token,
        )
        self.region = self._region(session, endpoint)
        self.endpoint_url = endpoint or await _botocore_endpoint(session, self.region)
        self._credentials = await session.get_credentials()
        if self._credentials is None and endpoint is None:
            raise AccessDenied(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "AWS_PROFILE, or run on a role; for a local DynamoDB set "
                "AWS_ENDPOINT_URL_DYNAMODB",
                code="NoCredentials",
            )

    def _region(self, session: aioboto3.Session, endpoint: str | None) -> str:
        # botocore reads only AWS_DEFAULT_REGION; AWS_REGION (which the other AWS SDKs
        # and the AWS CLI read first) is honoured here.
        region = self.config.region or os.environ.get("AWS_REGION") or session.region_name
        if region:
            return region
        if endpoint:
            return "us-east-1"
        raise SessionError("no AWS region configured: pass Session(region=...) or set AWS_REGION")

    async def close(self) -> None:
        """Close the connection pool. Safe to call twice."""
        http, self._http = self._http, None
        if http is not None:
            await http.close()
        if self.http is not None and self._signer is not None:
            self._signer = None
            await self.http.close()

    async def credentials(self) -> Credentials:
        """Current frozen credentials (refreshed by botocore when they expire)."""
        if self._static is not None:
            return self._static
        if self._credentials is None:
            return _LOCAL_CREDENTIALS
        frozen = await self._credentials.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    async def send(
        self,
        operation: str,
        request: Mapping[str, Any],
        *,
        table: str | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send one request, retrying what is retryable, and return the decoded answer.

        With `consumed_capacity` on, a data request that does not say otherwise asks
        for `ReturnConsumedCapacity: TOTAL`, so that `stats` can add it up.

        Args:
            operation: the DynamoDB operation.
            request: the request dict.
            table: the table, for error messages.
            idempotent: whether applying the request twice has the effect of applying
                it once. When not, a try that may have been applied (sent, its answer
                lost) is not retried: `AmbiguousWrite` is raised instead.

        Raises:
            OperationError: the subclass mapped from DynamoDB's error code; with
                `ambiguous=True` when a try of the request may have been applied.
            AmbiguousWrite: a non-idempotent request may have been applied.
        """
        response, _ = await self.exchange(operation, request, table=table, idempotent=idempotent)
        return response

    async def exchange(
        self,
        operation: str,
        request: Mapping[str, Any],
        *,
        table: str | None = None,
        idempotent: bool = True,
    ) -> tuple[dict[str, Any], bool]:
        """Like `send`, and also say whether an earlier try may have been applied
        before the one that answered (its answer lost): the answer may then describe
        the request applied a second time (a delete finding nothing to delete)."""
        if self.consumed_capacity and operation in DATA_OPERATIONS:
            request = {"ReturnConsumedCapacity": "TOTAL", **request}
        event = RequestEvent(operation, request)
        await _call_hooks(self.on_request, event)
        return await self._send_with_retries(
            event, _serialize(operation, request), table, idempotent
        )

    def observed(self, operation: str) -> bool:
        """Whether anything would look at this operation's request dict: a hook, the
        debug log, or the consumed-capacity option (which adds to it). When nothing
        does, a caller that has the body's bytes already may use `send_body`.

        A hook that is a method of an object whose `ignores_requests` names the
        operation (the session's own `Witness`) does not count."""
        if logger.isEnabledFor(logging.DEBUG) or (
            self.consumed_capacity and operation in DATA_OPERATIONS
        ):
            return True
        return any(
            operation not in getattr(getattr(hook, "__self__", None), "ignores_requests", ())
            for hook in (*self.on_request, *self.on_response)
        )

    async def send_body(
        self, operation: str, body: bytes, *, table: str | None = None
    ) -> dict[str, Any]:
        """`send` for a request serialised already, for callers that checked that the
        operation is not `observed` (its request dict is then never built).

        Raises:
            OperationError: the subclass mapped from DynamoDB's error code.
        """
        response, _ = await self._send_with_retries(
            RequestEvent(operation, _UNSEEN), body, table, True
        )
        return response

    async def _send_with_retries(
        self, event: RequestEvent, body: bytes, table: str | None, idempotent: bool
    ) -> tuple[dict[str, Any], bool]:
        """Send `body` with retries; the answer, and whether an earlier try may have
        been applied (see `exchange`)."""
        operation = event.operation
        started = time.perf_counter()
        state = self.retry.start()
        ambiguous = False
        while True:
            try:
                response = await self._send_once(operation, body, table)
            except OperationError as error:
                ambiguous = ambiguous or error.ambiguous
                error.ambiguous = ambiguous
                if ambiguous and not idempotent:
                    error = _ambiguous_write(error)
                delay = state.next_delay() if self.retry.retryable(error) else None
                if delay is None:
                    await self._finish(event, None, error, started, state.retries)
                    raise error from error.__cause__
                await asyncio.sleep(delay)
                continue
            await self._finish(event, response, None, started, state.retries)
            return response, ambiguous

    async def _finish(
        self,
        event: RequestEvent,
        response: dict[str, Any] | None,
        error: OperationError | None,
        started: float,
        retries: int,
    ) -> None:
        duration = time.perf_counter() - started
        done = RequestEvent(event.operation, event.request, response, error, duration, retries)
        self.stats.record(done)
        if logger.isEnabledFor(logging.DEBUG):
            _log(done)
        await _call_hooks(self.on_response, done)

    async def _send_once(self, operation: str, body: bytes, table: str | None) -> dict[str, Any]:
        if self.http is not None and self._signer is not None:
            answer = await self.http.exchange(operation, body)
        else:
            answer = await self._post(operation, body, table)
        if answer.status == 200:
            decoded: dict[str, Any] = orjson.loads(answer.payload)
            return decoded
        mapped = map_error(operation, table, answer.status, answer.payload, answer.request_id)
        mapped.ambiguous = answer.status >= 500  # a 5xx says nothing of what was applied
        raise mapped

    async def _post(self, operation: str, body: bytes, table: str | None) -> Answer:
        """The exchange over HTTP: sign `body`, POST it on the pool, read the answer."""
        http, signer = self._http, self._signer
        if http is None or signer is None:
            raise SessionError("the session is closed: use `async with Session() as db:`")
        headers = signer.headers(await self.credentials(), self.target_prefix + operation, body)
        try:
            async with http.post(self.endpoint_url, data=body, headers=headers) as answer:
                return Answer(
                    answer.status, await answer.read(), answer.headers.get("x-amzn-RequestId")
                )
        except self._network_errors as error:
            failed = ConnectionFailed(
                f"could not reach {self.endpoint_url}: {error!r}",
                operation=operation,
                table=table,
                code="ConnectionError",
            )
            failed.ambiguous = not isinstance(error, self._not_sent)
            raise failed from error


def _ambiguous_write(error: OperationError) -> AmbiguousWrite:
    """The error for a non-idempotent request that may have been applied: not retried,
    since a retry could apply it a second time."""
    ambiguous = AmbiguousWrite(
        f"{error.message}; the request may have been applied, and is not retried because "
        "applying it twice would not be the same as applying it once",
        operation=error.operation,
        table=error.table,
        code=error.code,
        request_id=error.request_id,
    )
    ambiguous.__cause__ = error
    return ambiguous


def map_error(
    operation: str, table: str | None, status: int, payload: bytes, request_id: str | None
) -> OperationError:
    """Translate one DynamoDB error answer into the dynamap error that stands for it."""
    try:
        body = orjson.loads(payload) if payload else {}
    except orjson.JSONDecodeError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("__type", "")).rpartition("#")[2]
    message = str(body.get("message") or body.get("Message") or f"HTTP {status}")
    context: dict[str, Any] = {
        "operation": operation,
        "table": table,
        "code": code or f"HTTP{status}",
        "request_id": request_id,
    }
    error_class = ERROR_CODES.get(code)
    if error_class is None:
        error_class = ServiceUnavailable if status >= 500 else OperationError
    if error_class is TableNotFound:
        message += f" ({_CREATE_TABLES_HINT})"
    if error_class is ConditionCheckFailed:
        return ConditionCheckFailed(message, item=body.get("Item"), **context)
    if error_class is TransactionCanceled:
        reasons = body.get("CancellationReasons") or []
        return TransactionCanceled(message, cancellation_reasons=reasons, **context)
    return error_class(message, **context)


def _static_credentials(config: ConnectionConfig) -> Credentials | None:
    """The explicit keys, when both are given and no profile is named (botocore would
    then return exactly these, unrefreshed)."""
    if config.profile or not (config.aws_access_key_id and config.aws_secret_access_key):
        return None
    return Credentials(
        config.aws_access_key_id, config.aws_secret_access_key, config.aws_session_token or None
    )


async def _botocore_endpoint(session: aioboto3.Session, region: str) -> str:
    async with session.client("dynamodb", region_name=region) as client:
        endpoint: str = client.meta.endpoint_url
        return endpoint


def _serialize(operation: str, request: Mapping[str, Any]) -> bytes:
    """The request body; a value JSON cannot carry (a lone surrogate, an object that was
    never encoded) is refused here, before anything is sent."""
    try:
        return orjson.dumps(request)
    except orjson.JSONEncodeError as error:
        raise InvalidValue(
            f"cannot send {operation}: a value in the request cannot be sent as JSON ({error})"
        ) from None


async def _call_hooks(hooks: list[Hook], event: RequestEvent) -> None:
    for hook in hooks:
        result = hook(event)
        if result is not None:
            await result


def _tables(request: Mapping[str, Any]) -> str:
    """The table(s) a request is about, for the log: batches and transactions name several."""
    if "TableName" in request:
        return str(request["TableName"])
    names = list(request.get("RequestItems", {}))
    for action in request.get("TransactItems", []):
        names += [part["TableName"] for part in action.values() if "TableName" in part]
    return ",".join(dict.fromkeys(names)) or "-"


def _log(event: RequestEvent) -> None:
    request = event.request
    logger.debug(
        "%s table=%s index=%s %.1fms capacity=%s retries=%d%s",
        event.operation,
        _tables(request),
        request.get("IndexName", "-"),
        event.duration * 1000,
        _capacity_units(event.response) or "-",
        event.retries,
        f" error={type(event.error).__name__}" if event.error else "",
    )
