"""Orchestration overhead per turn: everything but model time, database writes included.

Runs the same one-reply turn through (a) our orchestrator on the model backend and (b) the
openai-agents Runner, both against the fake provider server with zero modelled latency, in
the same process and the same run. Model time is subtracted: for us, from the latency
recorded in `model_calls`; for the Runner, a bare SDK call of the same shape measured in
the same loop. Prints medians, p95 and the ratio.

    python -m bench.overhead_bench [--turns 200]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def import_openai_agents() -> ModuleType:
    """The openai-agents package, not the repository's `agents/` folder that shadows it from the repo root."""
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO]
    sys.modules.pop("agents", None)
    try:
        return importlib.import_module("agents")
    finally:
        sys.path[:] = saved


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(turns: int) -> dict[str, Any]:
    import openai

    from callcenter.fakellm import FakeLLMServer, Reply
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.client import ModelClient
    from callcenter.providers.openai_provider import OpenAIProvider
    from callcenter.providers.recorder import PostgresCallRecorder
    from callcenter.runtime import build_runtime
    from callcenter.settings import Settings
    from callcenter.specialists.model_backend import ModelBackend
    from callcenter.specialists.tier_policy import get_policy
    from callcenter.store.db import create_database, drop_database, resolve_dsn

    sdk = import_openai_agents()
    sdk.set_tracing_disabled(True)
    settings = Settings(backend="local")
    server_dsn = resolve_dsn(settings)
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(server_dsn, name)
    reply = "Thanks, noted."
    try:
        async with FakeLLMServer(seed=1, latency_scale=0.0) as fake:
            runtime = await build_runtime(settings, dsn=dsn)
            provider = OpenAIProvider(api_key="fake", base_url=fake.openai_base_url)
            client = ModelClient(Catalog.load(), {"openai": provider}, PostgresCallRecorder(runtime.pool))
            runtime.orchestrator.backend = ModelBackend(client, get_policy("cheap-only"))
            oai = openai.AsyncOpenAI(api_key="fake", base_url=fake.openai_base_url, max_retries=0)
            agent = sdk.Agent(
                name="general",
                instructions=runtime.app.agents["general"].instructions,
                model=sdk.OpenAIChatCompletionsModel(model="gpt-5-mini", openai_client=oai),
            )
            ours, ours_model, runner, bare = [], [], [], []
            session = (await runtime.orchestrator.open_session(channel="bench", customer_id=None)).id
            for i in range(turns + 10):  # the first 10 warm up
                fake.script([Reply(text=reply)] * 3)
                t0 = time.perf_counter()
                await runtime.orchestrator.handle_turn(session, "what are the office hours?")
                total = (time.perf_counter() - t0) * 1000
                model_ms = await runtime.pool.fetchval(
                    "SELECT latency_ms FROM model_calls WHERE session_id=$1 ORDER BY id DESC LIMIT 1",
                    uuid.UUID(session),
                )
                t0 = time.perf_counter()
                await sdk.Runner.run(agent, "what are the office hours?")
                r_total = (time.perf_counter() - t0) * 1000
                t0 = time.perf_counter()
                await oai.chat.completions.create(
                    model="gpt-5-mini",
                    messages=[
                        {"role": "system", "content": agent.instructions},
                        {"role": "user", "content": "what are the office hours?"},
                    ],
                )
                b_total = (time.perf_counter() - t0) * 1000
                if i >= 10:
                    ours.append(total - float(model_ms))
                    ours_model.append(total)
                    runner.append(r_total - b_total)
                    bare.append(b_total)
                if (i + 1) % 50 == 0:
                    print(f"  {i + 1}/{turns + 10} turns", file=sys.stderr)
            await runtime.close()
    finally:
        await drop_database(server_dsn, name)
    out = {
        "turns": turns,
        "ours_overhead_ms": {"p50": statistics.median(ours), "p95": pct(ours, 0.95)},
        "ours_turn_total_ms": {"p50": statistics.median(ours_model), "p95": pct(ours_model, 0.95)},
        "runner_overhead_ms": {"p50": statistics.median(runner), "p95": pct(runner, 0.95)},
        "bare_sdk_call_ms": {"p50": statistics.median(bare), "p95": pct(bare, 0.95)},
    }
    out["ratio_ours_vs_runner_p50"] = out["ours_overhead_ms"]["p50"] / max(out["runner_overhead_ms"]["p50"], 1e-6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    import json
    import logging

    logging.disable(logging.INFO)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    res = asyncio.run(run(args.turns))
    print(f"orchestration overhead per turn over {res['turns']} turns (model time subtracted):")
    print(
        f"  callcenter (route+verify, 5 DB round trips):         p50 {res['ours_overhead_ms']['p50']:.2f} ms  "
        f"p95 {res['ours_overhead_ms']['p95']:.2f} ms"
    )
    print(
        f"  openai-agents Runner (no persistence):              p50 {res['runner_overhead_ms']['p50']:.2f} ms  "
        f"p95 {res['runner_overhead_ms']['p95']:.2f} ms"
    )
    print(f"  bare SDK call to the fake model:                    p50 {res['bare_sdk_call_ms']['p50']:.2f} ms")
    print(f"  ratio callcenter / Runner (p50): {res['ratio_ours_vs_runner_p50']:.2f}x")
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "overhead.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
