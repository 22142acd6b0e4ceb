"""`callcenter` command line: one subcommand per job, each registered by its own module.

Commands stay thin: they parse arguments, call the library, and print. Each module that
owns a command exposes `register(subparsers)`; this file only lists them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

# module path -> it defines register(subparsers). Order = order in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "callcenter.commands_server",   # serve, token
    "callcenter.commands_db",       # migrate, seed
    "callcenter.commands_chat",     # chat
    "callcenter.routing.commands",  # route, router ...
    "callcenter.fakellm.commands",  # fake-llm
    "callcenter.commands_report",   # report
    "callcenter.evals.commands",    # eval, calibrate
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callcenter",
        description=(
            "AI agents for a call center that route every step to the cheapest model that can do it.\n"
            "Runs offline by default: no API key uses the local backend, no DATABASE_URL an embedded PostgreSQL."
        ),
        epilog="Quick start: `callcenter serve`, then open http://127.0.0.1:8080/. "
        "Run `callcenter COMMAND --help` for details.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from callcenter import __version__

    parser.add_argument("--version", action="version", version=f"callcenter {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # command module not built yet
            raise
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] = mod.register
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from callcenter.logging_setup import configure_logging

    configure_logging(verbose=getattr(args, "verbose", False))
    try:
        result: int | None = args.func(args)
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
