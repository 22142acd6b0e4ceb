"""Orchestration overhead per turn: everything but model time, database writes included.

Runs the same one-reply turn through (a) our orchestrator on the model backend and (b) the
openai-agents Runner, both against the fake provider server with zero modelled latency, in
the same process and the same run. Model time is subtracted: for us, from the latency
recorded in `model_calls`; for the Runner, a bare SDK call of the same shape measured in
the same loop. Prints medians, p95 and the ratio.

    python -m bench.overhead_bench [--turns 200] [--out overhead.json]

Also (c) the Runner with the SDK's own persistence (`SQLAlchemySession` on the same
PostgreSQL), and transactions per turn for us and for (c), counted by PostgreSQL itself.
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
    """The openai-agents package, not a checkout's `agents/` folder that shadows it from its root."""
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if not (Path(p or ".") / "agents" / "booking.py").exists()]
    sys.modules.pop("agents", None)
    try:
        return importlib.import_module("agents")
    finally:
        sys.path[:] = saved


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def committed(dsn: str) -> int:
    """Transactions committed in the database so far (pg_stat_database; flushed when backends exit)."""
    import asyncpg

    await asyncio.sleep(1.0)  # closed connections' backends flush their counters as they exit
    conn = await asyncpg.connect(dsn)
    try:
        n: int = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        )
        return n
    finally:
        await conn.close()


async def transactions_per_turn(dsn: str, turns: int, open_client: Any, one_turn: Any, close_client: Any) -> float:
    """(transactions of N turns - those of opening and closing the client alone) / N."""
    x0 = await committed(dsn)
    client = await open_client()
    for i in range(turns):
        await one_turn(client, i)
    await close_client(client)
    x1 = await committed(dsn)
    await close_client(await open_client())
    x2 = await committed(dsn)
    return ((x1 - x0) - (x2 - x1)) / turns


async def run(turns: int) -> dict[str, Any]:
    import openai

    from callcenter.fakellm import FakeLLMServer, Reply
    from callcenter.providers.catalog import Catalog
    from callcenter.providers.client import ModelClient
    from callcenter.providers.openai_provider import OpenAIProvider
    from callcenter.providers.recorder import PostgresCallRecorder
    from callcenter.runtime import build_runtime
    from callcenter.settings import Settings

    try:
        from callcenter.specialists.model_backend import ModelBackend
        from callcenter.specialists.tier_policy import get_policy
    except ModuleNotFoundError:  # a checkout from before the specialists/ layout (`PYTHONPATH=old python -m ...`)
        from callcenter.model_backend import ModelBackend  # type: ignore[no-redef]
        from callcenter.routing.policy import get_policy  # type: ignore[no-redef]
    from callcenter.store.db import create_database, drop_database, resolve_dsn

    sdk = import_openai_agents()
    sdk.set_tracing_disabled(True)
    from agents.extensions.memory.sqlalchemy_session import SQLAlchemySession
    from sqlalchemy.ext.asyncio import create_async_engine

    settings = Settings(backend="local")
    server_dsn = resolve_dsn(settings)
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(server_dsn, name)
    sa_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    reply = "Thanks, noted."
    question = "what are the office hours?"
    try:
        async with FakeLLMServer(seed=1, latency_scale=0.0) as fake:
            fake.script([Reply(text=reply)] * 100_000)

            async def open_runtime() -> Any:
                rt = await build_runtime(settings, dsn=dsn)
                provider = OpenAIProvider(api_key="fake", base_url=fake.openai_base_url)
                client = ModelClient(Catalog.load(), {"openai": provider}, PostgresCallRecorder(rt.pool))
                rt.orchestrator.backend = ModelBackend(client, get_policy("cheap-only"))
                rt.extras["bench_session"] = (await rt.orchestrator.open_session(channel="bench", customer_id=None)).id
                return rt

            async def our_turn(rt: Any, i: int) -> None:
                await rt.orchestrator.handle_turn(rt.extras["bench_session"], question)

            async def close_runtime(rt: Any) -> None:
                await rt.close()

            runtime = await open_runtime()
            engine = create_async_engine(sa_url)
            oai = openai.AsyncOpenAI(api_key="fake", base_url=fake.openai_base_url, max_retries=0)
            agent = sdk.Agent(
                name="general",
                instructions=runtime.app.agents["general"].instructions,
                model=sdk.OpenAIChatCompletionsModel(model="gpt-5-mini", openai_client=oai),
            )

            def sa_session(i: int) -> Any:
                # A new SDK session every 10 turns: its Runner reads the whole session back each turn,
                # ours reads the last 20 messages, so both read a bounded history.
                return SQLAlchemySession(f"bench-{i // 10}", engine=engine, create_tables=True)

            ours, ours_model, runner, runner_sess, bare = [], [], [], [], []
            cpu: dict[str, float] = {"ours": 0.0, "runner": 0.0, "runner_session": 0.0, "bare": 0.0}
            session = runtime.extras["bench_session"]
            for i in range(turns + 10):  # the first 10 warm up
                c0, t0 = time.process_time(), time.perf_counter()
                await runtime.orchestrator.handle_turn(session, question)
                total = (time.perf_counter() - t0) * 1000
                c_ours = time.process_time() - c0
                model_ms = await runtime.pool.fetchval(
                    "SELECT latency_ms FROM model_calls WHERE session_id=$1 ORDER BY id DESC LIMIT 1",
                    uuid.UUID(session),
                )
                c0, t0 = time.process_time(), time.perf_counter()
                await sdk.Runner.run(agent, question)
                r_total = (time.perf_counter() - t0) * 1000
                c_runner = time.process_time() - c0
                c0, t0 = time.process_time(), time.perf_counter()
                await sdk.Runner.run(agent, question, session=sa_session(i))
                rs_total = (time.perf_counter() - t0) * 1000
                c_runner_session = time.process_time() - c0
                c0, t0 = time.process_time(), time.perf_counter()
                await oai.chat.completions.create(
                    model="gpt-5-mini",
                    messages=[{"role": "system", "content": agent.instructions}, {"role": "user", "content": question}],
                )
                b_total = (time.perf_counter() - t0) * 1000
                c_bare = time.process_time() - c0
                if i >= 10:
                    for key, value in (
                        ("ours", c_ours),
                        ("runner", c_runner),
                        ("runner_session", c_runner_session),
                        ("bare", c_bare),
                    ):
                        cpu[key] += value
                    ours.append(total - float(model_ms))
                    ours_model.append(total)
                    runner.append(r_total - b_total)
                    runner_sess.append(rs_total - b_total)
                    bare.append(b_total)
                if (i + 1) % 50 == 0:
                    print(f"  {i + 1}/{turns + 10} turns", file=sys.stderr)
            await runtime.close()
            await engine.dispose()

            async def open_engine() -> Any:
                return create_async_engine(sa_url)

            async def sdk_turn(eng: Any, i: int) -> None:
                await sdk.Runner.run(
                    agent, question, session=SQLAlchemySession(f"txn-{i // 10}", engine=eng, create_tables=True)
                )

            async def close_engine(eng: Any) -> None:
                await eng.dispose()

            n = min(turns, 50)
            ours_txn = await transactions_per_turn(dsn, n, open_runtime, our_turn, close_runtime)
            sdk_txn = await transactions_per_turn(dsn, n, open_engine, sdk_turn, close_engine)
    finally:
        await drop_database(server_dsn, name)
    out: dict[str, Any] = {
        "turns": turns,
        "ours_overhead_ms": {"p50": statistics.median(ours), "p95": pct(ours, 0.95)},
        "ours_turn_total_ms": {"p50": statistics.median(ours_model), "p95": pct(ours_model, 0.95)},
        "runner_overhead_ms": {"p50": statistics.median(runner), "p95": pct(runner, 0.95)},
        "runner_sqlalchemy_session_overhead_ms": {"p50": statistics.median(runner_sess), "p95": pct(runner_sess, 0.95)},
        "bare_sdk_call_ms": {"p50": statistics.median(bare), "p95": pct(bare, 0.95)},
        "transactions_per_turn": {"ours": round(ours_txn, 2), "runner_sqlalchemy_session": round(sdk_txn, 2)},
        # CPU of this process (the fake provider runs in it too, so a bare SDK call's CPU is subtracted):
        # less moved by other jobs on a shared box than wall-clock milliseconds.
        "cpu_overhead_ms_per_turn": {
            "ours": round((cpu["ours"] - cpu["bare"]) * 1000 / turns, 3),
            "runner": round((cpu["runner"] - cpu["bare"]) * 1000 / turns, 3),
            "runner_sqlalchemy_session": round((cpu["runner_session"] - cpu["bare"]) * 1000 / turns, 3),
            "bare_sdk_call": round(cpu["bare"] * 1000 / turns, 3),
        },
    }
    out["ratio_ours_vs_runner_p50"] = out["ours_overhead_ms"]["p50"] / max(out["runner_overhead_ms"]["p50"], 1e-6)
    out["ratio_ours_vs_runner_session_p50"] = out["ours_overhead_ms"]["p50"] / max(
        out["runner_sqlalchemy_session_overhead_ms"]["p50"], 1e-6
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--out", default="overhead.json", help="file name under bench/out/")
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
    print(
        f"  openai-agents Runner + SQLAlchemySession (PG):      p50 "
        f"{res['runner_sqlalchemy_session_overhead_ms']['p50']:.2f} ms  "
        f"p95 {res['runner_sqlalchemy_session_overhead_ms']['p95']:.2f} ms"
    )
    print(f"  bare SDK call to the fake model:                    p50 {res['bare_sdk_call_ms']['p50']:.2f} ms")
    print(
        f"  ratio callcenter / Runner (p50): {res['ratio_ours_vs_runner_p50']:.2f}x; "
        f"/ Runner+session: {res['ratio_ours_vs_runner_session_p50']:.2f}x"
    )
    c = res["cpu_overhead_ms_per_turn"]
    print(
        f"  CPU per turn, bare SDK call subtracted: callcenter {c['ours']:.2f} ms, Runner {c['runner']:.2f} ms, "
        f"Runner+session {c['runner_sqlalchemy_session']:.2f} ms (bare call {c['bare_sdk_call']:.2f} ms)"
    )
    print(
        f"  transactions per turn: callcenter {res['transactions_per_turn']['ours']}, "
        f"Runner+session {res['transactions_per_turn']['runner_sqlalchemy_session']}"
    )
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / args.out).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
