"""Mistakes an operator makes, said in a line or two instead of a 40-line traceback.

`explain(exc)` knows the errors that come from the outside world (a wrong DATABASE_URL, a
port in use, a settings typo, a customer that does not exist) and says what is wrong and
what to do next. Anything it does not know is a bug: the CLI still prints two lines, and
`--debug` shows the traceback.
"""

from __future__ import annotations

import errno
import os
import socket
import tomllib
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from pydantic import ValidationError

from callcenter.settings import ConfigError
from callcenter.store.embedded import EmbeddedUnavailable


class UsageError(Exception):
    """A mistake in how a command was called; the message is already what the user should read."""


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<unparseable DATABASE_URL>"
    if parts.password is None:
        return dsn
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _where() -> str:
    dsn = os.environ.get("DATABASE_URL")
    return f"DATABASE_URL={redact_dsn(dsn)}" if dsn else "the embedded PostgreSQL"


def _database(exc: BaseException) -> str | None:
    where = _where()
    if isinstance(exc, asyncpg.ClientConfigurationError):
        return (
            f"{where} is not a PostgreSQL URL ({exc}).\n"
            "  Use postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE, or unset it to use the embedded server."
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{exc} ({where}).\n  Create it (`createdb NAME`) or point DATABASE_URL at an existing database."
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL refused the login: {exc} ({where}).\n  Check the user and password in DATABASE_URL."
    if isinstance(exc, asyncpg.CannotConnectNowError | asyncpg.TooManyConnectionsError):
        return (
            f"PostgreSQL is not accepting connections: {exc} ({where}).\n  Wait for it to finish starting, then retry."
        )
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the database host ({where}): {exc.strerror}.\n  Check the host name in DATABASE_URL."
    if isinstance(exc, ConnectionRefusedError) or (isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED):
        return (
            f"cannot reach PostgreSQL: connection refused ({where}).\n"
            "  Is the server running and is the host/port right? Unset DATABASE_URL to use the embedded one."
        )
    if isinstance(exc, TimeoutError):
        return f"PostgreSQL did not answer in time ({where}).\n  Check the host, port and firewall."
    return None


def explain(exc: BaseException) -> str | None:
    """One or two lines for a known mistake; None when `exc` looks like a bug."""
    if isinstance(exc, UsageError | ConfigError | EmbeddedUnavailable):
        return str(exc)
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        env = "DATABASE_URL" if field == "DATABASE_URL" else f"CALLCENTER_{field.upper()}"
        return (
            f"setting {env} is invalid: {first['msg']} (got {first.get('input')!r}).\n"
            "  Fix it in the environment, .env or callcenter.toml."
        )
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"a TOML file is malformed: {exc}.\n  Check callcenter.toml (or CALLCENTER_CONFIG)."
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return (
            f"{exc.strerror}: another program is listening there.\n  Stop it, or pass --port N (0 picks a free port)."
        )
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot bind that address: {exc.strerror}.\n  Pass --host with an address of this machine."
    found = _database(exc)
    if found is None and exc.__cause__ is not None:
        found = explain(exc.__cause__)
    return found


def describe_unexpected(exc: BaseException) -> str:
    """The two lines for an error `explain` does not know."""
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"unexpected error: {what}\n  Rerun with --debug for the traceback."
