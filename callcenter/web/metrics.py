"""`/metrics` for Prometheus: the process's counters, histograms and gauges (callcenter.telemetry.metrics).

Served from memory, so a scrape costs no query and still answers while PostgreSQL is down;
`callcenter_database_up` says whether the database answered a one-second probe. Under
`serve --workers N` a scrape reaches one worker and reports the whole node (telemetry.metrics
.exposition); totals across machines are Prometheus's job (sum by label); `callcenter report`
reads the stored history.

Safe by default (red team R7: cost by model and route, error codes and open sessions were public
on the chat's port): unless CALLCENTER_METRICS_PUBLIC is set, a scrape must come from this machine
itself (a loopback peer, no proxy header, a loopback Host: demo_guard.not_this_machine) or carry an
operator token (`Authorization: Bearer op1…`, Prometheus's `authorization` scrape setting).
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import Gauge
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from callcenter.runtime import RUNTIME_KEY, Runtime
from callcenter.settings import is_loopback
from callcenter.telemetry.metrics import REGISTRY, exposition
from callcenter.web.auth import InvalidToken
from callcenter.web.demo_guard import not_this_machine
from callcenter.web.operator_auth import verify_operator_token

PROBE_TIMEOUT_S = 1.0

DATABASE_UP = Gauge(
    "callcenter_database_up",
    "1 when PostgreSQL answered the scrape's probe",
    registry=REGISTRY,
    multiprocess_mode="livemostrecent",  # under --workers N: the latest probe, whichever worker ran it
)


async def _probe(runtime: Runtime) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await runtime.pool.fetchval("SELECT 1")
    except Exception:  # down, slow or refusing: the gauge says so, the scrape still answers
        return False
    return True


def metrics_refusal(request: web.Request, runtime: Runtime) -> str | None:
    """Why this scrape is refused; None when it may read the metrics."""
    if runtime.settings.metrics_public:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:  # signature and expiry only: a scrape must answer while the database is down
            verify_operator_token(token.strip(), runtime.settings.secret.get_secret_value())
        except InvalidToken as exc:
            return f"the operator token was refused ({exc.code})"
        return None
    if not is_loopback(request.remote or ""):
        return "it is not from this machine"
    return not_this_machine(request.headers, request.headers.get("Host"), request.version)


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    refused = metrics_refusal(request, runtime)
    if refused is not None:
        message = (
            f"/metrics is private: {refused}. Scrape from this machine, send Authorization: Bearer "
            "<operator token> (`callcenter operator token NAME`), or set CALLCENTER_METRICS_PUBLIC=true."
        )
        return web.json_response({"error": {"code": "forbidden", "message": message}}, status=403)
    DATABASE_UP.set(1 if await _probe(request.app[RUNTIME_KEY]) else 0)
    return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup_routes(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/metrics", metrics)
