"""Two booking tools for the provider tests: what a provider exports as tool schemas and parses back.

They do nothing when called; the tests check the wire (schemas, tool calls, their order and caching).
"""

from __future__ import annotations

from typing import Any

from callcenter.tooling.toolkit import ToolArgs, ToolContext, tool


class SlotArgs(ToolArgs):
    kind: str
    day: str | None = None


@tool()
async def find_slots(ctx: ToolContext, args: SlotArgs) -> dict[str, Any]:
    """Find free maintenance slots of a kind."""
    return {}


@tool()
async def book_slot(ctx: ToolContext, args: SlotArgs) -> dict[str, Any]:
    """Book a maintenance slot."""
    return {}
