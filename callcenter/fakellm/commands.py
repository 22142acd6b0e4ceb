"""`callcenter fake-llm`: run the fake model provider in the foreground for users' CI.

Prints the base URLs and the environment to export, so the service (or any SDK client)
talks to the fake instead of a real provider, and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from callcenter.fakellm.script import load_script
from callcenter.fakellm.server import FakeLLMServer

DEFAULT_PORT = 8788


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "fake-llm",
        help="run a fake Anthropic/OpenAI-compatible model server for tests and CI",
        description=(
            "Serve the Anthropic Messages API and the OpenAI Chat Completions API on loopback with "
            "deterministic modelled replies (or scripted ones from --script). No network, any API key."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port, 0 = any free port (default {DEFAULT_PORT})")
    p.add_argument("--seed", type=int, default=0, help="seed of the modelled behaviour (default 0)")
    p.add_argument(
        "--script",
        metavar="FILE",
        help='JSON list of replies served in order before modelled behaviour, e.g. [{"text": "hi"}, '
        '{"status": 429, "retry_after": 1}, {"tool_calls": [{"name": "t", "arguments": {}}]}]',
    )
    p.add_argument(
        "--latency-scale", type=float, default=1.0, help="multiply the modelled per-tier latency (default 1.0)"
    )
    p.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="fraction of modelled real time for time to first token and output tokens/s per tier "
        "(default 1.0: streaming at modelled speed; 0: instant)",
    )
    p.set_defaults(func=run)


def env_lines(fake: FakeLLMServer) -> list[str]:
    """Shell lines that point clients at `fake`."""
    return [
        f"export ANTHROPIC_BASE_URL={fake.base_url}",
        f"export OPENAI_BASE_URL={fake.openai_base_url}",
        "export ANTHROPIC_API_KEY=test",
        "export OPENAI_API_KEY=test",
    ]


async def serve(args: argparse.Namespace, ready: asyncio.Event | None = None) -> None:
    fake = FakeLLMServer(
        seed=args.seed, host=args.host, port=args.port, latency_scale=args.latency_scale, pace=args.pace
    )
    if args.script:
        fake.script_entries(load_script(args.script))
    async with fake:
        print(f"fake LLM server on {fake.base_url}")
        print(f"  Anthropic base URL: {fake.base_url}")
        print(f"  OpenAI base URL:    {fake.openai_base_url}")
        if args.script:
            print(f"  scripted replies:   {fake.pending} from {args.script}")
        print(f"  modelled speed:     {args.pace:g} x real time (pacing.py; these latencies are modelled)")
        print("Export these to use it (Ctrl-C stops the server):")
        for line in env_lines(fake):
            print(f"  {line}")
        sys.stdout.flush()
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()


def run(args: argparse.Namespace) -> int:
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        print("fake LLM server stopped")
    return 0
