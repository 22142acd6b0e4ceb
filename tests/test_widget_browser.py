"""The chat widget end to end: the real server, a seeded database and headless Chromium.

This is the only test that proves the pieces a resident actually touches fit together:
the one-tag embed, the demo resident picker, streaming, agent labels, booking writes,
escalation handoff and resuming after a reload. It drives Debian's /usr/bin/chromium and
never downloads a browser.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from browser_harness import chromium, require_browser, served
from seeded import seeded_database

from callcenter.runtime import Runtime, build_runtime
from callcenter.settings import Settings
from callcenter.web.server import create_app

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/widget.png")
REPLY_TIMEOUT_MS = 20_000

FINAL_ASSISTANT = '[data-testid="message-assistant"]:not([data-streaming])'


@dataclass
class LiveServer:
    url: str
    runtime: Runtime


@dataclass
class Frames:
    """Server frames seen by the page's websocket, so the test can check streaming on the wire."""

    received: list[dict[str, Any]] = field(default_factory=list)

    def on_frame(self, payload: str | bytes) -> None:
        try:
            frame = json.loads(payload)
        except ValueError:
            return
        if isinstance(frame, dict):
            self.received.append(frame)


@pytest.fixture(scope="module")
async def widget_db(server_dsn: str) -> AsyncIterator[str]:
    """A database of this module's own, seeded with the demo business (customer 1 = Alex Rivera)."""
    async with seeded_database(server_dsn) as url:
        yield url


@pytest.fixture(scope="module")
async def live_server(widget_db: str) -> AsyncIterator[LiveServer]:
    require_browser()
    # data_dir stays the default so the trained router cache is shared with the CLI and
    # later runs (training takes ~25 s on this machine, loading the cache is instant).
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        backend="local",
        secret="widget-test-secret",
        demo_mode=True,
    )
    runtime = await build_runtime(settings, dsn=widget_db, run_migrations=False)
    try:
        async with served(create_app(runtime)) as url:
            yield LiveServer(url, runtime)
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
async def browser(live_server: LiveServer) -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1200, "height": 820})
    pg = await context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _watch_frames(page: Any) -> Frames:
    frames = Frames()
    page.on("websocket", lambda ws: ws.on("framereceived", frames.on_frame))
    return frames


SOCKET_SPY = """
window.__widgetSockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) { super(...args); window.__widgetSockets.push(this); }
};
"""


async def _open_widget(page: Any, url: str) -> None:
    await page.goto(url)
    launcher = page.get_by_test_id("launcher")
    await launcher.wait_for()
    if await launcher.get_attribute("aria-expanded") != "true":
        await launcher.click()
    await page.get_by_test_id("panel").wait_for(state="visible")


async def _choose_resident(page: Any, name: str) -> None:
    select = page.get_by_test_id("resident-select")
    option = select.locator("option", has_text=name)
    await option.wait_for(state="attached")
    await select.select_option(value=await option.get_attribute("value"))
    await _wait_online(page)
    await page.get_by_test_id("customer").filter(has_text=f"Signed in as {name}").wait_for()


async def _wait_online(page: Any) -> None:
    await page.locator('[data-testid="status"][data-state="online"]').wait_for()


async def _say(page: Any, text: str) -> tuple[str, str | None, bool]:
    """Type a message, press Enter, wait for the final reply: (text, agent, handoff)."""
    before = await page.locator(FINAL_ASSISTANT).count()
    await page.get_by_test_id("input").fill(text)
    await page.get_by_test_id("input").press("Enter")
    reply = page.locator(FINAL_ASSISTANT).nth(before)
    await reply.wait_for(timeout=REPLY_TIMEOUT_MS)
    body = (await reply.locator(".ccw-bubble").inner_text()).strip()
    return body, await reply.get_attribute("data-agent"), await reply.get_attribute("data-handoff") == "true"


async def _booked_ids(live: LiveServer, customer_id: int) -> set[int]:
    rows = await live.runtime.pool.fetch(
        "SELECT id FROM appointments WHERE customer_id = $1 AND status = 'booked'", customer_id
    )
    return {r["id"] for r in rows}


def _next_booking_message(reply: str) -> str:
    """What a resident would answer to the booking agent's last reply."""
    low = reply.lower()
    if "shall i" in low or "(yes or no)" in low:
        return "yes"
    if re.search(r"^\s*1[.)]", reply, re.M):
        return "the first one"
    if "what needs fixing" in low:
        return "my kitchen sink leaks"
    return "tomorrow after 1"


async def test_resident_books_a_repair_reports_gas_and_resumes_after_reload(live_server: LiveServer, page: Any) -> None:
    frames = _watch_frames(page)
    await _open_widget(page, live_server.url)
    await _wait_online(page)
    await _choose_resident(page, "Alex Rivera")
    before = await _booked_ids(live_server, 1)

    # First turn: routed to booking; the reply streams as delta frames (a flow's reply is whole when it
    # is ready, so it goes out as one delta since bb06932) and the final text replaces them on screen.
    reply, agent, handoff = await _say(page, "my kitchen sink leaks")
    assert agent == "booking", reply
    assert not handoff
    label = page.get_by_test_id("agent-label").last
    assert await label.get_attribute("data-agent") == "booking"
    assert "Booking" in await label.inner_text()
    deltas = [f["text"] for f in frames.received if f.get("type") == "delta"]
    finals = [f for f in frames.received if f.get("type") == "message"]
    assert deltas, "the reply should stream as delta frames before the final message"
    assert "".join(deltas) == finals[-1]["text"]
    assert reply == finals[-1]["text"].strip()
    assert await page.locator('[data-testid="message-assistant"][data-streaming]').count() == 0

    # Carry on as a resident would until the booking is confirmed (bounded, never loops forever).
    transcript = [reply]
    for _ in range(6):
        if await _booked_ids(live_server, 1) - before:
            break
        message = _next_booking_message(reply)
        reply, agent, handoff = await _say(page, message)
        transcript.append(f"> {message}\n{reply}")
        assert agent == "booking" and not handoff, "\n".join(transcript)
    new = await _booked_ids(live_server, 1) - before
    assert len(new) == 1, "no appointment was booked:\n" + "\n".join(transcript)
    appt = await live_server.runtime.pool.fetchrow("SELECT kind, category FROM appointments WHERE id = $1", new.pop())
    assert appt["kind"] == "maintenance" and appt["category"] == "plumbing"

    # An emergency goes to escalation and a human is brought in; the badge says so.
    reply, agent, handoff = await _say(page, "I smell gas")
    assert agent == "escalation", reply
    assert handoff
    badge = page.get_by_test_id("handoff").last
    await badge.wait_for()
    assert await badge.is_visible()

    # The conversation follows the newest reply, so the badge is on screen, not scrolled away.
    gap = await page.get_by_test_id("messages").evaluate("l => l.scrollHeight - l.scrollTop - l.clientHeight")
    assert gap < 2
    await page.screenshot(path=str(SCREENSHOT))

    # Reload: the widget resumes the same session and replays what was said.
    users = await page.get_by_test_id("message-user").all_inner_texts()
    assistants = await page.locator(FINAL_ASSISTANT).count()
    await _open_widget(page, live_server.url)
    await _wait_online(page)
    assert await page.get_by_test_id("resident-select").input_value() == "1"
    replayed = page.get_by_test_id("message-user")
    await replayed.nth(len(users) - 1).wait_for()
    assert [t.strip() for t in await replayed.all_inner_texts()] == [t.strip() for t in users]
    assert await page.locator(FINAL_ASSISTANT).count() == assistants
    assert await page.get_by_test_id("agent-label").first.get_attribute("data-agent") == "booking"
    sessions = [f for f in frames.received if f.get("type") == "session"]
    assert sessions[-1]["resumed"] is True


async def test_composer_blocks_empty_and_oversized_messages(live_server: LiveServer, page: Any) -> None:
    frames = _watch_frames(page)
    await page.add_init_script(SOCKET_SPY)
    await _open_widget(page, live_server.url)
    await _wait_online(page)
    send = page.get_by_test_id("send")
    box = page.get_by_test_id("input")

    # Empty and whitespace-only: the button stays disabled and Enter sends nothing.
    assert await send.is_disabled()
    await box.fill("   \n  ")
    assert await send.is_disabled()
    await box.press("Enter")
    assert await page.get_by_test_id("message-user").count() == 0

    # Over the 10,000-character limit: counter flags it, button disabled, nothing sent.
    await box.fill("x" * 10_001)
    assert await send.is_disabled()
    assert await box.get_attribute("aria-invalid") == "true"
    assert "10,001 / 10,000" in await page.get_by_test_id("counter").inner_text()
    assert "Too long by 1" in await page.get_by_test_id("input-hint").inner_text()
    await box.press("End")
    await box.press("Enter")
    assert await page.get_by_test_id("message-user").count() == 0

    # Exactly at the limit is allowed again.
    await box.fill("x" * 10_000)
    assert await send.is_enabled()
    await box.fill("")

    # Should a bad frame reach the server anyway, its error frame shows as an inline notice
    # and the chat stays usable. Sent on the widget's own socket, captured by the init script.
    await page.evaluate("() => window.__widgetSockets.at(-1).send(JSON.stringify({type: 'message', text: ' '}))")
    notice = page.get_by_test_id("error")
    await notice.wait_for()
    assert await notice.get_attribute("data-code") == "empty_message"
    assert await notice.get_attribute("role") == "alert"
    assert [f["code"] for f in frames.received if f.get("type") == "error"] == ["empty_message"]
    reply, agent, _ = await _say(page, "what are the office hours?")
    assert reply and agent


async def test_widget_reconnects_and_keeps_a_session_per_resident(live_server: LiveServer, page: Any) -> None:
    frames = _watch_frames(page)
    await page.add_init_script(SOCKET_SPY)
    await _open_widget(page, live_server.url)
    await _wait_online(page)
    await _choose_resident(page, "Alex Rivera")
    await _say(page, "what are the office hours?")
    alex_session = [f for f in frames.received if f.get("type") == "session"][-1]["session_id"]

    # The connection drops: the widget says so, backs off, reconnects and resumes the session.
    await page.evaluate("() => window.__widgetSockets.at(-1).close()")
    await page.locator('[data-testid="status"][data-state="reconnecting"]').wait_for()
    await _wait_online(page)
    assert await page.evaluate("() => window.__widgetSockets.length") == 2
    resumed = [f for f in frames.received if f.get("type") == "session"][-1]
    assert resumed["session_id"] == alex_session and resumed["resumed"] is True
    assert await page.get_by_test_id("message-user").count() == 1

    # Switching to anonymous starts a separate, empty conversation on the same socket...
    await page.get_by_test_id("resident-select").select_option("anon")
    await page.get_by_test_id("customer").filter(has_text="Not signed in").wait_for()
    await _wait_online(page)
    assert await page.get_by_test_id("message-user").count() == 0
    anon = [f for f in frames.received if f.get("type") == "session"][-1]
    assert anon["session_id"] != alex_session and anon["customer"] is None

    # ...and switching back picks Alex's conversation up where it was.
    await _choose_resident(page, "Alex Rivera")
    await page.get_by_test_id("message-user").first.wait_for()
    back = [f for f in frames.received if f.get("type") == "session"][-1]
    assert back["session_id"] == alex_session
    assert await page.evaluate("() => window.__widgetSockets.length") == 2


# --- quick replies, phones, embedding on another site ------------------------------------------


async def _quick_replies(page: Any) -> list[tuple[str, str]]:
    buttons = page.get_by_test_id("quick-reply")
    return [((await b.inner_text()).strip(), await b.get_attribute("data-send")) for b in await buttons.all()]


async def _tap(page: Any, send: str) -> tuple[str, str | None, bool]:
    """Tap the quick reply that sends `send` and wait for the answer to it."""
    before = await page.locator(FINAL_ASSISTANT).count()
    await page.locator(f'[data-testid="quick-reply"][data-send="{send}"]').click()
    reply = page.locator(FINAL_ASSISTANT).nth(before)
    await reply.wait_for(timeout=REPLY_TIMEOUT_MS)
    body = (await reply.locator(".ccw-bubble").inner_text()).strip()
    return body, await reply.get_attribute("data-agent"), await reply.get_attribute("data-handoff") == "true"


async def test_resident_books_with_quick_reply_buttons_only(live_server: LiveServer, page: Any) -> None:
    await _open_widget(page, live_server.url)
    await _choose_resident(page, "Alex Rivera")
    before = await _booked_ids(live_server, 1)
    reply, agent, _ = await _say(page, "the heating in my bedroom is broken")
    assert agent == "booking", reply

    # Every numbered option of the reply is a button, in order, and tapping one answers with its number.
    options = re.findall(r"^\s*(\d+)\)\s+(.+?)\s*$", reply, re.M)
    assert len(options) >= 2, reply
    assert await _quick_replies(page) == [(label, n) for n, label in options]
    assert await page.get_by_test_id("quick-replies").get_attribute("role") == "group"
    reply, agent, _ = await _tap(page, "1")
    assert (await page.get_by_test_id("message-user").last.locator(".ccw-bubble").inner_text()).strip() == "1"

    # The confirmation is a yes/no question: Yes and No buttons; Yes books it.
    transcript = [reply]
    for _ in range(3):
        if await _quick_replies(page) == [("Yes", "yes"), ("No", "no")]:
            break
        reply, agent, _ = await _tap(page, "1")
        transcript.append(reply)
    assert await _quick_replies(page) == [("Yes", "yes"), ("No", "no")], transcript
    reply, agent, handoff = await _tap(page, "yes")
    assert agent == "booking" and not handoff, reply
    assert len(await _booked_ids(live_server, 1) - before) == 1, reply
    # Answered: the buttons of the last question are gone unless the new reply asks again.
    assert await _quick_replies(page) == [] or "?" in reply


@pytest.mark.parametrize("height", [664, 844])
async def test_phone_layout_at_390px_has_nothing_on_top_of_the_chat(
    live_server: LiveServer, browser: Any, height: int
) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": height}, has_touch=True, is_mobile=True)
    page = await context.new_page()
    try:
        await _open_widget(page, live_server.url)
        await _wait_online(page)
        await page.get_by_test_id("input").fill("what are the office hours?")
        panel = await page.get_by_test_id("panel").bounding_box()
        assert panel["x"] >= 0 and panel["y"] >= 0
        assert panel["x"] + panel["width"] <= 390 and panel["y"] + panel["height"] <= height
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
        # What a thumb reaches for is on top: the input, Send and Close are not covered by anything.
        for testid in ("input", "send", "close", "resident-select"):
            hit = await page.get_by_test_id(testid).evaluate(
                """el => { const r = el.getBoundingClientRect();
                           const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                           return el === top || el.contains(top); }"""
            )
            assert hit, f"{testid} is covered at 390x{height}"
        assert not await page.get_by_test_id("launcher").is_visible()
        await page.get_by_test_id("close").click()
        assert await page.get_by_test_id("panel").is_hidden()
        assert await page.get_by_test_id("launcher").is_visible()
        await page.screenshot(path=f"/tmp/widget-390x{height}.png")
    finally:
        await context.close()


async def test_widget_embedded_on_another_origin_lists_residents_and_chats(
    live_server: LiveServer, page: Any, widget_db: str
) -> None:
    """A property site on another origin embeds the one tag: the demo picker fills (CORS) and chat works."""
    with socket.socket() as probe:  # the host site's port, known before the chat server is configured
        probe.bind(("localhost", 0))
        port = int(probe.getsockname()[1])
    settings = Settings(
        _env_file=None,
        backend="local",
        secret="widget-test-secret-of-32-bytes-or-more",  # type: ignore[call-arg]
        demo_mode=True,
        allowed_origins=f"http://localhost:{port}",
    )
    runtime = await build_runtime(settings, dsn=widget_db, run_migrations=False)
    api_runner = web.AppRunner(create_app(runtime))
    await api_runner.setup()
    await web.TCPSite(api_runner, "127.0.0.1", 0).start()
    api = f"http://127.0.0.1:{api_runner.addresses[0][1]}"
    ws_url = api.replace("http://", "ws://") + "/v1/chat"
    host_page = (
        "<!doctype html><html><head><title>Another site</title></head><body><h1>Another site</h1>"
        f'<script src="{api}/static/widget.js" data-server="{ws_url}" defer></script></body></html>'
    )

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=host_page, content_type="text/html")

    site_app = web.Application()
    site_app.router.add_get("/", index)
    runner = web.AppRunner(site_app)
    await runner.setup()
    tcp = web.TCPSite(runner, "localhost", port)
    await tcp.start()
    try:
        other = f"http://localhost:{port}/"
        assert other.split("/")[2] != api.split("/")[2]  # really another origin
        await _open_widget(page, other)
        await _wait_online(page)
        await _choose_resident(page, "Alex Rivera")
        reply, agent, _ = await _say(page, "what is my balance?")
        assert agent == "billing", reply
    finally:
        await runner.cleanup()
        await api_runner.cleanup()
        await runtime.close()


async def test_favicon_is_served(live_server: LiveServer, page: Any) -> None:
    resp = await page.request.get(live_server.url + "/favicon.ico")
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("image/")
