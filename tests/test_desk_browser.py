"""The desk console and the widget together in real headless Chromium, two browser contexts.

A resident asks for a person in the widget; an operator (a supervisor) takes the handoff in
the console at /desk/, sees the per-turn trace, replies; the resident sees the reply and
answers; the operator sees the answer and releases; the bot answers the resident again. The
supervisor's dashboard draws its charts from the real report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from browser_harness import chromium as launched_chromium
from browser_harness import require_browser, served

from callcenter.runtime import Runtime
from callcenter.web.server import create_app
from tests.desk_helpers import ASK_FOR_PERSON, new_operator
from tests.test_widget_browser import (
    FINAL_ASSISTANT,
    REPLY_TIMEOUT_MS,
    _choose_resident,
    _open_widget,
    _wait_online,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
async def desk_url(own_runtime: Runtime) -> AsyncIterator[str]:
    require_browser()
    async with served(create_app(own_runtime)) as url:
        yield url


@pytest.fixture(scope="module")
async def chromium(desk_url: str) -> AsyncIterator[Any]:
    async with launched_chromium() as browser:
        yield browser


async def _context_page(browser: Any, errors: list[str]) -> tuple[Any, Any]:
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


async def test_operator_takes_over_from_the_bot_and_hands_back(
    desk_url: str, chromium: Any, own_runtime: Runtime
) -> None:
    errors: list[str] = []
    resident_ctx, resident = await _context_page(chromium, errors)
    operator_ctx, desk = await _context_page(chromium, errors)
    name, token = await new_operator(
        own_runtime.pool, own_runtime.settings.secret.get_secret_value(), role="supervisor"
    )
    resident_name = await own_runtime.pool.fetchval("SELECT full_name FROM customers WHERE id = 3")
    try:
        # The operator signs in by pasting the token; the queue is live.
        await desk.goto(desk_url + "/desk/")
        await desk.get_by_test_id("token").fill(token)
        await desk.get_by_test_id("signin-submit").click()
        await desk.get_by_test_id("operator").filter(has_text=name).wait_for()

        # The resident asks for a person in the widget.
        await _open_widget(resident, desk_url)
        await _wait_online(resident)
        await _choose_resident(resident, resident_name)
        await resident.get_by_test_id("input").fill(ASK_FOR_PERSON)
        await resident.get_by_test_id("input").press("Enter")
        first = resident.locator(FINAL_ASSISTANT).first
        await first.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert await first.get_attribute("data-handoff") == "true"

        # It appears in the console's queue (pushed, no reload) with priority, channel and waiting time.
        item = desk.locator('[data-testid="queue-item"]', has_text=resident_name).first
        await item.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert (await item.get_by_test_id("channel").inner_text()) == "chat"
        assert await item.get_by_test_id("priority").inner_text()
        assert (await item.get_by_test_id("waiting").inner_text()).endswith("s")
        await item.get_by_test_id("take").click()

        # The conversation and its per-turn trace (router verdict, tier, tools, cost).
        conv = desk.get_by_test_id("conversation")
        await conv.locator('[data-role="user"]', has_text=ASK_FOR_PERSON).wait_for()
        turn = desk.get_by_test_id("trace-turn").first
        await turn.wait_for()
        trace_text = await turn.inner_text()
        assert "escalation" in trace_text and "handoff_to_human" in trace_text and "$" in trace_text

        await desk.screenshot(path="/tmp/desk-conversation.png")
        await desk.get_by_test_id("reply-input").fill("Hello, this is a person from the office.")
        await desk.get_by_test_id("reply-send").click()
        person = resident.get_by_test_id("message-agent").filter(has_text="this is a person from the office")
        await person.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert name in await person.inner_text()

        # The resident answers; the bot stays quiet and the operator sees it.
        await resident.get_by_test_id("input").fill("Thanks! My balcony door will not lock.")
        await resident.get_by_test_id("input").press("Enter")
        await conv.locator('[data-role="user"]', has_text="balcony door will not lock").wait_for(
            timeout=REPLY_TIMEOUT_MS
        )
        assert await resident.locator(FINAL_ASSISTANT).count() == 1
        assert await resident.locator("[data-streaming]").count() == 0

        # Released with a note: the bot answers the resident's next message.
        await desk.get_by_test_id("release-note").fill("Balcony door lock broken; resident home all week.")
        await desk.get_by_test_id("release").click()
        await desk.get_by_test_id("conversation-title").filter(has_text="Released").wait_for()
        await resident.get_by_test_id("input").fill("What are the office hours?")
        await resident.get_by_test_id("input").press("Enter")
        await resident.locator(FINAL_ASSISTANT).nth(1).wait_for(timeout=REPLY_TIMEOUT_MS)

        # The supervisor's dashboard: charts drawn from the real report.
        await desk.get_by_test_id("tab-dashboard").click()
        await desk.get_by_test_id("chart-cost-route").wait_for()
        for chart in (
            "chart-cost-route",
            "chart-cost-agent",
            "chart-p95",
            "chart-handoff",
            "chart-tier-mix",
            "chart-savings",
        ):
            assert await desk.get_by_test_id(chart).count() == 1
        assert await desk.locator('[data-testid="chart-handoff"] rect').count() >= 1
        assert "%" in await desk.get_by_test_id("kpi-handoff").inner_text()
        await desk.screenshot(path="/tmp/desk-dashboard.png")
        await desk.get_by_test_id("tab-live").click()
        await desk.locator('[data-testid="live-item"]', has_text=resident_name).first.wait_for()
        await desk.screenshot(path="/tmp/desk-live.png")
    finally:
        await resident_ctx.close()
        await operator_ctx.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"


async def test_a_bad_token_is_refused_with_a_message(desk_url: str, chromium: Any) -> None:
    errors: list[str] = []
    ctx, page = await _context_page(chromium, errors)
    try:
        await page.goto(desk_url + "/desk/")
        await page.get_by_test_id("token").fill("v1.1.9999999999.not-an-operator")
        await page.get_by_test_id("signin-submit").click()
        error = page.get_by_test_id("signin-error")
        await error.filter(has_text="customer token").wait_for()
        assert await error.get_attribute("data-code") == "invalid_token"
    finally:
        await ctx.close()
    assert not errors
