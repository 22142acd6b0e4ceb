"""Voice PINs in the database: set, check with lockout, and the audit of every attempt.

The rules (docs/voice.md): a caller number gets `max_attempts` wrong PINs; the next wrong one
locks PIN entry from that number for `lockout_minutes`. Caller id is easily spoofed, so wrong
PINs are also counted per customer: after `customer_max_failures` within `customer_window_hours`,
from any numbers, that customer can no longer be verified by PIN on the phone (a person verifies
them) until the window has passed. A correct PIN clears both counts. Every step is a row in
voice_pin_attempts, with the outcome but never the digits. Checks for one number, and for one
customer, are serialised by advisory locks, so simultaneous calls cannot both guess.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import asyncpg
import structlog

from callcenter.store.pin_hash import hash_pin_async, pin_matches_async

if TYPE_CHECKING:
    from callcenter.settings import Settings

Outcome = Literal["verified", "wrong", "locked", "refused_locked", "no_pin", "unknown_unit", "customer_locked"]
Method = Literal["dtmf", "speech"]
MAX_UNIT_MATCHES = 5

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PinCheck:
    """How one PIN attempt went: the verified customer, or how many tries are left / until when locked."""

    customer_id: int | None
    outcome: Outcome
    attempts_left: int
    locked_until: datetime | None = None


class VoicePinStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_attempts: int = 3,
        lockout_minutes: int = 15,
        customer_max_failures: int = 10,
        customer_window_hours: int = 24,
    ) -> None:
        self.pool = pool
        self.max_attempts = max_attempts
        self.lockout = timedelta(minutes=lockout_minutes)
        self.customer_max_failures = customer_max_failures
        self.customer_window = timedelta(hours=customer_window_hours)

    @classmethod
    def from_settings(cls, pool: asyncpg.Pool, settings: Settings) -> VoicePinStore:
        """The limits a deployment configured (docs/voice.md, "Caller verification")."""
        return cls(
            pool,
            max_attempts=settings.voice_pin_max_attempts,
            lockout_minutes=settings.voice_pin_lockout_minutes,
            customer_max_failures=settings.voice_pin_customer_max_failures,
            customer_window_hours=settings.voice_pin_customer_window_hours,
        )

    async def set_pin(self, customer_id: int, pin: str) -> bool:
        """Store `pin` (already checked by check_new_pin) as a fresh salted hash; False if no such customer."""
        digest = await hash_pin_async(pin)
        done = await self.pool.execute("UPDATE customers SET voice_pin_hash=$2 WHERE id=$1", customer_id, digest)
        return bool(done.endswith(" 1"))

    async def has_pin(self, customer_id: int) -> bool:
        return bool(
            await self.pool.fetchval("SELECT voice_pin_hash IS NOT NULL FROM customers WHERE id=$1", customer_id)
        )

    async def customers_in_unit(self, key: str) -> list[int]:
        """Customers whose unit, letters and digits only, is `key` ("4B"; any building), at most MAX_UNIT_MATCHES."""
        if not key:
            return []
        rows = await self.pool.fetch(
            "SELECT id FROM customers WHERE upper(regexp_replace(unit, '[^A-Za-z0-9]', '', 'g')) = $1 "
            "ORDER BY id LIMIT $2",
            key,
            MAX_UNIT_MATCHES,
        )
        return [r["id"] for r in rows]

    async def verify_session(self, session_id: str, customer_id: int) -> None:
        """Make `customer_id` the session's verified customer (only a session with none yet)."""
        await self.pool.execute(
            "UPDATE sessions SET customer_id=$2, updated_at=now() WHERE id=$1 AND customer_id IS NULL",
            uuid.UUID(session_id),
            customer_id,
        )

    async def locked_until(self, caller: str) -> datetime | None:
        until: datetime | None = await self.pool.fetchval(
            "SELECT locked_until FROM voice_pin_lockouts WHERE caller=$1 AND locked_until > now()", caller
        )
        return until

    async def record(
        self,
        caller: str,
        outcome: Outcome,
        *,
        customer_id: int | None = None,
        call_sid: str = "",
        session_id: str | None = None,
        method: Method | None = None,
    ) -> None:
        """Audit a step that is not a PIN check (no PIN set, unknown unit, refused while locked)."""
        await self.pool.execute(
            "INSERT INTO voice_pin_attempts (caller, customer_id, call_sid, session_id, method, outcome) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            caller,
            customer_id,
            call_sid or None,
            uuid.UUID(session_id) if session_id else None,
            method,
            outcome,
        )

    async def check(
        self,
        caller: str,
        candidates: list[int],
        pin: str,
        *,
        call_sid: str = "",
        session_id: str | None = None,
        method: Method = "dtmf",
    ) -> PinCheck:
        """Check `pin` against the candidate customers' PINs for a call from `caller`, counting and auditing it."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('voice_pin:' || $1))", caller)
            sid = uuid.UUID(session_id) if session_id else None

            async def audit(outcome: Outcome, customer_id: int | None) -> None:
                await conn.execute(
                    "INSERT INTO voice_pin_attempts (caller, customer_id, call_sid, session_id, method, outcome) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    caller,
                    customer_id,
                    call_sid or None,
                    sid,
                    method,
                    outcome,
                )

            until = await conn.fetchval(
                "SELECT locked_until FROM voice_pin_lockouts WHERE caller=$1 AND locked_until > now()", caller
            )
            if until is not None:
                await audit("refused_locked", candidates[0] if len(candidates) == 1 else None)
                return PinCheck(None, "refused_locked", 0, until)
            for customer_id in sorted(candidates):  # in id order: two calls never wait on each other in a circle
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext('voice_pin_customer:' || $1::bigint))", customer_id
                )
            spent = {
                r["customer_id"]
                for r in await conn.fetch(
                    """SELECT customer_id FROM voice_pin_customer_failures
                       WHERE customer_id = ANY($1::bigint[]) AND created_at > now() - $2::interval
                       GROUP BY customer_id HAVING count(*) >= $3""",
                    candidates,
                    self.customer_window,
                    self.customer_max_failures,
                )
            }
            open_ = [c for c in candidates if c not in spent]
            if not open_:  # every customer it could be has had too many wrong PINs, from any numbers
                await audit("customer_locked", candidates[0] if len(candidates) == 1 else None)
                log.warning("voice.pin_customer_locked", customers=sorted(spent), caller_tail=caller[-4:])
                return PinCheck(None, "customer_locked", 0)
            rows = await conn.fetch(
                "SELECT id, voice_pin_hash FROM customers WHERE id = ANY($1::bigint[]) AND voice_pin_hash IS NOT NULL"
                " ORDER BY id",
                open_,
            )
            for row in rows:
                if await pin_matches_async(pin, row["voice_pin_hash"]):
                    await audit("verified", row["id"])
                    await conn.execute("DELETE FROM voice_pin_customer_failures WHERE customer_id=$1", row["id"])
                    return PinCheck(row["id"], "verified", self.max_attempts)
            await audit("wrong", candidates[0] if len(candidates) == 1 else None)
            await conn.execute(
                "INSERT INTO voice_pin_customer_failures (customer_id) SELECT unnest($1::bigint[])", open_
            )
            # Wrong guesses since the last success or the end of the last lock, within one lockout window.
            failures = await conn.fetchval(
                """SELECT count(*) FROM voice_pin_attempts
                   WHERE caller=$1 AND outcome='wrong' AND created_at > now() - $2::interval
                     AND created_at > coalesce((SELECT max(created_at) FROM voice_pin_attempts
                                                WHERE caller=$1 AND outcome IN ('verified', 'locked')), '-infinity')""",
                caller,
                self.lockout,
            )
            left = max(0, self.max_attempts - int(failures))
            if left > 0:
                return PinCheck(None, "wrong", left)
            until = await conn.fetchval(
                """INSERT INTO voice_pin_lockouts (caller, locked_until) VALUES ($1, now() + $2::interval)
                   ON CONFLICT (caller) DO UPDATE SET locked_until = EXCLUDED.locked_until, created_at = now()
                   RETURNING locked_until""",
                caller,
                self.lockout,
            )
            await audit("locked", candidates[0] if len(candidates) == 1 else None)
            return PinCheck(None, "locked", 0, until)
