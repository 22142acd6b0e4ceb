"""The business's routing rules: requests that go to one agent whatever the classifier thinks.

A legal threat that names a repair is still a legal threat; a lockout is never a complaint. The
business lists (vertical, test) pairs (`ROUTE_RULES`); the first test that holds picks the agent.
"""

from __future__ import annotations

from dataclasses import replace

from callcenter.app import App
from callcenter.types import RouteDecision


def ruled(app: App, text: str, decision: RouteDecision) -> tuple[RouteDecision, bool]:
    """The decision the business's first matching rule makes, and whether one did."""
    for vertical, rule in app.route_rules:
        if rule(text):
            return replace(decision, vertical=vertical, confidence=1.0, reason="rule"), True
    return decision, False
