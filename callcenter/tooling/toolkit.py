"""Typed tools: a function plus a pydantic argument model, exported to both model APIs.

A tool never receives a customer id from its arguments: the verified customer comes
from the `ToolContext` the orchestrator builds from the session. That is how "the model
never chooses whose data it touches" holds by construction.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar, get_type_hints

import asyncpg
from pydantic import BaseModel, ConfigDict

from callcenter.settings import Settings
from callcenter.types import Vertical

ArgsT = TypeVar("ArgsT", bound=BaseModel)


class ToolArgs(BaseModel):
    """Base for tool argument models: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ToolError(Exception):
    """A tool refused (no such slot, nothing owed...). The message is safe to show the model."""

    def __init__(self, message: str, *, code: str = "tool_error") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class ToolLimits:
    """What the operator allows tools acting for one customer (settings); every tool sees them.

    Kept apart from the arguments so no model can choose them, and apart from the tools so the
    business code reads a named, documented setting instead of a constant of its own.
    """

    open_handoffs_per_customer: int = 1  # CALLCENTER_OPEN_HANDOFFS_PER_CUSTOMER

    @classmethod
    def of(cls, settings: Settings) -> ToolLimits:
        return cls(open_handoffs_per_customer=settings.open_handoffs_per_customer)


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Everything a tool may act on. `customer_id` is the session's verified customer."""

    conn: asyncpg.Connection
    session_id: str
    customer_id: int | None
    now: datetime
    idempotency_key: str = ""
    agent: str = ""
    limits: ToolLimits = ToolLimits()

    def require_customer(self) -> int:
        if self.customer_id is None:
            raise ToolError("This needs a verified customer; ask them to sign in first.", code="unverified")
        return self.customer_id


ToolFn = Callable[[ToolContext, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool(Generic[ArgsT]):
    name: str
    description: str
    args_model: type[ArgsT]
    fn: Callable[[ToolContext, ArgsT], Awaitable[dict[str, Any]]]
    writes: bool
    vertical: Vertical | None = None
    claims: tuple[str, ...] = ()
    """Phrases a reply may use once this tool succeeded in the turn ("booked", "paid"): the verifier
    rejects a reply that claims one of them when no tool declaring it succeeded."""
    facts: Callable[[dict[str, Any]], Iterable[str]] | None = None
    """The claim phrases one of this tool's results states as a fact (a balance of $0 backs "paid"
    as in "all paid up", a listed cancelled visit backs "cancelled"): reading the truth back to the
    customer is not claiming an action, so the verifier accepts it when the result says so."""

    def facts_of(self, result: dict[str, Any] | None) -> tuple[str, ...]:
        """The claim phrases `result` (a successful call's) backs, by `claims` and by `facts`."""
        if result is None:
            return ()
        found = tuple(self.facts(result)) if self.facts is not None else ()
        return (*self.claims, *found)

    def parse(self, raw: dict[str, Any]) -> ArgsT:
        """Validate model-supplied arguments (raises pydantic.ValidationError)."""
        return self.args_model.model_validate(raw)

    # The schemas are built once per tool and shared by every request (pydantic's schema generation
    # was a large part of a model turn's CPU). Each call returns a fresh top-level dict (a request
    # may mark it, as Anthropic's cache_control does); what is nested in it is shared: read only.
    def json_schema(self) -> dict[str, Any]:
        return dict(_json_schema(self.args_model))

    def anthropic_schema(self) -> dict[str, Any]:
        """The Anthropic Messages API `tools[]` entry."""
        return dict(_anthropic_schema(self))

    def openai_schema(self) -> dict[str, Any]:
        """The OpenAI Chat Completions `tools[]` entry, in strict mode."""
        return dict(_openai_schema(self))


@lru_cache(maxsize=1024)
def _json_schema(args_model: type[BaseModel]) -> dict[str, Any]:
    schema = args_model.model_json_schema()
    schema.pop("title", None)
    return schema


@lru_cache(maxsize=1024)
def _anthropic_schema(tool: Tool[Any]) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "input_schema": tool.json_schema()}


@lru_cache(maxsize=1024)
def _openai_schema(tool: Tool[Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": strict_schema(tool.json_schema()),
            "strict": True,
        },
    }


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a pydantic JSON Schema for OpenAI strict mode.

    Strict mode wants every property listed in `required`, `additionalProperties: false`
    on every object, and no `default`; optional fields become nullable instead.
    """
    out = copy.deepcopy(schema)

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("default", None)
            node.pop("title", None)
            if node.get("type") == "object" and "properties" in node:
                required = set(node.get("required", []))
                for key, prop in node["properties"].items():
                    if key not in required and not _is_nullable(prop):
                        node["properties"][key] = {"anyOf": [prop, {"type": "null"}]}
                node["required"] = list(node["properties"].keys())
                node["additionalProperties"] = False
            for value in node.values():
                fix(value)
        elif isinstance(node, list):
            for item in node:
                fix(item)

    fix(out)
    return out


def _is_nullable(prop: dict[str, Any]) -> bool:
    return any(opt.get("type") == "null" for opt in prop.get("anyOf", [])) or prop.get("type") == "null"


def tool(
    *,
    name: str | None = None,
    writes: bool = False,
    vertical: Vertical | None = None,
    claims: tuple[str, ...] = (),
    facts: Callable[[dict[str, Any]], Iterable[str]] | None = None,
) -> Callable[[Callable[[ToolContext, ArgsT], Awaitable[dict[str, Any]]]], Tool[ArgsT]]:
    """Declare a tool from `async def fn(ctx: ToolContext, args: SomeArgs) -> dict`.

    The argument model comes from the second parameter's annotation and the description
    from the docstring, so the function is the single source of truth. `claims` are the
    phrases its success lets a reply say (see `Tool.claims`); `facts` reads the phrases one
    result states as a fact (see `Tool.facts`).
    """

    def wrap(fn: Callable[[ToolContext, ArgsT], Awaitable[dict[str, Any]]]) -> Tool[ArgsT]:
        hints = get_type_hints(fn)
        params = list(inspect.signature(fn).parameters)
        if len(params) != 2:
            raise TypeError(f"tool {fn.__name__} must take (ctx, args)")
        args_model = hints[params[1]]
        doc = inspect.getdoc(fn) or ""
        return Tool(
            name=name or fn.__name__,
            description=doc.strip(),
            args_model=args_model,
            fn=fn,
            writes=writes,
            vertical=vertical,
            claims=tuple(claims),
            facts=facts,
        )

    return wrap
