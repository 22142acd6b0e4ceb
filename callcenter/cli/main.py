"""`callcenter` command line: one subcommand per job, each registered by its own module.

Commands stay thin: they parse arguments, call the library, and print. Each module that
owns a command exposes `register(subparsers)`; this file only lists them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path

# module path -> the commands its register(subparsers) adds. Order = order in --help. A command named on the
# line imports only its own module: `callcenter operator token` or `migrate` start without the fake provider's
# web server, numpy or the eval tooling (tests/test_cli_main.py keeps this table true).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "callcenter.cli.server": ("serve", "token"),
    "callcenter.cli.db": ("migrate", "seed"),
    "callcenter.cli.embedded": ("db",),  # db status|start|stop
    "callcenter.cli.chat": ("chat",),
    "callcenter.cli.customer": ("customer",),  # customer set-pin
    "callcenter.routing.commands": ("route", "router"),
    "callcenter.fakellm.commands": ("fake-llm",),
    "callcenter.cli.report": ("report",),
    "callcenter.cli.operator": ("operator",),  # operator add|token|disable
    "callcenter.evals.commands": ("eval", "calibrate"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with `command`, only the module that owns it is imported (none owns it, or no
    command: every module, for --help and for the error naming the choices)."""
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
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors (also CALLCENTER_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    owners = [name for name, commands in COMMAND_MODULES.items() if command in commands]
    for name in owners or COMMAND_MODULES:
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
    """Run one command; a mistake prints one or two lines and exits 1 (`--debug` shows the traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("CALLCENTER_DEBUG", "").lower() in ("1", "true", "yes")
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser(next((a for a in argv if not a.startswith("-")), None))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    # SIGTERM ends a command like Ctrl-C does (finally blocks and atexit run, so an embedded
    # server this process started is stopped); `serve` installs its own graceful handler.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        _configure_logging(args)
        result: int | None = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `callcenter ... | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if debug:
            raise
        from callcenter.cli.errors import describe_unexpected, explain

        print(f"callcenter {args.command}: error: {explain(exc) or describe_unexpected(exc)}", file=sys.stderr)
        return 1
    return int(result or 0)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _configure_logging(args: argparse.Namespace) -> None:
    """Level, format and destination from the settings; `chat` logs to a file so the conversation stays clean."""
    from callcenter.logging_setup import configure_logging
    from callcenter.settings import Settings

    settings = Settings()
    file = settings.log_file
    if file is None and getattr(args, "log_file_name", None):
        data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else settings.data_dir
        file = data_dir / "logs" / args.log_file_name
    configure_logging(
        verbose=getattr(args, "verbose", False), json=settings.log_json, level=settings.log_level, file=file
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
