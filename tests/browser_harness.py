"""Headless Chromium and the product served on a real port, for the browser tests (widget, desk).

They drive Debian's /usr/bin/chromium through playwright and never download a browser; where either
is missing the test is skipped with what to install, not failed.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_browser() -> Any:
    """playwright's async API, or a skip saying what is missing."""
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"needs Debian chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright import async_api
    except ImportError:
        pytest.skip("needs the playwright package (pip install playwright; browsers are not downloaded)")
    return async_api


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """`app` on a free loopback port, as a browser reaches it; its base URL. Stopped after."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless Chromium (playwright's Browser), closed after."""
    async_api = require_browser()
    async with async_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
