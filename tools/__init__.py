"""The demo business's typed tools: booking, billing, escalation and general knowledge.

Argument models build on `callcenter.tooling.args.Args`, the engine's strict-schema base.
"""

from __future__ import annotations

from typing import Any

from callcenter_tools.billing import BILLING_TOOLS
from callcenter_tools.booking import BOOKING_TOOLS
from callcenter_tools.escalation import ESCALATION_TOOLS
from callcenter_tools.knowledge import GENERAL_TOOLS

from callcenter.tooling.toolkit import Tool

ALL_TOOLS: tuple[Tool[Any], ...] = (*BOOKING_TOOLS, *BILLING_TOOLS, *ESCALATION_TOOLS, *GENERAL_TOOLS)

__all__ = ["ALL_TOOLS", "BILLING_TOOLS", "BOOKING_TOOLS", "ESCALATION_TOOLS", "GENERAL_TOOLS"]
