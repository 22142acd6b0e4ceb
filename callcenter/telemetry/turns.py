"""Per-turn telemetry in one place: log context, the turn's span, and its metrics.

The orchestrator calls three functions and stays about turns: `turn_scope` around the whole
turn (session_id on every log line, the root span), `bind_turn` once the turn has an id and a
route, `observe_turn` when it is answered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import structlog

from callcenter.telemetry import metrics
from callcenter.telemetry.tracing import current_span, set_attributes, span


@contextlib.contextmanager
def turn_scope(session_id: str) -> Iterator[Any | None]:
    """Log context and root span for one turn; restores the caller's context afterwards."""
    route, agent = metrics.ROUTE.get(), metrics.AGENT.get()
    with structlog.contextvars.bound_contextvars(session_id=session_id), span("turn", session_id=session_id) as sp:
        try:
            yield sp
        finally:
            structlog.contextvars.unbind_contextvars("turn_id")
            metrics.ROUTE.set(route)
            metrics.AGENT.set(agent)


def bind_turn(turn_id: int, *, route: str, channel: str) -> None:
    """From here on, log lines carry turn_id and costs land under `route`."""
    structlog.contextvars.bind_contextvars(turn_id=turn_id)
    metrics.ROUTE.set(route or "routed")
    set_attributes(current_span(), turn_id=turn_id, route=route, channel=channel)


def bind_agent(agent: str) -> None:
    metrics.AGENT.set(agent)


def observe_route(latency_ms: float) -> None:
    metrics.ROUTER_LATENCY.observe(latency_ms / 1000)


def observe_handoff(to_agent: str, *, human: bool) -> None:
    metrics.HANDOFFS.labels(to_agent, "human" if human else "agent").inc()


def observe_turn(*, channel: str, agent: str, outcome: str, latency_ms: float) -> None:
    metrics.TURNS.labels(channel, agent, outcome).inc()
    metrics.TURN_LATENCY.labels(channel, agent).observe(latency_ms / 1000)
