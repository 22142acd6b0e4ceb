"""`callcenter customer set-pin ID [PIN]`: give a customer a voice PIN for phone calls.

The PIN is checked (4-6 digits, not guessable) and stored only as a salted scrypt hash. Passing
it on the command line leaves it in shell history and the process list, so it may instead come
from standard input (`-` or no PIN argument: a hidden prompt on a terminal, a line from a pipe).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import asyncpg

from callcenter.cli.common import add_data_dir, settings_from_args
from callcenter.cli.db import with_conn
from callcenter.store.pin_hash import InvalidPin, check_new_pin
from callcenter.store.voice_pins import VoicePinStore


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser(
        "customer", help="manage customers (voice PIN)", description="Customer settings that are not self-service."
    )
    csub = c.add_subparsers(dest="customer_command", metavar="ACTION", required=True)
    p = csub.add_parser(
        "set-pin",
        help="set a customer's 4-6 digit voice PIN (stored hashed)",
        description="Set the PIN a customer keys in on the phone to prove who they are. "
        "Omit PIN (or pass -) to type it at a hidden prompt or pipe it in.",
    )
    p.add_argument("customer_id", type=int, metavar="ID")
    p.add_argument("pin", nargs="?", default="-", metavar="PIN")
    add_data_dir(p)
    p.set_defaults(func=cmd_set_pin)


def _read_pin(arg: str) -> str:
    if arg != "-":
        return arg
    if sys.stdin.isatty():
        return getpass.getpass("Voice PIN (4-6 digits): ")
    return sys.stdin.readline().strip()


def cmd_set_pin(args: argparse.Namespace) -> int:
    from callcenter.cli.common import require_customer

    settings = settings_from_args(args)
    # The id first, like `token` and `chat` (which ids exist): judging a PIN for nobody helps no one.
    asyncio.run(require_customer(settings, args.customer_id))
    try:
        pin = check_new_pin(_read_pin(args.pin))
    except InvalidPin as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    async def run(conn: asyncpg.Connection, applied: list[str]) -> bool:
        return await VoicePinStore(conn).set_pin(args.customer_id, pin)  # one connection serves as the pool

    if not asyncio.run(with_conn(settings, run)):
        print(f"error: no customer with id {args.customer_id}; check the id in the customers table.", file=sys.stderr)
        return 1
    print(f"voice PIN set for customer {args.customer_id}")  # never echo the PIN
    return 0
