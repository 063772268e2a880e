"""Tests for dynamap._retry: full-jitter delays, attempts, the time budget, and which
errors are retried (also through the transport's send loop, with a scripted network)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from dynamap._retry import RetryPolicy
from dynamap._transport import ConnectionConfig, Transport
from dynamap.errors import (
    AccessDenied,
    ConditionCheckFailed,
    ConnectionFailed,
    InvalidRequest,
    OperationError,
    ServiceUnavailable,
    TableNotFound,
    Throttled,
    TransactionCanceled,
)


def policy(**options: Any) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(1234), **options)


@pytest.mark.parametrize("retry", [1, 2, 3, 5, 8, 12])
def test_full_jitter_delays_stay_between_zero_and_the_exponential_bound(retry: int) -> None:
    retry_policy = policy(base=0.05, cap=2.0)
    bound = min(2.0, 0.05 * 2 ** (retry - 1))
    delays = [retry_policy.delay(retry) for _ in range(500)]
    assert all(0 <= delay <= bound for delay in delays)
    # full jitter: spread over the whole interval, not bunched at its top
    assert min(delays) < bound * 0.05
    assert max(delays) > bound * 0.95


def test_the_bound_is_capped_even_after_very_many_retries() -> None:
    retry_policy = policy(base=0.05, cap=1.5)
    assert all(0 <= retry_policy.delay(retry) <= 1.5 for retry in (30, 1024, 5000, 10**6))


def test_attempts_count_the_first_try() -> None:
    state = policy(attempts=3, budget=60).start()
    assert state.next_delay() is not None
    assert state.next_delay() is not None
    assert state.next_delay() is None
    assert state.retries == 2


def test_a_single_attempt_never_retries() -> None:
    assert policy(attempts=1).start().next_delay() is None


def test_a_spent_budget_stops_retrying() -> None:
    state = policy(attempts=100, budget=0.0, base=0.5, cap=1.0).start()
    assert state.next_delay() is None
    assert state.retries == 0


def test_delays_within_the_budget_are_granted() -> None:
    state = policy(attempts=4, budget=3600.0, base=0.5, cap=1.0).start()
    delays = [state.next_delay() for _ in range(3)]
    assert all(delay is not None and 0 <= delay <= 1.0 for delay in delays)


@pytest.mark.parametrize("options", [{"attempts": 0}, {"budget": -1.0}, {"base": 0.0},
                                     {"base": 2.0, "cap": 1.0}])
def test_invalid_policies_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**options)


@pytest.mark.parametrize("error", [Throttled("x"), ServiceUnavailable("x"),
                                   ConnectionFailed("x")])
def test_transient_errors_are_retryable(error: OperationError) -> None:
    assert RetryPolicy.retryable(error)


@pytest.mark.parametrize("error", [ConditionCheckFailed("x"), InvalidRequest("x"),
                                   TransactionCanceled("x"), AccessDenied("x"),
                                   TableNotFound("x"), OperationError("x"), ValueError("x")])
def test_errors_that_would_fail_again_are_not_retryable(error: Exception) -> None:
    assert not RetryPolicy.retryable(error)


# -- the transport's send loop, on a scripted network ------------------------------------------


class ScriptedTransport(Transport):
    """A transport whose network answers from a script: each entry is the error to
    raise or the answer to return for one try."""

    def __init__(self, script: Sequence[OperationError | dict[str, Any]],
                 retry: RetryPolicy) -> None:
        super().__init__(ConnectionConfig(endpoint_url="http://127.0.0.1:9"), retry)
        self.script = list(script)
        self.tries = 0

    async def _send_once(self, operation: str, body: bytes, table: str | None
                         ) -> dict[str, Any]:
        self.tries += 1
        step = self.script.pop(0)
        if isinstance(step, OperationError):
            raise step
        return step


FAST = {"base": 0.0001, "cap": 0.0001, "budget": 60.0}


async def test_throttling_is_retried_until_it_succeeds() -> None:
    transport = ScriptedTransport([Throttled("slow"), ServiceUnavailable("5xx"), {"Items": []}],
                                  policy(attempts=5, **FAST))
    assert await transport.send("Query", {"TableName": "t"}, table="t") == {"Items": []}
    assert transport.tries == 3
    assert transport.stats.retries == {"Query": 2}
    assert transport.stats.errors == {}


async def test_retries_stop_after_the_attempts() -> None:
    transport = ScriptedTransport([Throttled(str(n)) for n in range(5)],
                                  policy(attempts=3, **FAST))
    with pytest.raises(Throttled, match="2"):
        await transport.send("PutItem", {"TableName": "t"}, table="t")
    assert transport.tries == 3
    assert transport.stats.errors == {"PutItem": 1}


@pytest.mark.parametrize("error", [
    ConditionCheckFailed("the condition failed", item={"PK": {"S": "A"}}),
    InvalidRequest("malformed"),
    TransactionCanceled("cancelled"),
])
async def test_failed_conditions_and_invalid_requests_are_never_retried(
    error: OperationError,
) -> None:
    transport = ScriptedTransport([error, {}], policy(attempts=10, **FAST))
    with pytest.raises(type(error)) as caught:
        await transport.send("PutItem", {"TableName": "t"}, table="t")
    assert caught.value is error
    assert transport.tries == 1
    assert transport.stats.retries == {}
