"""The people at the desk: operators with a role, who can be disabled without deleting history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import asyncpg

ROLES: tuple[str, ...] = ("agent", "supervisor", "admin")
NAME_RULE = "Operator names are 1-64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit."
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")  # the same rule as the table's CHECK
Role = Literal["agent", "supervisor", "admin"]


class OperatorExists(Exception):
    pass


class OperatorNotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    name: str
    role: str
    disabled: bool

    @property
    def supervises(self) -> bool:
        """Supervisors and admins may watch any session and close handoffs they do not hold."""
        return self.role in ("supervisor", "admin")


def _operator(row: asyncpg.Record) -> Operator:
    return Operator(id=row["id"], name=row["name"], role=row["role"], disabled=row["disabled"])


class OperatorStore:
    def __init__(self, db: asyncpg.Pool | asyncpg.Connection) -> None:
        self.db = db

    async def add(self, name: str, role: str = "agent") -> Operator:
        if role not in ROLES:
            raise ValueError(f"Role must be one of {', '.join(ROLES)}.")
        if not _NAME.fullmatch(name):
            raise ValueError(NAME_RULE)
        try:
            row = await self.db.fetchrow("INSERT INTO operators (name, role) VALUES ($1, $2) RETURNING *", name, role)
        except asyncpg.UniqueViolationError:
            raise OperatorExists(name) from None
        except asyncpg.CheckViolationError:
            raise ValueError(NAME_RULE) from None
        assert row is not None
        return _operator(row)

    async def by_name(self, name: str) -> Operator:
        row = await self.db.fetchrow("SELECT * FROM operators WHERE name = $1", name)
        if row is None:
            raise OperatorNotFound(name)
        return _operator(row)

    async def by_id(self, operator_id: int) -> Operator | None:
        row = await self.db.fetchrow("SELECT * FROM operators WHERE id = $1", operator_id)
        return _operator(row) if row else None

    async def set_disabled(self, name: str, disabled: bool = True) -> Operator:
        row = await self.db.fetchrow("UPDATE operators SET disabled = $2 WHERE name = $1 RETURNING *", name, disabled)
        if row is None:
            raise OperatorNotFound(name)
        return _operator(row)
