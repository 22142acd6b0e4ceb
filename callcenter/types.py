"""Domain types shared by every layer: verticals, tiers, money, usage, handoffs.

Kept free of I/O so routing policy, cost arithmetic and tests can use them as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum
from typing import Any, TypeAlias

from pydantic import BaseModel, Field

Vertical: TypeAlias = str
"""What a customer's turn is about; the Tier-1 router's verdict. A name the business's agents
declare (`AgentSpec.vertical`), not a list the engine knows: another business brings its own."""


class Tier(IntEnum):
    """Model tiers, cheapest first. Escalation moves one step up."""

    CHEAP = 1
    MID = 2
    FRONTIER = 3

    def up(self) -> Tier:
        return Tier(min(self.value + 1, Tier.FRONTIER.value))


class StepType(StrEnum):
    """What a model call is for; static routing maps each to a tier."""

    CLASSIFICATION = "classification"
    EXTRACTION = "extraction"
    TOOL_SELECTION = "tool_selection"
    RESPONSE = "response"
    PLANNING = "planning"
    CODE_GENERATION = "code_generation"
    MULTI_STEP_REASONING = "multi_step_reasoning"
    VERIFICATION = "verification"
    USER_SIMULATION = "user_simulation"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


CENT = Decimal("0.01")


def to_cents(amount: Decimal | int | str) -> int:
    """Whole cents from a dollar amount, rounding half up (money is never a float)."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int) -> str:
    """`$1,234.50` for 123450; negative amounts get a leading minus."""
    sign = "-" if cents < 0 else ""
    dollars = Decimal(abs(cents)) / 100
    return f"{sign}${dollars:,.2f}"


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one model call, normalised across providers.

    `input_tokens` are uncached input tokens only: cache reads and writes are counted
    separately, so cost is a plain sum of count x price for each field.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
        )

    @property
    def prompt_tokens(self) -> int:
        """Everything the model read: uncached + cache writes + cache reads."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens


@dataclass(slots=True)
class Verdict:
    """A check's answer, whoever checked: the verifier's rules, the model judge, an eval's expectations.

    `reasons` say why it is not ok (the verifier may list several); `confidence` is how sure the
    checker is; `call_id` is the model call that produced it, when a model did.
    """

    ok: bool
    confidence: float = 1.0
    reasons: list[str] = field(default_factory=list)
    call_id: int | None = None

    @property
    def reason(self) -> str:
        """The first reason, or "ok": the one line a log or a report shows."""
        return self.reasons[0] if self.reasons else "ok"


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """The Tier-1 router's verdict for one turn."""

    vertical: Vertical
    confidence: float
    latency_ms: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    difficulty: float | None = None
    emergency: bool = False
    reason: str = ""


class HandoffContext(BaseModel):
    """What a specialist (or a human) receives when a turn is handed to it."""

    session_id: str
    customer_id: int | None
    customer_name: str | None = None
    channel: str = "chat"
    vertical: Vertical
    confidence: float = Field(ge=0.0, le=1.0)
    from_agent: str = "router"
    to_agent: str
    details: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    priority: Priority = Priority.NORMAL
