"""Anthropic Messages API wire format: request reading, response bodies, SSE events.

Pure functions over plain data so the shapes can be checked without a server. Shapes follow
the public API as the official `anthropic` SDK parses it: a `message` object, streamed as
message_start / content_block_start / content_block_delta (text_delta, input_json_delta) /
content_block_stop / message_delta (stop_reason + cumulative usage) / message_stop, with
`ping` events mixed in, each as `event: NAME` + `data: JSON`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from callcenter.fakellm.prompt import Completion, Prompt, PromptSegment, canonical_fingerprint
from callcenter.types import Usage

API = "anthropic"
MAX_CACHE_BREAKPOINTS = 4
JSON_CHUNK = 12  # characters of tool-input JSON per input_json_delta

_STOP = {
    "end": "end_turn",
    "tool": "tool_use",
    "length": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "refusal",
}

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def validate_request(body: Mapping[str, Any]) -> str | None:
    """The API's 400 message for a malformed request, or None when it is acceptable."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
    markers = json.dumps(body).count('"cache_control"')  # the top-level one counts too
    if markers > MAX_CACHE_BREAKPOINTS:
        return f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {markers}."
    return None


def _block_text(block: Any) -> str:
    """The prompt text of one content block (what it would cost in tokens)."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return json.dumps(block, sort_keys=True, default=str)
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_use":
        return f"{block.get('name', '')}{json.dumps(block.get('input', {}), sort_keys=True)}"
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return "".join(_block_text(b) for b in content)
        return str(content)
    body = {k: v for k, v in block.items() if k != "cache_control"}
    return json.dumps(body, sort_keys=True, default=str)


def prompt_segments(body: Mapping[str, Any]) -> list[PromptSegment]:
    """Tools, system, then message blocks, in the order Anthropic's prompt cache prefixes them.

    A top-level `cache_control` (automatic caching) is a breakpoint on the last block."""
    segs: list[PromptSegment] = []
    for tool in body.get("tools") or []:
        clean = {k: v for k, v in tool.items() if k != "cache_control"}
        segs.append(PromptSegment(json.dumps(clean, sort_keys=True), "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        segs.append(PromptSegment(system))
    elif isinstance(system, list):
        for block in system:
            segs.append(PromptSegment(_block_text(block), isinstance(block, dict) and "cache_control" in block))
    for msg in body.get("messages") or []:
        content = msg.get("content", "")
        if isinstance(content, str):
            segs.append(PromptSegment(content))
        else:
            for block in content:
                segs.append(PromptSegment(_block_text(block), isinstance(block, dict) and "cache_control" in block))
    if isinstance(body.get("cache_control"), dict) and segs:
        segs[-1] = PromptSegment(segs[-1].text, True)
    return segs


def required_keys(body: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for tool in body.get("tools") or []:
        schema = tool.get("input_schema") or {}
        out[str(tool.get("name", ""))] = tuple(schema.get("required") or ())
    return out


def read_prompt(body: Mapping[str, Any]) -> Prompt:
    return Prompt(
        api=API,
        model=str(body["model"]),
        segments=tuple(prompt_segments(body)),
        fingerprint=canonical_fingerprint(body),
        required_keys=required_keys(body),
        max_tokens=int(body["max_tokens"]),
    )


def stop_reason(completion: Completion) -> str:
    return _STOP[completion.stop]


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_tokens,
            "ephemeral_1h_input_tokens": 0,
        },
        "service_tier": "standard",
    }


def _tool_input(arguments: dict[str, Any] | str) -> Any:
    """A tool_use `input` for a non-streamed message: the object, or (for raw strings that are
    not a JSON object) the raw string itself, so clients see the malformed input."""
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except ValueError:
            return arguments
        return parsed if isinstance(parsed, dict) else arguments
    return arguments


def content_blocks(completion: Completion, tool_ids: Sequence[str]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if completion.text or not completion.tool_calls:
        blocks.append({"type": "text", "text": completion.text})
    for call, tid in zip(completion.tool_calls, tool_ids, strict=True):
        blocks.append({"type": "tool_use", "id": tid, "name": call.name, "input": _tool_input(call.arguments)})
    return blocks


def message_body(msg_id: str, model: str, completion: Completion, tool_ids: Sequence[str]) -> dict[str, Any]:
    """The non-streamed `message` object."""
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content_blocks(completion, tool_ids),
        "stop_reason": stop_reason(completion),
        "stop_sequence": None,
        "usage": usage_body(completion.usage),
    }


def stream_events(
    msg_id: str, model: str, completion: Completion, tool_ids: Sequence[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The SSE events of a streamed message as (event name, data) pairs."""
    start_usage = usage_body(completion.usage)
    start_usage["output_tokens"] = 1 if completion.usage.output_tokens else 0
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    index = 0
    if completion.text or not completion.tool_calls:
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
            )
        )
        for piece in completion.tokens:
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    for call, tid in zip(completion.tool_calls, tool_ids, strict=True):
        events.append(
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "tool_use", "id": tid, "name": call.name, "input": {}},
                },
            )
        )
        raw = call.arguments_json()
        for i in range(0, len(raw), JSON_CHUNK):
            events.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": raw[i : i + JSON_CHUNK]},
                    },
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    final_usage = usage_body(completion.usage)
    del final_usage["cache_creation"], final_usage["service_tier"]
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason(completion), "stop_sequence": None},
                "usage": final_usage,
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def sse(event: str, data: Mapping[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def error_type(status: int) -> str:
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


def error_body(status: int, message: str, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error_type(status), "message": message or _default_message(status)},
        "request_id": request_id,
    }


def _default_message(status: int) -> str:
    return {
        401: "invalid x-api-key",
        429: "Number of request tokens has exceeded your per-minute rate limit",
        500: "Internal server error",
        529: "Overloaded",
    }.get(status, f"HTTP {status}")


def model_info(model_id: str) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model_id,
        "display_name": model_id.replace("-", " ").title(),
        "created_at": "2025-01-01T00:00:00Z",
        "lifecycle": "active",
    }


def models_page(model_ids: Sequence[str]) -> dict[str, Any]:
    return {
        "data": [model_info(m) for m in model_ids],
        "has_more": False,
        "first_id": model_ids[0] if model_ids else None,
        "last_id": model_ids[-1] if model_ids else None,
    }
