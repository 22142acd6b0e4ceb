"""`callcenter COMMAND` imports only the module that owns COMMAND, so an operator's quick command starts quickly.

Each command module registers its subcommands; callcenter/cli/main.py names which module owns which command,
so `callcenter operator token dana` or `callcenter migrate` start without the fake provider's web server
(aiohttp), numpy or the eval tooling. The table must stay true: a command missing from it would still run
(every module is then imported), only slower.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from importlib import import_module

import pytest

from callcenter.cli.main import COMMAND_MODULES, build_parser

HEAVY = ("aiohttp", "numpy", "callcenter.fakellm.server", "callcenter.evals.commands")


def test_each_module_registers_exactly_the_commands_the_table_names() -> None:
    for module, commands in COMMAND_MODULES.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        import_module(module).register(sub)
        assert tuple(sub.choices) == commands, module


def test_every_command_is_still_offered_and_parsed() -> None:
    everything = [c for commands in COMMAND_MODULES.values() for c in commands]
    help_text = build_parser().format_help()
    assert all(c in help_text for c in everything), help_text
    for command in everything:
        parser = build_parser(command)
        assert command in parser.format_help()
    args = build_parser("operator").parse_args(["operator", "token", "dana", "--ttl", "60"])
    assert (args.command, args.func.__module__) == ("operator", "callcenter.cli.operator")
    with pytest.raises(SystemExit):  # an unknown command is refused with the whole list, as before
        build_parser("nonsense").parse_args(["nonsense"])


@pytest.mark.parametrize("argv", [["operator", "--help"], ["migrate", "--help"], ["token", "--help"]])
def test_a_quick_command_starts_without_the_heavy_modules(argv: list[str]) -> None:
    probe = (
        "import json, sys\n"
        "from callcenter.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[0].startswith("usage: callcenter " + argv[0]), out.stdout
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [], out.stdout
