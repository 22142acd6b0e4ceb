"""aiohttp's access log as structured events (`http.request`), through the same pipeline as every log.

Probes (`/healthz`, `/readyz`, `/metrics`) log at DEBUG: a scrape every few seconds would
otherwise drown the lines an operator reads.
"""

from __future__ import annotations

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

log = structlog.get_logger("callcenter.access")

QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/favicon.ico"})


class StructuredAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        emit = log.debug if request.path in QUIET_PATHS else log.info
        emit(
            "http.request",
            method=request.method,
            path=request.path,
            status=response.status,
            duration_ms=round(time * 1000, 2),
            bytes=response.body_length,
            remote=request.remote,
            user_agent=request.headers.get("User-Agent"),
        )
