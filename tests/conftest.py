"""Shared fixtures: a real PostgreSQL database per test run, migrated.

With DATABASE_URL set (CI: 127.0.0.1:5432) each run creates its own database on that
server and drops it at the end, so runs never collide; without it the embedded server
starts in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from seeded import NIGHT, TEMPLATES, seeded_database, seeded_runtime, with_trained_models

from callcenter.evals.paraphrase import Spec, load_spec
from callcenter.fakellm import FakeLLMServer
from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.store.db import connect, create_database, create_pool, drop_database
from callcenter.store.embedded import embedded_dsn
from callcenter.store.migrate import migrate
from callcenter.web.server import create_app

# At least 32 bytes: `callcenter serve` refuses a shorter secret outside the demo (docs/security.md).
TEST_SECRET = "test-secret-of-the-suite-0123456789"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
    else:
        yield embedded_dsn(tmp_path_factory.mktemp("pg"))


@pytest.fixture(scope="session")
async def dsn(server_dsn: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test run."""
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    url = await create_database(server_dsn, name)
    conn = await connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield url
    await drop_database(server_dsn, name)


@pytest.fixture(scope="session")
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(dsn, min_size=1, max_size=10)
    yield p
    await p.close()


@pytest.fixture
async def fresh_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A database of its own for tests that need an empty or exclusive one."""
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    url = await create_database(server_dsn, name)
    yield url
    await drop_database(server_dsn, name)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    path = SHARED / "datasets"
    if not path.exists():
        pytest.skip(f"needs the shared datasets at {path} (absent on this checkout)")
    return path


@pytest.fixture(scope="session")
async def seeded_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A database of its own with the demo business seeded, for end-to-end tests."""
    async with seeded_database(server_dsn) as url:
        yield url


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's router and difficulty models, trained once for the run (the router takes ~15 s of CPU).

    A test that starts the product in a data dir of its own copies them in (`with_trained_models`)
    instead of training again; the models are cached by a hash of the examples, so a copy is what a
    second start of the product would load from its own cache.
    """
    from callcenter.app import load_app
    from callcenter.runtime import build_local_router

    data = tmp_path_factory.mktemp("trained")
    build_local_router(Settings(data_dir=data, backend="local"), load_app())  # type: ignore[call-arg]
    return data / "models"


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory, trained_models: Path) -> Settings:
    """Settings for in-process servers: offline backend, models cached per test run.

    Demo features are on (unsigned voice routes, the resident picker) as in the laptop demo;
    tests/test_secure_defaults.py checks a deployment without them. Every test connects from
    127.0.0.1, so the per-address limits are raised; tests/test_chat_limits.py checks them.
    """
    return Settings(  # type: ignore[arg-type]
        data_dir=with_trained_models(tmp_path_factory.mktemp("data"), trained_models),
        backend="local",
        secret=TEST_SECRET,
        demo_mode=True,
        rate_sessions_per_min=100_000,
        rate_hellos_per_socket_per_min=100_000,
        rate_messages_per_min=1_000,
        rate_messages_per_address_per_min=100_000,
        max_connections_per_address=1_000,
        anonymous_handoffs_per_address_per_hour=100_000,  # tests/test_anonymous_handoff_budget.py checks them
        anonymous_handoffs_per_hour=100_000,
        # Tests share one seeded database: an earlier test's open handoff would absorb a later test's
        # (tests/test_handoff_flood.py checks the budget).
        open_handoffs_per_customer=100_000,
    )


@pytest.fixture
def offline_eval_env(
    server_dsn: str, tmp_path: Path, test_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The environment `run_eval(Settings(), …)` reads for an offline run: the shared server, the run's
    trained router (reused, not trained again), a config file of its own and no provider keys."""
    monkeypatch.setenv("DATABASE_URL", server_dsn)
    monkeypatch.setenv("CALLCENTER_DATA_DIR", str(test_settings.data_dir))
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "callcenter.toml"))
    monkeypatch.setenv("CALLCENTER_BACKEND", "local")
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    yield tmp_path


@pytest.fixture(scope="session")
async def runtime(seeded_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    rt = await build_runtime(test_settings, dsn=seeded_dsn)
    yield rt
    await rt.close()


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The eval generator's templates, read once per run, for `variants` (roughened wordings)."""
    return load_spec(TEMPLATES)


@pytest.fixture(scope="module")
async def night_runtime(server_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    """The product on a database of the module's own, seeded for the trials' night (`seeded.NIGHT`): the module's
    bookings, tickets and handoffs never meet another module's."""
    async with seeded_runtime(server_dsn, test_settings, today=NIGHT.date()) as rt:
        yield rt


@pytest.fixture(scope="module")
async def own_seeded_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A seeded database of the module's own, for tests whose checks read rows other tests also write: the
    desk's queue shows one entry per resident, so another test's resident left waiting on the run's shared
    database would stand in for this test's (which tests ran before depends on the order and on `-n`)."""
    async with seeded_database(server_dsn) as url:
        yield url


@pytest.fixture(scope="module")
async def own_runtime(own_seeded_dsn: str, test_settings: Settings) -> AsyncIterator[Runtime]:
    """The product on `own_seeded_dsn`."""
    rt = await build_runtime(test_settings, dsn=own_seeded_dsn)
    yield rt
    await rt.close()


@pytest.fixture(scope="module")
async def client(runtime: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The product's aiohttp app in-process (chat, desk, voice, transcripts), one per test module."""
    async with TestClient(TestServer(create_app(runtime))) as c:
        yield c


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLMServer]:
    """The project's fake provider (Anthropic and OpenAI wire formats) on a loopback port, seed 0.

    A module that wants another seed or no simulated latency defines its own `fake`, which wins.
    """
    async with FakeLLMServer(seed=0) as server:
        yield server


@pytest.fixture
def own_pg_dir() -> Iterator[Path]:
    """A data dir for an embedded PostgreSQL a test stops and starts (never the shared server).

    Outside pytest's temp root, whose permissions other pytest runs reset to 0700 (the embedded
    server runs as its own user and must traverse every parent). The server is stopped at the end.
    """
    from callcenter.store import embedded

    path = Path(tempfile.mkdtemp(prefix="cc-ops-pg-"))
    try:
        yield path
    finally:
        embedded.stop(path / "pg")
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def debug_logs() -> Iterator[None]:
    """Debug-level structlog output for one test (an earlier command may have set warnings only)."""
    import logging

    import structlog

    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        yield
    finally:
        structlog.configure(**saved)
