"""`callcenter operator add|token|disable`: the people who work the desk.

`add` and `token` print the sign-in token as the LAST line of stdout, so scripts can take
`| tail -n1`; the line before it is a console link with the token in the URL fragment
(fragments never reach the server's logs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from callcenter.cli.common import add_data_dir, settings_from_args


def _token_options(parser: argparse.ArgumentParser) -> None:
    """What `add` and `token` share: they both print a token, so both take its lifetime and the link's base."""
    parser.add_argument(
        "--ttl",
        type=int,
        default=None,
        metavar="S",
        help="token lifetime in seconds (default 12 h; 0: already expired)",
    )
    parser.add_argument("--url", default=None, help="server base URL for the console link (default from settings)")
    add_data_dir(parser)
    parser.set_defaults(func=cmd_operator)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "operator",
        help="add operators, print their desk tokens, disable them",
        description="Manage the people who take handoffs at the desk (/desk/ and /v1/desk).",
    )
    ops = p.add_subparsers(dest="operator_command", metavar="ACTION", required=True)

    add = ops.add_parser("add", help="create an operator and print a sign-in token (last line)")
    add.add_argument("name", help="unique name: letters, digits, _ . @ - (at most 64)")
    add.add_argument(
        "--role",
        choices=("agent", "supervisor", "admin"),
        default="agent",
        help="agent takes handoffs; supervisor also watches sessions and sees the dashboard",
    )
    _token_options(add)

    tok = ops.add_parser("token", help="print a fresh sign-in token for an operator (last line)")
    tok.add_argument("name")
    _token_options(tok)

    dis = ops.add_parser("disable", help="stop an operator's tokens working; their sessions go back to the queue")
    dis.add_argument("name")
    add_data_dir(dis)
    dis.set_defaults(func=cmd_operator)


def cmd_operator(args: argparse.Namespace) -> int:
    from callcenter.store.db import connect, resolve_dsn
    from callcenter.store.desk import requeue_operator
    from callcenter.store.migrate import migrate
    from callcenter.store.operators import OperatorExists, OperatorNotFound, OperatorStore
    from callcenter.web.operator_auth import issue_operator_token

    settings = settings_from_args(args)
    ttl = getattr(args, "ttl", None)
    if ttl is not None and ttl < 0:  # as for customer tokens: 0 is an expired token, never the default
        print("--ttl must be 0 or more seconds.", file=sys.stderr)
        return 2
    ttl = settings.operator_token_ttl_seconds if ttl is None else ttl

    async def run() -> int:
        conn = await connect(resolve_dsn(settings))
        try:
            await migrate(conn)
            store = OperatorStore(conn)
            try:
                if args.operator_command == "add":
                    operator = await store.add(args.name, args.role)
                    print(f"Added operator {operator.name} ({operator.role}).")
                elif args.operator_command == "token":
                    operator = await store.by_name(args.name)
                    if operator.disabled:
                        print(f"Operator {args.name} is disabled; an admin must enable them first.", file=sys.stderr)
                        return 1
                else:
                    operator = await store.set_disabled(args.name, True)
                    requeued = await requeue_operator(conn, operator.id)
                    print(f"Disabled operator {operator.name}; {requeued} held conversation(s) went back to the queue.")
                    return 0
            except OperatorExists:
                print(
                    f"An operator named {args.name!r} already exists; use `callcenter operator token {args.name}`.",
                    file=sys.stderr,
                )
                return 1
            except OperatorNotFound:
                print(
                    f"No operator named {args.name!r}; add one with `callcenter operator add {args.name}`.",
                    file=sys.stderr,
                )
                return 1
            except ValueError as exc:
                print(str(exc), file=sys.stderr)
                return 2
        finally:
            await conn.close()
        token = issue_operator_token(operator.id, settings.secret.get_secret_value(), ttl_seconds=ttl)
        base = (args.url or f"http://{settings.host}:{settings.port}").rstrip("/")
        print(f"Console: {base}/desk/#token={token}")
        print(token)
        return 0

    return asyncio.run(run())
