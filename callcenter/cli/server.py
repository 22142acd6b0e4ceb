"""`callcenter serve` and `callcenter token`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

import structlog

from callcenter.cli.common import add_data_dir, require_customer, settings_from_args
from callcenter.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

GIL_SWITCH_INTERVAL_S = 0.001
log = structlog.get_logger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the chat server and widget (the laptop demo seeds its data on first run)",
        description="Serve the web chat websocket at /v1/chat and the widget at /.",
    )
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8080; 0 picks a free one)")
    p.add_argument(
        "--no-seed", action="store_true", help="don't seed demo data into an empty database (only the demo ever seeds)"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="demo features (customer picker with tokens, unsigned voice) even with DATABASE_URL or a "
        "public bind; never on the internet (same as CALLCENTER_DEMO_MODE=true)",
    )
    p.add_argument("--demo-automatic", action="store_true", help=argparse.SUPPRESS)  # a supervisor's workers
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes serving the port, each a full node (default: the number of cores)",
    )
    p.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set by the supervisor
    p.add_argument(
        "--keep-db",
        action="store_true",
        help="leave the embedded PostgreSQL running when serve stops (default: serve stops a server "
        "it started itself; `callcenter db stop` stops it later)",
    )
    add_data_dir(p)
    p.set_defaults(func=cmd_serve)

    t = sub.add_parser(
        "token",
        help="print a signed identity token for a customer id",
        description="Print a token the widget or an API client sends in its hello frame.",
    )
    t.add_argument("customer_id", type=int)
    t.add_argument("--ttl", type=int, default=None, help="seconds until it expires (default 7 days)")
    add_data_dir(t)
    t.set_defaults(func=cmd_token)


def cmd_token(args: argparse.Namespace) -> int:
    from callcenter.web.auth import issue_token

    settings = settings_from_args(args)
    ttl = settings.token_ttl_seconds if args.ttl is None else args.ttl
    if ttl < 0:
        print("--ttl must be 0 or more seconds.", file=sys.stderr)
        return 2
    asyncio.run(require_customer(settings, args.customer_id))
    print(issue_token(args.customer_id, settings.secret.get_secret_value(), ttl_seconds=ttl))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    overrides: dict[str, object] = {"host": args.host} if args.host else {}
    if args.demo:
        overrides["demo_mode"] = True
    if args.demo_automatic:
        overrides["demo_automatic"] = True
    settings = settings.model_copy(update=overrides)
    if not settings.demo:  # a deployment: tokens must not be forgeable
        problem = settings.secret_problem()
        if problem:
            print(f"callcenter: refusing to serve: {problem}", file=sys.stderr)
            return 2
    host = settings.host
    port = settings.port if args.port is None else args.port
    if args.keep_db and not settings.database_url:
        from callcenter.store.embedded import keep_running

        keep_running(settings.data_dir)
    from callcenter.cli.workers import default_workers, supervise

    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise SystemExit("--workers must be at least 1")
    if workers > 1:
        return supervise(settings, host, port, workers, seed=not args.no_seed)
    asyncio.run(serve(settings, host, port, seed=not args.no_seed, reuse_port=args.reuse_port))
    return 0


def app_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The runner serve listens with. keepalive_timeout is aiohttp's only clock on a connection that
    has not sent a whole request head: it starts at connect and closes an idle or trickling
    connection (red-team F10: 2,000 silent sockets, and headers trickled every 5 s for 90 s, were all
    held; aiohttp's own default is 3,630 s)."""
    from aiohttp import web

    from callcenter.web.access_log import StructuredAccessLogger

    return web.AppRunner(
        app,
        access_log_class=StructuredAccessLogger,
        handle_signals=False,
        shutdown_timeout=settings.drain_s + 2,
        keepalive_timeout=settings.http_idle_timeout_s,
    )


async def serve(settings: Settings, host: str, port: int, *, seed: bool = True, reuse_port: bool = False) -> None:
    """Serve until SIGTERM or Ctrl-C, then shut down gracefully (callcenter.shutdown) and return."""
    from aiohttp import web

    from callcenter.cli.db import seed_if_empty
    from callcenter.runtime import build_runtime
    from callcenter.telemetry.tracing import shutdown_tracing
    from callcenter.web.server import create_app

    log.info("serve.starting", database="DATABASE_URL" if settings.database_url else "embedded PostgreSQL")
    if settings.demo:  # never silently: a forgotten DATABASE_URL behind a proxy once published every PIN
        from callcenter.web.demo_guard import EXPOSED

        how = "--demo / CALLCENTER_DEMO_MODE" if settings.demo_mode else "automatic: embedded database, loopback bind"
        log.warning(
            "serve.demo_mode",
            message=f"DEMO MODE IS ON ({how}): {EXPOSED}. Not for the internet: set DATABASE_URL and "
            "CALLCENTER_SECRET for a deployment."
            + ("" if settings.demo_mode else " Requests through a proxy or for another Host are refused them."),
        )
    # CPU work (routing long texts, transcripts) runs in threads; the event loop waits for the GIL
    # at most this long each time it wants it back (Python's default, 5 ms, adds up per ping).
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    # A supervised worker (--reuse-port) starts without the database: its supervisor migrated it,
    # and a worker restarted during an outage must listen and answer `unavailable`, not exit.
    runtime = await build_runtime(settings, database_may_be_down=reuse_port)
    runtime.orchestrator.keeper.start(runtime.orchestrator.finish_pending)  # leases and the sweeper
    try:
        if seed:
            await seed_if_empty(runtime.pool, settings)
        app = create_app(runtime)
        runner = app_runner(app, settings)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
            await site.start()
            bound = runner.addresses[0][1] if runner.addresses else port
            url, backend = f"http://{host}:{bound}/", runtime.orchestrator.backend.name
            if settings.log_json or reuse_port:  # a supervised worker: its supervisor prints the one line
                log.info("serve.listening", url=url, backend=backend, hint="SIGTERM or Ctrl-C to stop")
            else:  # people (and scripts grepping it) read this line
                print(f"callcenter is serving on {url}  (backend: {backend}; Ctrl-C to stop)", flush=True)
            signum = await _until_signal()
            log.info("serve.stopping", signal=signal.Signals(signum).name, drain_s=settings.drain_s)
        finally:
            await runner.cleanup()
    finally:
        await runtime.close()
        shutdown_tracing()
    log.info("serve.stopped")


async def _until_signal() -> int:
    """Wait for SIGTERM or SIGINT; a second one is not caught (a stuck drain can still be interrupted)."""
    loop = asyncio.get_running_loop()
    got: asyncio.Future[int] = loop.create_future()
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal(signum: int) -> None:
        if not got.done():
            got.set_result(signum)

    for sig in signals:
        loop.add_signal_handler(sig, on_signal, int(sig))
    try:
        return await got
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
