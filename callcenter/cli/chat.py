"""`callcenter chat`: talk to the agents from a terminal, through the same orchestrator.

Useful to try a flow without a browser, and scriptable: lines on stdin are turns.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from callcenter.cli.common import add_data_dir, settings_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "chat",
        help="chat with the agents in the terminal (stdin lines are turns)",
        description="A terminal conversation through the orchestrator, as a given customer.",
    )
    p.add_argument("--customer", type=int, default=None, metavar="ID", help="act as this customer (default: anonymous)")
    p.add_argument("--session", default=None, metavar="ID", help="continue a stored session")
    add_data_dir(p)
    # Logs go to data_dir/logs/chat.log (or CALLCENTER_LOG_FILE), never into the conversation.
    p.set_defaults(func=cmd_chat, log_file_name="chat.log")


def cmd_chat(args: argparse.Namespace) -> int:
    return asyncio.run(_chat(args))


async def _chat(args: argparse.Namespace) -> int:
    from callcenter.cli.common import require_customer
    from callcenter.cli.db import seed_if_empty
    from callcenter.cli.errors import UsageError
    from callcenter.orchestrator import InvalidMessage, SessionForbidden, SessionNotFound
    from callcenter.runtime import build_runtime

    settings = settings_from_args(args)
    runtime = await build_runtime(settings)
    try:
        await seed_if_empty(runtime.pool, settings)
        if args.customer is not None:
            await require_customer(settings, args.customer)
        if args.session is not None and not _is_uuid(args.session):
            raise UsageError(
                f"--session {args.session!r} is not a session id (they look like 6f0c2b1e-...).\n"
                "  Leave --session out to start a new conversation."
            )
        try:
            session = await runtime.orchestrator.open_session(
                channel="terminal", customer_id=args.customer, session_id=args.session
            )
        except SessionNotFound:
            raise UsageError(f"no session {args.session}.\n  Leave out --session to start anew.") from None
        except SessionForbidden:
            raise UsageError(
                f"session {args.session} belongs to another customer.\n"
                "  Pass that customer's --customer, or leave --session out."
            ) from None
        interactive = sys.stdin.isatty()
        print(f"session {session.id} - type your message, Ctrl-D to quit", file=sys.stderr)
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("you> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            if not line.strip():
                continue
            if not interactive:
                print(f"you> {line.strip()}")
            try:
                result = await runtime.orchestrator.handle_turn(session.id, line)
            except InvalidMessage as exc:
                print(f"error: {exc}")
                continue
            tag = " [handed to a person]" if result.human_handoff else ""
            print(f"{result.agent}> {result.text}{tag}")
    finally:
        await runtime.close()
    return 0


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
