"""The shared drain on a real aiohttp server: in-flight work finishes, sockets close with 1012."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import WSMsgType, web

from callcenter.shutdown import DRAIN_KEY, install_drain


async def _start(drain_s: float, work_s: float, farewells: list[str]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    install_drain(app, drain_s)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        drain = request.app[DRAIN_KEY]
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        async def farewell() -> None:
            farewells.append("bye")
            await ws.send_str("bye")

        with drain.track(ws, farewell=farewell):
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if drain.stopping:
                    await ws.send_str("refused")
                    continue
                async with drain.busy():
                    await asyncio.sleep(work_s)
                    await ws.send_str("done:" + msg.data)
        return ws

    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, shutdown_timeout=drain_s + 1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/ws"


async def test_turn_in_flight_finishes_then_the_socket_closes_with_1012() -> None:
    farewells: list[str] = []
    closed: list[str] = []
    runner, url = await _start(drain_s=5, work_s=0.5, farewells=farewells)
    runner.app[DRAIN_KEY].on_close(lambda: _note(closed, "providers"))
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_str("turn")
        await asyncio.sleep(0.1)  # the turn is running
        stopping = asyncio.create_task(runner.cleanup())
        got = [await ws.receive(), await ws.receive(), await ws.receive()]
        await stopping
    assert got[0].data == "done:turn"  # finished, not cut
    assert got[1].data == "bye"
    assert got[2].type == WSMsgType.CLOSE and got[2].data == 1012
    assert farewells == ["bye"] and closed == ["providers"]


async def test_a_turn_slower_than_the_drain_does_not_hold_shutdown() -> None:
    runner, url = await _start(drain_s=0.3, work_s=30, farewells=[])
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_str("slow")
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        stopping = asyncio.create_task(runner.cleanup())
        msgs = [await ws.receive(), await ws.receive()]
        assert msgs[0].data == "bye"
        assert msgs[1].type == WSMsgType.CLOSE and msgs[1].data == 1012
        assert loop.time() - started < 1
        await stopping  # the stuck turn is cancelled after the grace period
        assert loop.time() - started < 3


async def _note(closed: list[str], what: str) -> None:
    closed.append(what)
