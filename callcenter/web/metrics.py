"""`/metrics` for Prometheus: the process's counters, histograms and gauges (callcenter.telemetry.metrics).

Served from memory, so a scrape costs no query and still answers while PostgreSQL is down;
`callcenter_database_up` says whether the database answered a one-second probe. Under
`serve --workers N` a scrape reaches one worker and reports the whole node (telemetry.metrics
.exposition); totals across machines are Prometheus's job (sum by label); `callcenter report`
reads the stored history.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import Gauge
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from callcenter.runtime import RUNTIME_KEY, Runtime
from callcenter.telemetry.metrics import REGISTRY, exposition

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


async def metrics(request: web.Request) -> web.Response:
    DATABASE_UP.set(1 if await _probe(request.app[RUNTIME_KEY]) else 0)
    return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup_routes(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/metrics", metrics)
