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
send it), measured in the same run.

    python -m bench.streaming_bench [--turns 5] [--pace 1.0]
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

    async def complete(self, model: Any, request: Any, on_delta: Any = None) -> Any:
        if on_delta is None:
            return await self.inner.complete(model, request, None)

        async def noted(piece: str) -> None:
            if self.at is None:
                self.at = time.perf_counter()
            await on_delta(piece)

        return await self.inner.complete(model, request, noted)


async def run(turns: int, pace: float) -> dict[str, Any]:
    from callcenter.fakellm import FakeLLMServer
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
    figures: dict[str, dict[str, list[float]]] = {}
    try:
        async with FakeLLMServer(seed=1, pace=pace) as fake:
            runtime = await build_runtime(settings, dsn=dsn)
            provider = FirstToken(AnthropicProvider(api_key="fake", base_url=fake.base_url))
            client = ModelClient(Catalog.load(), {"anthropic": provider}, PostgresCallRecorder(runtime.pool))
            for label, said, script, expect in cases():
                for mode, streaming in (("verify-then-send", False), ("sentence streaming", True)):
                    runtime.orchestrator.backend = ModelBackend(
                        client, get_policy("cheap-only"), stream_sentences=streaming
                    )
                    rows: dict[str, list[float]] = {
                        "first_delta_s": [],
                        "final_s": [],
                        "first_token_s": [],
                        "after_first_token_s": [],
                    }
                    for _ in range(turns):
                        session = (await runtime.orchestrator.open_session(channel="bench", customer_id=None)).id
                        fake.script(script, model="claude-haiku-4-5")
                        first: list[float] = []

                        async def on_delta(piece: str, first: list[float] = first) -> None:
                            if not first:
                                first.append(time.perf_counter())

                        provider.at = None
                        t0 = time.perf_counter()
                        result = await runtime.orchestrator.handle_turn(session, said, on_delta=on_delta)
                        final = time.perf_counter() - t0
                        if expect not in result.text:
                            raise RuntimeError(f"unexpected reply in the bench: {result.text!r}")
                        rows["first_delta_s"].append(first[0] - t0)
                        rows["final_s"].append(final)
                        rows["first_token_s"].append((provider.at or first[0]) - t0)
                        rows["after_first_token_s"].append(first[0] - (provider.at or first[0]))
                    figures[f"{label} | {mode}"] = rows
            await runtime.close()
            await provider.inner.aclose()
    finally:
        await drop_database(server_dsn, name)
    out: dict[str, Any] = {"turns": turns, "pace": pace, "modelled": True, "cases": {}}
    for key, rows in figures.items():
        med = {k: statistics.median(v) for k, v in rows.items()}
        med["first_delta_share_of_final"] = med["first_delta_s"] / med["final_s"]
        # the floor: no stream can send before the model's first text token
        med["first_token_share_of_final"] = med["first_token_s"] / med["final_s"]
        out["cases"][key] = med
    for label, *_ in cases():
        base = out["cases"][f"{label} | verify-then-send"]["first_delta_s"]
        ours = out["cases"][f"{label} | sentence streaming"]
        ours["first_delta_speedup_vs_verify_then_send"] = base / ours["first_delta_s"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--pace", type=float, default=1.0, help="fraction of the modelled real time (1.0)")
    parser.add_argument("--quick", action="store_true", help="2 turns per case, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.turns = 2
    import logging

    import structlog

    logging.disable(logging.INFO)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    res = asyncio.run(run(args.turns, args.pace))
    print(
        f"model-path turns, median of {res['turns']} each (MODELLED: fake provider at {res['pace']:g}x "
        "modelled speed, Claude Haiku 4.5's tier):"
    )
    for key, m in res["cases"].items():
        print(
            f"  {key:50s} first delta {1000 * m['first_delta_s']:6.0f} ms  final {1000 * m['final_s']:6.0f} ms"
            f"  first/final {100 * m['first_delta_share_of_final']:5.1f} %"
            f"  after model's first token {1000 * m['after_first_token_s']:5.0f} ms"
            f"  (floor: first token/final {100 * m['first_token_share_of_final']:5.1f} %)"
            + (
                f"  ({m['first_delta_speedup_vs_verify_then_send']:.1f}x sooner)"
                if "first_delta_speedup_vs_verify_then_send" in m
                else ""
            )
        )
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "streaming.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
