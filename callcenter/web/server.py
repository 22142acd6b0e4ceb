"""The aiohttp application: chat websocket, widget, demo and health endpoints."""

from __future__ import annotations

from pathlib import Path

import structlog
from aiohttp import web

from callcenter.channels.chat_ws import chat_handler
from callcenter.runtime import RUNTIME_KEY, Runtime
from callcenter.shutdown import install_drain
from callcenter.store.pin_hash import demo_pin
from callcenter.web.auth import issue_token
from callcenter.web.demo_guard import demo_refusal
from callcenter.web.health import setup_health_routes

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def favicon(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "favicon.svg", headers={"Content-Type": "image/svg+xml"})


async def demo_residents(request: web.Request) -> web.Response:
    """Demo only: residents with ready-made tokens, so a visitor can pick who they are."""
    runtime = request.app[RUNTIME_KEY]
    if not runtime.settings.demo:
        raise web.HTTPNotFound()
    refused = demo_refusal(runtime.settings, request.headers, request.headers.get("Host"), request.version)
    if refused is not None:  # through a proxy, or a rebound DNS name: as a deployment would answer
        log.warning("demo.refused", path=request.path, reason=refused)
        raise web.HTTPNotFound()
    # Any site may embed the widget in demo mode, so the picker must load cross-origin; the
    # tokens are for anyone here anyway (no cookies are involved: the widget omits credentials).
    cors = {"Access-Control-Allow-Origin": "*"}
    rows = await runtime.pool.fetch(
        "SELECT id, full_name, building, unit, voice_pin_hash IS NOT NULL AS has_pin"
        " FROM customers ORDER BY id LIMIT 25"
    )
    secret = runtime.settings.secret.get_secret_value()
    ttl = runtime.settings.token_ttl_seconds
    return web.json_response(
        {
            "residents": [
                {
                    "id": r["id"],
                    "name": r["full_name"],
                    "unit": f"{r['building']} {r['unit']}",
                    "token": issue_token(r["id"], secret, ttl_seconds=ttl),
                    # The PIN the demo seed set (for trying phone calls); null without one.
                    "voice_pin": demo_pin(r["id"]) if r["has_pin"] else None,
                }
                for r in rows
            ]
        },
        headers=cors,
    )


def create_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[RUNTIME_KEY] = runtime
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    install_drain(app, runtime.settings.drain_s)
    setup_health_routes(app)
    app.router.add_get("/v1/chat", chat_handler)
    app.router.add_get("/v1/demo/residents", demo_residents)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    for setup in _extensions():
        setup(app, runtime)
    return app


def _extensions() -> list:  # type: ignore[type-arg]
    """Optional route groups registered by other modules (voice, metrics) when present."""
    found = []
    for name in ("callcenter.web.metrics", "callcenter.channels.voice_http", "callcenter.channels.desk_http"):
        try:
            mod = __import__(name, fromlist=["setup_routes"])
        except ModuleNotFoundError:
            continue
        found.append(mod.setup_routes)
    return found
