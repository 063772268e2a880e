"""`RetryPolicy`: when and how long to wait before trying a request again.

One policy serves every retry in dynamap: throttling, 5xx answers and dropped
connections on any operation, and the unprocessed items of batches. Delays grow
exponentially and are drawn with full jitter (a random delay between zero and the
exponential bound) so that many clients backing off together do not retry in step.
A time budget caps the whole effort. Failed conditions and validation errors are
never retried: they would fail the same way again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from dynamap.errors import ConnectionFailed, OperationError, ServiceUnavailable, Throttled

__all__ = ["RETRYABLE", "RetryPolicy", "RetryState"]

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
    """

    attempts: int = 10
    budget: float = 30.0
    base: float = 0.025
    cap: float = 2.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.budget < 0 or self.base <= 0 or self.cap < self.base:
            raise ValueError("RetryPolicy needs budget >= 0 and 0 < base <= cap")

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
