"""The fake model-provider HTTP server: Anthropic Messages and OpenAI Chat Completions on loopback.

Tests and users' CI point the real `anthropic` / `openai` SDK clients at it through
`base_url`, so provider code runs its real request/parse path with no network and no key.
Each request is answered by the next scripted item (`FakeLLMServer.script`) or, when none
is queued, by the modelled behaviour (callcenter/fakellm/modelled.py); with `pace` > 0 every
answer takes the modelled time to first token and streams at the modelled tokens/s of its
tier (callcenter/fakellm/pacing.py). Wire shapes live in
wire_anthropic.py / wire_openai.py; this module only does HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import structlog
from aiohttp import web

from callcenter.fakellm import wire_anthropic, wire_openai
from callcenter.fakellm.cache_diagnostics import DiagnosticsLog
from callcenter.fakellm.modelled import ModelledBehaviour
from callcenter.fakellm.oracle import decode_oracle
from callcenter.fakellm.pacing import Pace
from callcenter.fakellm.prompt import Completion, Prompt, count_tokens
from callcenter.fakellm.script import Fail, Reply, Script, ScriptItem

log = structlog.get_logger(__name__)

DEFAULT_MODELS: tuple[str, ...] = (
    "claude-haiku-4-5",
    "claude-sonnet-4-6",
    "claude-opus-4-7",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-4.1-mini",
)
_SECRET_HEADERS = frozenset({"authorization", "x-api-key"})


@dataclass(frozen=True)
class RecordedRequest:
    """One generation request as the server received it (credentials redacted)."""

    api: str  # "anthropic" | "openai"
    path: str
    model: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float = 0.0  # time.perf_counter() when its body was read (benches time the turn's work before it)


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


class _Pacer:
    """Output tokens at a steady rate: token k goes out at start + k x interval (a deadline, so
    the event loop's sleep overshoot does not add up over a long reply)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.start: float | None = None
        self.count = 0

    async def tick(self) -> None:
        if self.interval <= 0:
            return
        loop = asyncio.get_running_loop()
        if self.start is None:
            self.start = loop.time()
            return
        self.count += 1
        await _sleep(self.start + self.count * self.interval - loop.time())


class FakeLLMServer:
    """Async context manager running the fake provider on `host:port` (0 = any free port)."""

    def __init__(
        self,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_scale: float = 1.0,
        models: Sequence[str] = DEFAULT_MODELS,
        pace: float = 0.0,
    ) -> None:
        self.seed = seed
        self.pace = Pace(pace)
        self.host = host
        self._port = port
        self.models = tuple(models)
        self.diagnostics = DiagnosticsLog()
        self.modelled = ModelledBehaviour(seed=seed, latency_scale=latency_scale)
        self.requests: list[RecordedRequest] = []
        self._script = Script()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.app = self._build_app()

    # ---- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        addr = self._runner.addresses[0]
        self._port = int(addr[1])
        log.info("fakellm.started", base_url=self.base_url, seed=self.seed)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeLLMServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """For `anthropic.AsyncAnthropic(base_url=...)` (the SDK adds /v1/messages)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def openai_base_url(self) -> str:
        """For `openai.AsyncOpenAI(base_url=...)` (the SDK adds /chat/completions)."""
        return self.base_url + "/v1"

    # ---- test controls --------------------------------------------------------------

    def script(self, items: Iterable[ScriptItem], model: str | None = None) -> None:
        """Queue replies/failures, consumed one per request in order. With `model`, only
        requests for that model id take them."""
        self._script.add(items, model)

    def script_entries(self, entries: Iterable[tuple[str | None, ScriptItem]]) -> None:
        """Queue (model, item) pairs as read by `load_script`."""
        for model, item in entries:
            self._script.add([item], model)

    @property
    def pending(self) -> int:
        """Scripted items not consumed yet."""
        return len(self._script)

    def reset(self) -> None:
        """Forget recorded requests, queued script items and the prompt caches."""
        self.requests.clear()
        self._script.clear()
        self.modelled.reset()

    # ---- HTTP -----------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/messages", self._anthropic_messages)
        app.router.add_post("/v1/messages/count_tokens", self._anthropic_count_tokens)
        app.router.add_post("/v1/chat/completions", self._openai_chat)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model_id}", self._get_model)
        app.router.add_get("/health", self._health)
        return app

    def _next_id(self) -> int:
        return next(self._ids)

    @staticmethod
    def _is_anthropic(request: web.Request) -> bool:
        return "anthropic-version" in request.headers or "x-api-key" in request.headers

    @staticmethod
    def _has_key(request: web.Request) -> bool:
        if request.headers.get("x-api-key", "").strip():
            return True
        auth = request.headers.get("authorization", "")
        return auth.lower().startswith("bearer ") and bool(auth[7:].strip())

    def _error(self, api: str, status: int, message: str = "", retry_after: float | None = None) -> web.Response:
        rid = f"req_fake{self._next_id():08d}"
        headers = {"request-id": rid, "x-request-id": rid}
        if retry_after is not None:
            headers["retry-after"] = f"{retry_after:g}"
            headers["retry-after-ms"] = str(round(retry_after * 1000))
        if api == "anthropic":
            body = wire_anthropic.error_body(status, message, rid)
        else:
            body = wire_openai.error_body(status, message)
        return web.json_response(body, status=status, headers=headers)

    async def _read(self, request: web.Request, api: str) -> dict[str, Any] | web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(api, 400, "request body is not valid JSON")
        if not isinstance(body, dict):
            return self._error(api, 400, "request body must be a JSON object")
        return body

    def _record(self, request: web.Request, api: str, body: dict[str, Any]) -> None:
        headers = {k.lower(): ("<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in request.headers.items()}
        model = body.get("model")
        self.requests.append(
            RecordedRequest(
                api, request.path, model if isinstance(model, str) else None, body, headers, time.perf_counter()
            )
        )

    def _resolve(self, request: web.Request, prompt: Prompt) -> Completion | Fail | web.Response:
        """Scripted item if one is queued for this model, else the modelled reply."""
        item = self._script.take(prompt.model)
        if isinstance(item, Fail):
            return item
        if isinstance(item, Reply):
            return self._paced(prompt.model, self.modelled.scripted(prompt, item))
        raw_difficulty = request.headers.get("x-fake-difficulty")
        try:
            difficulty = None if raw_difficulty is None else float(raw_difficulty)
            oracle = decode_oracle(request.headers.get("x-fake-oracle"))
        except ValueError as exc:
            return self._error(prompt.api, 400, str(exc))
        return self._paced(prompt.model, self.modelled.respond(prompt, difficulty=difficulty, oracle=oracle))

    def _paced(self, model: str, completion: Completion) -> Completion:
        """The completion with the modelled time to first token and output speed added (pacing.py)."""
        if self.pace.scale <= 0:
            return completion
        return replace(
            completion,
            ttft_s=completion.ttft_s + self.pace.ttft_s(model),
            token_s=max(completion.token_s, self.pace.token_s(model)),
        )

    async def _generation(
        self, request: web.Request, api: str
    ) -> tuple[dict[str, Any], Completion] | web.StreamResponse:
        """Shared front half of both generation endpoints: parse, record, auth, validate, resolve."""
        body = await self._read(request, api)
        if isinstance(body, web.Response):
            return body
        self._record(request, api, body)
        if not self._has_key(request):
            return self._error(api, 401, "")
        wire = wire_anthropic if api == "anthropic" else wire_openai
        problem = wire.validate_request(body)
        if problem:
            return self._error(api, 400, problem)
        prompt = wire.read_prompt(body)
        outcome = self._resolve(request, prompt)
        if isinstance(outcome, web.StreamResponse):
            return outcome
        if isinstance(outcome, Fail):
            log.info("fakellm.fail", api=api, model=prompt.model, status=outcome.status)
            return self._error(api, outcome.status, outcome.message, outcome.retry_after)
        log.debug("fakellm.reply", api=api, model=prompt.model, stop=outcome.stop, stream=bool(body.get("stream")))
        if outcome.delay_s > 0:
            await asyncio.sleep(outcome.delay_s)
        return body, outcome

    async def _anthropic_messages(self, request: web.Request) -> web.StreamResponse:
        got = await self._generation(request, "anthropic")
        if isinstance(got, web.StreamResponse):
            return got
        body, completion = got
        n = self._next_id()
        msg_id = f"msg_fake{n:012d}"
        tool_ids = [f"toolu_fake{n:08d}{i:04d}" for i in range(len(completion.tool_calls))]
        model = str(body["model"])
        headers = {"request-id": f"req_fake{n:08d}"}
        diagnostics = self.diagnostics.diagnose(body, msg_id)
        if not body.get("stream"):
            await _sleep(completion.ttft_s + completion.token_s * completion.usage.output_tokens)
            message = wire_anthropic.message_body(msg_id, model, completion, tool_ids)
            if diagnostics is not None:
                message["diagnostics"] = diagnostics
            return web.json_response(message, headers=headers)
        events = wire_anthropic.stream_events(msg_id, model, completion, tool_ids)
        if diagnostics is not None:
            events[0][1]["message"]["diagnostics"] = diagnostics
        resp = await self._open_stream(request, headers)
        pacer = _Pacer(completion.token_s)
        try:
            for i, (event, data) in enumerate(events):
                if i == 2:  # after message_start + ping
                    await _sleep(completion.ttft_s)
                if event == "content_block_delta":
                    await pacer.tick()
                await resp.write(wire_anthropic.sse(event, data))
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            log.debug("fakellm.client_gone", api="anthropic")
            raise
        return resp

    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        got = await self._generation(request, "openai")
        if isinstance(got, web.StreamResponse):
            return got
        body, completion = got
        n = self._next_id()
        cid = f"chatcmpl-fake{n:012d}"
        call_ids = [f"call_fake{n:08d}{i:04d}" for i in range(len(completion.tool_calls))]
        model = str(body["model"])
        created = int(time.time())
        top = int(body.get("top_logprobs") or 0)
        headers = {"x-request-id": f"req_fake{n:08d}"}
        if not body.get("stream"):
            await _sleep(completion.ttft_s + completion.token_s * completion.usage.output_tokens)
            return web.json_response(
                wire_openai.completion_body(cid, created, model, completion, call_ids, top), headers=headers
            )
        options = body.get("stream_options") or {}
        chunks = wire_openai.stream_chunks(
            cid,
            created,
            model,
            completion,
            call_ids,
            include_usage=bool(options.get("include_usage")),
            top_logprobs=top,
        )
        resp = await self._open_stream(request, headers)
        pacer = _Pacer(completion.token_s)
        try:
            for i, chunk in enumerate(chunks):
                if i == 1:  # after the role chunk
                    await _sleep(completion.ttft_s)
                if i > 0 and chunk["choices"] and chunk["choices"][0]["delta"]:
                    await pacer.tick()
                await resp.write(wire_openai.sse(chunk))
            await resp.write(wire_openai.DONE)
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            log.debug("fakellm.client_gone", api="openai")
            raise
        return resp

    @staticmethod
    async def _open_stream(request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
        resp = web.StreamResponse(
            status=200,
            headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", **headers},
        )
        await resp.prepare(request)
        return resp

    async def _anthropic_count_tokens(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request, "anthropic")
        if isinstance(body, web.Response):
            return body
        if not self._has_key(request):
            return self._error("anthropic", 401)
        segments = wire_anthropic.prompt_segments(body)
        return web.json_response({"input_tokens": count_tokens("".join(s.text for s in segments))})

    async def _list_models(self, request: web.Request) -> web.StreamResponse:
        api = "anthropic" if self._is_anthropic(request) else "openai"
        if not self._has_key(request):
            return self._error(api, 401)
        if api == "anthropic":
            return web.json_response(wire_anthropic.models_page(self.models))
        return web.json_response(wire_openai.models_list(self.models))

    async def _get_model(self, request: web.Request) -> web.StreamResponse:
        api = "anthropic" if self._is_anthropic(request) else "openai"
        if not self._has_key(request):
            return self._error(api, 401)
        model_id = request.match_info["model_id"]
        if model_id not in self.models:
            return self._error(api, 404, f"model: {model_id}")
        if api == "anthropic":
            return web.json_response(wire_anthropic.model_info(model_id))
        return web.json_response(wire_openai.model_object(model_id))

    async def _health(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True, "pending_script": len(self._script), "requests": len(self.requests)})
