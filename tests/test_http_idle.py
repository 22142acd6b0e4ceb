"""Slow and silent HTTP clients (slowloris), as an attacker meets them on the runner `serve` uses."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import aiohttp
from aiohttp import web

from callcenter.cli.server import app_runner
from callcenter.runtime import Runtime
from callcenter.web.server import create_app


async def _closed_within(reader: asyncio.StreamReader, wait_s: float) -> bool:
    """True when the server closed the connection (EOF or reset) within wait_s."""
    try:
        return await asyncio.wait_for(reader.read(65536), wait_s) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False


async def _trickle(host: str, port: int, every_s: float, stop: asyncio.Event) -> None:
    """Send a request head one header line at a time, never finishing it, until the server hangs up."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    i = 0
    try:
        while not stop.is_set():
            await asyncio.sleep(every_s)
            writer.write(f"X-Slow-{i}: {'a' * i}\r\n".encode())
            await writer.drain()
            i += 1
    except ConnectionError:
        return
    finally:
        writer.close()


async def test_silent_and_trickling_connections_are_closed_websockets_are_not(runtime: Runtime) -> None:
    """Red-team F10: 2,000 connections that sent nothing for 25 s (or one header line every 5 s for
    90 s) were all held open and then served. Now the runner's idle timeout closes them; a websocket
    and a normal request are unaffected."""
    settings = runtime.settings.model_copy(update={"http_idle_timeout_s": 1.0})
    runner = app_runner(create_app(dataclasses.replace(runtime, settings=settings)), settings)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        silent = [await asyncio.open_connection(host, port) for _ in range(50)]
        partial = [await asyncio.open_connection(host, port) for _ in range(10)]
        for i, (_, writer) in enumerate(partial):  # half a request line, half a head
            writer.write(b"GET /heal" if i % 2 else b"POST /v1/voice/transcripts HTTP/1.1\r\nHost: x\r\n")
        stop = asyncio.Event()
        tricklers = [asyncio.create_task(_trickle(host, port, 0.2, stop)) for _ in range(5)]
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"http://{host}:{port}/v1/chat") as ws:
                await ws.send_json({"type": "hello"})
                assert (await ws.receive_json(timeout=10))["type"] == "session"
                started = time.monotonic()
                closed = await asyncio.gather(*(_closed_within(r, 5.0) for r, _ in [*silent, *partial]))
                assert all(closed) and time.monotonic() - started < 5.0
                done, _ = await asyncio.wait(tricklers, timeout=5.0)
                assert len(done) == 5  # each trickler saw its connection reset
                await asyncio.sleep(0.5)  # the websocket has now been open past the idle timeout
                await ws.send_json({"type": "ping"})
                assert (await ws.receive_json(timeout=5))["type"] == "pong"
            async with http.get(f"http://{host}:{port}/healthz") as resp:
                assert resp.status == 200
        stop.set()
        for _, writer in [*silent, *partial]:
            writer.close()
    finally:
        await runner.cleanup()
