"""Assemble the service from settings: database, migrations, app, router, backend, orchestrator.

Commands, the server and tests all build the product here, so they run the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from aiohttp import web

from callcenter.app import App, load_app
from callcenter.orchestrator import Orchestrator
from callcenter.routing.classifier import VerticalClassifier, default_classifier
from callcenter.routing.difficulty import DifficultyModel, default_difficulty_model
from callcenter.routing.emergency_slips import known_words, slip_fixer
from callcenter.routing.router import LocalRouter, Router
from callcenter.settings import ConfigError, Settings
from callcenter.specialists.seam import FlowBackend, SpecialistBackend
from callcenter.store.conversations import ConversationStore
from callcenter.store.db import create_pool, resolve_dsn
from callcenter.store.migrate import migrate

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    pool: asyncpg.Pool
    app: App
    store: ConversationStore
    orchestrator: Orchestrator
    extras: dict[str, Any]

    async def close(self) -> None:
        await self.orchestrator.keeper.stop()
        closer = self.extras.get("close")
        if closer is not None:
            await closer()
        await self.store.close()  # queued message notifications go out before the pool closes
        await self.pool.close()


# Where the aiohttp app keeps the runtime; channels and web handlers read it back.
RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)


def build_local_router(settings: Settings, app: App) -> LocalRouter:
    if settings.router_model_path:
        classifier = VerticalClassifier.load(settings.router_model_path)
    else:
        classifier = default_classifier(app, settings.data_dir / "models")
    difficulty: DifficultyModel | None
    if settings.difficulty_model_path:
        difficulty = DifficultyModel.load(settings.difficulty_model_path)
    else:
        difficulty = default_difficulty_model(app.hard_examples, app.easy_examples, settings.data_dir / "models")
    classifier.fallback = app.fallback_vertical
    said = [text for text, _ in app.training_examples()]
    known = known_words([*said, app.shared_context or "", *app.languages.base_words])
    return LocalRouter(
        classifier,
        app.emergency_terms,
        difficulty,
        settings.router_min_confidence,
        app.emergency_vertical,
        slips=slip_fixer(known, app.emergency_terms),
    )


def second_opinion(router: Router, settings: Settings, app: App, extras: dict[str, Any]) -> Router:
    """`router`, with verdicts below `router_reask_below` re-asked of a tier-1 model when models are on."""
    client = extras.get("model_client")
    if settings.router_reask_below <= 0 or client is None:
        return router
    from callcenter.routing.second_opinion import SecondOpinionRouter

    teams = {a.vertical: a.description for a in app.agents.values()}
    return SecondOpinionRouter(
        router, client, teams, below=settings.router_reask_below, timeout_s=settings.router_reask_timeout_s
    )


def check_catalog(settings: Settings) -> None:
    """Read an operator's catalog override at start, even offline: a wrong path or a typo fails now, not later."""
    path = settings.catalog_path
    if path is None:
        return
    import tomllib

    from callcenter.providers.catalog import Catalog, CatalogError

    try:
        Catalog.load(path)
    except FileNotFoundError:
        raise ConfigError(
            f"CALLCENTER_CATALOG_PATH={path}: no such file.\n  Fix the path, or unset it to use the built-in catalog."
        ) from None
    except (CatalogError, tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(
            f"CALLCENTER_CATALOG_PATH={path}: {exc}.\n"
            "  Fix the file (same shape as callcenter/catalog.toml) or unset the variable."
        ) from None


async def build_runtime(
    settings: Settings,
    *,
    dsn: str | None = None,
    router: Router | None = None,
    backend: SpecialistBackend | None = None,
    run_migrations: bool = True,
    database_may_be_down: bool = False,
) -> Runtime:
    """The product on `dsn`. With `database_may_be_down` nothing here touches the database (no
    migrations, a pool that connects on first use), so a process can start during an outage."""
    check_catalog(settings)
    dsn = dsn or resolve_dsn(settings)
    min_size = 0 if database_may_be_down else settings.db_pool_min
    pool = await create_pool(dsn, min_size=min_size, max_size=settings.db_pool_max)
    if run_migrations and not database_may_be_down:
        async with pool.acquire() as conn:
            await migrate(conn)
    app = load_app(settings.agents_module)
    store = ConversationStore(pool)
    extras: dict[str, Any] = {"dsn": dsn}  # the desk's event bus LISTENs on a connection of its own
    if router is None:
        router = build_local_router(settings, app)
    if backend is None:
        backend = await _default_backend(settings, pool, app, extras)
    router = second_opinion(router, settings, app, extras)
    orchestrator = Orchestrator(app=app, store=store, router=router, backend=backend, settings=settings)
    log.info("runtime.ready", backend=backend.name, agents=sorted(app.agents))
    return Runtime(settings, pool, app, store, orchestrator, extras)


async def _default_backend(
    settings: Settings, pool: asyncpg.Pool, app: App, extras: dict[str, Any]
) -> SpecialistBackend:
    if not settings.uses_models:
        return FlowBackend()
    from callcenter.specialists.model_backend import build_model_backend  # imported only when keys are set

    return await build_model_backend(settings, pool, app, extras)
