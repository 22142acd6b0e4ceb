"""Per-provider circuit breakers: a provider that stops answering is skipped, then probed.

closed -> open after `failures` consecutive calls the provider did not answer at all
(connection errors; a timeout counts as all of them: a hung provider costs one timeout, not
three; an HTTP error is an answer and is left to retries and fallback) -> after `cooldown_s`, half-open: one
call is let through as a probe with a short timeout (`probe_timeout_s`) while every other
call skips the provider; its success closes the breaker, its failure opens it again. This is
the shape of LiteLLM's deployment cooldowns, kept in-process: each node learns on its own.

A hung provider (socket open, nothing coming back) is recognised without waiting a whole
timeout: a call that has waited `hang_s` while the provider answered nothing at all counts as
a timeout (`ModelClient`'s `watch_call`), which opens the breaker and releases every other call
waiting on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to call the provider once; a probe must answer within `timeout_s`."""

    probe: bool = False
    timeout_s: float | None = None


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failures: int = 3,
        cooldown_s: float = 30.0,
        probe_timeout_s: float = 2.0,
        hang_s: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failures = failures
        self.cooldown_s = cooldown_s
        self.probe_timeout_s = probe_timeout_s
        self.hang_s = hang_s
        self.last_success = float("-inf")  # clock() of the last call the provider answered
        self._clock = clock
        self.state = "closed"
        self._consecutive = 0
        self._opened_at = 0.0
        self._probing = False

    def acquire(self) -> Permit | None:
        """A permit to call now, or None: skip this provider."""
        if self.state == "closed":
            return Permit()
        if self._probing:
            return None
        if self.state == "open" and self._clock() - self._opened_at < self.cooldown_s:
            return None
        self.state, self._probing = "half_open", True
        log.info("breaker.probe", provider=self.name)
        return Permit(probe=True, timeout_s=self.probe_timeout_s)

    def release(self, permit: Permit) -> None:
        """The call was not made after all (e.g. the turn's deadline passed): free the probe."""
        if permit.probe:
            self._probing = False
            self.state = "open"

    def success(self, permit: Permit) -> None:
        self.last_success = self._clock()
        if self.state != "closed":
            log.info("breaker.closed", provider=self.name)
        self.state, self._consecutive, self._probing = "closed", 0, False

    def failure(self, permit: Permit, *, timeout: bool) -> None:
        self._consecutive += self.failures if timeout else 1
        if permit.probe or self._consecutive >= self.failures:
            if self.state != "open" or permit.probe:
                log.warning("breaker.opened", provider=self.name, timeout=timeout, cooldown_s=self.cooldown_s)
            self.state, self._opened_at, self._probing = "open", self._clock(), False

    @property
    def is_open(self) -> bool:
        return self.state != "closed"
