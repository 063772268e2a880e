"""`RetryPolicy`: when and how long to wait before trying a request again.

One policy serves every retry in dynamap: throttling, 5xx answers and dropped
connections on any operation, and the unprocessed items of batches. Delays grow
exponentially and are drawn with full jitter (a random delay between zero and the
exponential bound) so that many clients backing off together do not retry in step.
A time budget caps the whole effort. Failed conditions and validation errors are
never retried: they would fail the same way again.

A try that was sent and whose answer was lost (a dropped connection, a timeout, a
5xx) may have been applied: retrying it is only safe for a request that has the same
effect when applied twice. `non_idempotent` says what becomes of the others (the
updates that add to a number, append to a list, or compute from the stored item,
with no version check): the whole contract is in docs/concepts/retries.md.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Literal

from dynamap.errors import ConnectionFailed, OperationError, ServiceUnavailable, Throttled

__all__ = ["RETRYABLE", "NonIdempotent", "RetryPolicy", "RetryState"]

#: What a session does with a write that a retry could apply twice.
NonIdempotent = Literal["transaction", "no-retry"]
_NON_IDEMPOTENT = ("transaction", "no-retry")

#: The errors worth trying again: the same request may well succeed a moment later.
RETRYABLE: tuple[type[OperationError], ...] = (Throttled, ServiceUnavailable, ConnectionFailed)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times, and for how long, to retry.

    Args:
        attempts: the most tries of one request, the first included.
        budget: the most seconds to spend retrying one request (or one batch chunk).
        base: the first delay bound in seconds; it doubles each retry.
        cap: the largest delay bound in seconds.
        non_idempotent: how a write that is not safe to repeat is sent.
            "transaction" (the default): as a one-action TransactWriteItems with a
            ClientRequestToken, so that DynamoDB applies it once however often it is
            retried (twice the write capacity, and one consistent read to return the
            item). "no-retry": as a plain UpdateItem that is retried only after a
            failure that proves it was not applied; after a lost answer it raises
            `AmbiguousWrite`.
    """

    attempts: int = 10
    budget: float = 30.0
    base: float = 0.025
    cap: float = 2.0
    non_idempotent: NonIdempotent = "transaction"
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.budget < 0 or self.base <= 0 or self.cap < self.base:
            raise ValueError("RetryPolicy needs budget >= 0 and 0 < base <= cap")
        if self.non_idempotent not in _NON_IDEMPOTENT:
            raise ValueError(f"RetryPolicy.non_idempotent must be one of {_NON_IDEMPOTENT}")

    def start(self) -> RetryState:
        """Begin counting tries for one request."""
        return RetryState(self, time.monotonic() + self.budget)

    def delay(self, retry: int) -> float:
        """A full-jitter delay before retry number `retry` (1 for the first retry)."""
        bound = min(self.cap, self.base * 2.0 ** min(retry - 1, 64))  # no float overflow
        return self.rng.uniform(0, bound)

    @staticmethod
    def retryable(error: BaseException) -> bool:
        """Whether `error` may succeed if the same request is sent again."""
        return isinstance(error, RETRYABLE)


@dataclass(slots=True)
class RetryState:
    """The tries made so far for one request, and the deadline of its budget."""

    policy: RetryPolicy
    deadline: float
    retries: int = 0

    def next_delay(self) -> float | None:
        """The delay before the next try, or None when attempts or budget are spent."""
        if self.retries + 1 >= self.policy.attempts:
            return None
        delay = self.policy.delay(self.retries + 1)
        if time.monotonic() + delay > self.deadline:
            return None
        self.retries += 1
        return delay
