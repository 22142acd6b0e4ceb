"""`/healthz` (liveness) and `/readyz` (readiness) for orchestrators and load balancers.

Liveness touches nothing outside the process: a database outage must not get healthy
processes restarted. Readiness says whether this process should get traffic: the database
answers, its schema is current, and the process is not draining for shutdown. Neither
echoes a raw error (hosts, users and driver messages stay in the log).
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiohttp import web

from callcenter.runtime import RUNTIME_KEY
from callcenter.shutdown import DRAIN_KEY
from callcenter.store.migrate import pending_migrations

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 2.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _database_state(request: web.Request) -> tuple[str, list[str]]:
    runtime = request.app[RUNTIME_KEY]
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), runtime.pool.acquire() as conn:
            return "ok", await pending_migrations(conn)
    except TimeoutError:
        log.warning("readyz.database_timeout", timeout_s=READY_TIMEOUT_S)
        return "timeout", []
    except Exception as exc:  # any failure means "not ready"; the detail goes to the log only
        log.warning("readyz.database_unreachable", error=str(exc), error_type=type(exc).__name__)
        return "unreachable", []


async def readyz(request: web.Request) -> web.Response:
    drain = request.app.get(DRAIN_KEY)
    if drain is not None and drain.stopping:
        return web.json_response({"status": "draining"}, status=503)
    database, pending = await _database_state(request)
    body: dict[str, Any] = {"database": database}
    if pending:
        body["migrations"] = f"{len(pending)} pending: run `callcenter migrate`"
    keeper = getattr(request.app[RUNTIME_KEY].orchestrator, "keeper", None)
    saturated = bool(getattr(keeper, "saturated", False))
    if saturated:
        body["turns"] = "saturated"
    ok = database == "ok" and not pending and not saturated
    body["status"] = "ready" if ok else "not_ready"
    return web.json_response(body, status=200 if ok else 503)


def setup_health_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
