"""Time to first delta vs time to the final message on the model path, with and without
verified sentence streaming, in the same run.

The fake provider streams at its modelled per-tier speed (`pace` 1.0 = modelled real time:
Claude Haiku's modelled time to first token and tokens/s, callcenter/fakellm/pacing.py), so
the figures are MODELLED. Three turns of the general agent, each a reply of several
sentences whose first ones claim nothing and whose later ones quote times or promise
(held until verified):

* `tool, then reply`: a handbook search, then the reply (two model calls);
* `preamble + tool, then reply`: the same, the model saying "let me check" with its tool call;
* `direct reply`: no tool.

No stream sends before the model's first text token, so `first token / final` is the floor
of `first delta / final`: with the modelled time to first token of 0.35 s and 160 tokens/s,
a reply of three short sentences after a tool call cannot go below about two thirds,
however it is streamed. "After model's first token" is what the streaming path adds.

The baseline is the same turn with `verified_streaming` off (verify the whole reply, then
send it), measured in the same run. Each turn is cut into phases: the turn's own work before
its model request reaches the provider (storing the message, routing, planning, building the
request, the connection), the model's time to first token, and the work after the model's last
token until the final message (verification, recording the call, storing the reply).

`--idle S` adds turns that follow a resident's pause of S seconds (longer than the SDK's 5 s
keep-alive), on the SDK's own HTTP client and on ours that keeps the connection open for 60 s
(providers/keepalive.py): the same run, the same turns, one switch. Loopback has no handshake,
so these turns go through a proxy (`Handshake`) where a new connection costs `--handshake-ms`
(60: TCP + TLS 1.3 to an API ~30 ms away) and a reused one nothing.

`--grid` measures the share first delta / final message by tier (Haiku, Sonnet, Opus) and reply
length, for claim-free replies whose first sentence is 5 tokens, beside the modelled floor
(fakellm/pacing.first_sentence_share: the same arithmetic with no work of our own).

    python -m bench.streaming_bench [--turns 5] [--pace 1.0] [--idle 6] [--grid]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REPLY = (
    "Thanks for asking! I'm happy to help with that. "
    "The office is open Monday to Friday, 9:00 AM to 6:00 PM, and Saturday 10:00 AM to 4:00 PM. "
    "It is closed on Sundays and public holidays. Is there anything else I can help with?"
)
GOODBYE = (
    "You're very welcome! It was a pleasure to help you today. "
    "If anything else comes up, I'll be right here, any time of the day or night, for visits, billing or "
    "building questions."
)


def cases() -> list[tuple[str, str, list[Any], str]]:
    """(label, what the resident says, the scripted model turns, text the reply must contain)."""
    from callcenter.fakellm import Reply, ToolCall

    search = ToolCall("search_knowledge_base", {"query": "office hours"})
    return [
        ("tool, then reply", "what are the office hours?", [Reply(tool_calls=[search]), Reply(text=REPLY)], "9:00 AM"),
        (
            "preamble + tool, then reply",
            "what are the office hours?",
            [Reply(text="Let me check the handbook for you. ", tool_calls=[search]), Reply(text=REPLY)],
            "9:00 AM",
        ),
        ("direct reply", "thanks, that's all", [Reply(text=GOODBYE)], "right here"),
    ]


class FirstToken:
    """Wraps a provider to note when the model's first text delta arrives."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.at: float | None = None
        self.last: float | None = None

    async def complete(self, model: Any, request: Any, on_delta: Any = None) -> Any:
        if on_delta is None:
            return await self.inner.complete(model, request, None)

        async def noted(piece: str) -> None:
            self.last = time.perf_counter()
            if self.at is None:
                self.at = self.last
            await on_delta(piece)

        return await self.inner.complete(model, request, noted)


class Handshake:
    """A loopback proxy in front of the fake provider whose every new connection costs `delay_s` before
    its first byte goes through: the TCP and TLS handshake to a real API (loopback has none), so that
    opening a connection costs what it does in production. A reused connection costs nothing."""

    def __init__(self, upstream: str, delay_s: float) -> None:
        self.host, port = upstream.removeprefix("http://").split("/")[0].split(":")
        self.port, self.delay_s = int(port), delay_s
        self.opened = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        await asyncio.sleep(self.delay_s)
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


FILLER = (
    "The building office keeps the list of open spaces. ",
    "They can also tell you about the waiting list. ",
    "Most residents find the portal the quickest way to reach them. ",
    "You can also stop by the office during the week. ",
    "The team there knows every building and its rules. ",
)


def claim_free_reply(tokens: int) -> str:
    """A reply of about `tokens` output tokens (4 characters each) of claim-free sentences; the first is 5 tokens."""
    from callcenter.fakellm.prompt import CHARS_PER_TOKEN

    text, i = "Thanks for asking! ", 0
    while len(text) < tokens * CHARS_PER_TOKEN - 50:
        text += FILLER[i % len(FILLER)]
        i += 1
    return text + "Would you like me to pass your question to them?"


TIERS = {"claude-haiku-4-5": "cheap-only", "claude-sonnet-4-6": "mid-only", "claude-opus-4-7": "frontier-only"}
GRID_TOKENS = (40, 80, 120, 160, 240)


async def one_turn(
    runtime: Any, fake: Any, provider: FirstToken, said: str, script: list[Any], model: str
) -> tuple[dict[str, float], str]:
    """One model-path turn on a new session: its phases in seconds from the message, and the reply."""
    session = (await runtime.orchestrator.open_session(channel="bench", customer_id=None)).id
    fake.script(script, model=model)
    first: list[float] = []

    async def on_delta(piece: str) -> None:
        if not first:
            first.append(time.perf_counter())

    provider.at = provider.last = None
    asked = len(fake.requests)
    t0 = time.perf_counter()
    result = await runtime.orchestrator.handle_turn(session, said, on_delta=on_delta)
    final = time.perf_counter() - t0
    token = (provider.at or first[0]) - t0
    phases = {
        "request_s": fake.requests[asked].received_at - t0,  # the turn's work before the model request
        "first_token_s": token,
        "first_delta_s": first[0] - t0,
        "after_first_token_s": first[0] - t0 - token,
        "last_token_s": (provider.last or first[0]) - t0,
        "after_last_token_s": final - ((provider.last or first[0]) - t0),
        "final_s": final,
    }
    return phases, result.text


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    med["first_delta_share_of_final"] = med["first_delta_s"] / med["final_s"]
    med["first_token_share_of_final"] = med["first_token_s"] / med["final_s"]  # the floor: nothing before it
    return med


async def run(
    turns: int, pace: float, idle_s: float = 0.0, grid: bool = False, handshake_s: float = 0.06
) -> dict[str, Any]:
    from callcenter.fakellm import FakeLLMServer, Reply
    from callcenter.fakellm.pacing import first_sentence_share
    from callcenter.fakellm.prompt import count_tokens
    from callcenter.providers.anthropic_provider import AnthropicProvider
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.client import ModelClient
    from callcenter.providers.recorder import PostgresCallRecorder
    from callcenter.runtime import build_runtime
    from callcenter.settings import Settings
    from callcenter.specialists.model_backend import ModelBackend
    from callcenter.specialists.tier_policy import get_policy
    from callcenter.store.db import create_database, drop_database, resolve_dsn

    settings = Settings(backend="local")
    server_dsn = resolve_dsn(settings)
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(server_dsn, name)
    out: dict[str, Any] = {"turns": turns, "pace": pace, "modelled": True, "cases": {}, "idle": {}, "grid": {}}
    haiku = "claude-haiku-4-5"
    try:
        async with FakeLLMServer(seed=1, pace=pace) as fake:
            runtime = await build_runtime(settings, dsn=dsn)
            provider = FirstToken(AnthropicProvider(api_key="fake", base_url=fake.base_url))
            client = ModelClient(Catalog.load(), {"anthropic": provider}, PostgresCallRecorder(runtime.pool))  # type: ignore[dict-item]

            def backend(policy: str = "cheap-only", streaming: bool = True) -> ModelBackend:
                return ModelBackend(client, get_policy(policy), stream_sentences=streaming)

            for label, said, script, expect in cases():
                for mode, streaming in (("verify-then-send", False), ("sentence streaming", True)):
                    runtime.orchestrator.backend = backend(streaming=streaming)
                    done = [await one_turn(runtime, fake, provider, said, script, haiku) for _ in range(turns)]
                    if any(expect not in text for _, text in done):
                        raise RuntimeError(f"unexpected reply in the bench: {done[0][1]!r}")
                    out["cases"][f"{label} | {mode}"] = summary([phases for phases, _ in done])
            for label, *_ in cases():
                base = out["cases"][f"{label} | verify-then-send"]["first_delta_s"]
                ours = out["cases"][f"{label} | sentence streaming"]
                ours["first_delta_speedup_vs_verify_then_send"] = base / ours["first_delta_s"]
            if idle_s > 0:  # a resident's pause between turns, longer than the SDK's 5 s keep-alive
                import anthropic

                _, said, script, _ = cases()[2]
                async with Handshake(fake.base_url, handshake_s) as far:
                    for mode in ("SDK keep-alive (5 s)", "kept open (providers/keepalive.py)"):
                        sdk = anthropic.AsyncAnthropic(api_key="fake", base_url=far, max_retries=0)
                        remote = FirstToken(
                            AnthropicProvider(
                                api_key="fake", base_url=far, client=sdk if mode.startswith("SDK") else None
                            )
                        )
                        providers: dict[str, Any] = {"anthropic": remote}
                        far_client = ModelClient(Catalog.load(), providers, PostgresCallRecorder(runtime.pool))
                        runtime.orchestrator.backend = ModelBackend(far_client, get_policy("cheap-only"))
                        rows = []
                        for _ in range(turns + 1):  # the first turn opens the connection in both
                            await asyncio.sleep(idle_s)
                            rows.append((await one_turn(runtime, fake, remote, said, script, haiku))[0])
                        out["idle"][mode] = summary(rows[1:])
                        await remote.inner.aclose()
                        await sdk.close()
                out["idle_s"], out["handshake_s"] = idle_s, handshake_s
            if grid:
                for model, policy in TIERS.items():
                    runtime.orchestrator.backend = backend(policy)
                    for tokens in GRID_TOKENS:
                        reply = claim_free_reply(tokens)
                        script = [Reply(text=reply)]
                        done = [await one_turn(runtime, fake, provider, "thanks!", script, model) for _ in range(turns)]
                        med = summary([phases for phases, _ in done])
                        n = count_tokens(reply)
                        med["reply_tokens"] = n
                        med["modelled_floor"] = first_sentence_share(model, n, count_tokens("Thanks for asking! "))
                        med["modelled_with_our_work_before"] = first_sentence_share(
                            model, n, count_tokens("Thanks for asking! "), before_s=med["request_s"]
                        )
                        out["grid"][f"{model} | {n} tokens"] = med
            await runtime.close()
            await provider.inner.aclose()
    finally:
        await drop_database(server_dsn, name)
    return out


def _line(key: str, m: dict[str, float]) -> str:
    return (
        f"  {key:48s} request {1000 * m['request_s']:4.0f} ms  first token {1000 * m['first_token_s']:5.0f}"
        f"  first delta {1000 * m['first_delta_s']:5.0f}  last token {1000 * m['last_token_s']:5.0f}"
        f"  final {1000 * m['final_s']:5.0f} ms (+{1000 * m['after_last_token_s']:3.0f})"
        f"  first/final {100 * m['first_delta_share_of_final']:5.1f} %"
        f"  (floor: first token/final {100 * m['first_token_share_of_final']:5.1f} %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--pace", type=float, default=1.0, help="fraction of the modelled real time (1.0)")
    parser.add_argument("--quick", action="store_true", help="2 turns per case, for a smoke run")
    parser.add_argument("--idle", type=float, default=0.0, help="seconds of a resident's pause before each turn")
    parser.add_argument("--handshake-ms", type=float, default=60.0, help="a new connection's cost in --idle (60)")
    parser.add_argument("--grid", action="store_true", help="first delta / final by tier and reply length")
    args = parser.parse_args()
    if args.quick:
        args.turns = 2
    import logging

    import structlog

    logging.disable(logging.INFO)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    res = asyncio.run(run(args.turns, args.pace, args.idle, args.grid, args.handshake_ms / 1000))
    print(
        f"model-path turns, median of {res['turns']} each (MODELLED: fake provider at {res['pace']:g}x "
        "modelled speed, Claude Haiku 4.5's tier unless named; ms from the message; request = reaches the provider; "
        "(+N) = after the last token):"
    )
    for key, m in res["cases"].items():
        speedup = m.get("first_delta_speedup_vs_verify_then_send")
        print(_line(key, m) + (f"  ({speedup:.1f}x sooner)" if speedup else ""))
    for key, m in res["idle"].items():
        print(_line(f"{args.idle:g} s idle, {args.handshake_ms:g} ms handshake | {key}", m))
    if res["idle"]:
        cold, kept = res["idle"].values()
        print(
            f"  kept open: request reaches the provider {1000 * (cold['request_s'] - kept['request_s']):.0f} ms"
            f" sooner, first delta {1000 * (cold['first_delta_s'] - kept['first_delta_s']):.0f} ms sooner"
        )
    for key, m in res["grid"].items():
        print(
            _line(key, m) + f"  modelled floor {100 * m['modelled_floor']:4.1f} %"
            f" (with our work before the request {100 * m['modelled_with_our_work_before']:4.1f} %)"
        )
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "streaming.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
