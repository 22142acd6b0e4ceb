"""OpenAI Chat Completions wire format: request reading, response bodies, SSE chunks.

Pure functions over plain data. Shapes follow the public OpenAPI document (checked in
tests/test_fakellm.py against /work/shared/specs/openai) and what the official `openai` SDK
parses: `chat.completion` objects, `chat.completion.chunk` deltas whose tool calls carry an
`index`, a usage-only final chunk with empty `choices` when `stream_options.include_usage`
is set, and `data: [DONE]` at the end. `prompt_tokens` includes cached tokens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from callcenter.fakellm.prompt import Completion, Prompt, PromptSegment, canonical_fingerprint
from callcenter.types import Usage

API = "openai"
ARGS_CHUNK = 12  # characters of tool arguments per delta
SYSTEM_FINGERPRINT = "fp_fakellm"
DONE = b"data: [DONE]\n\n"

_FINISH = {
    "end": "stop",
    "tool": "tool_calls",
    "length": "length",
    "stop_sequence": "stop",
    "refusal": "content_filter",
}


def validate_request(body: Mapping[str, Any]) -> str | None:
    """The API's 400 message for a malformed request, or None when it is acceptable."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must contain at least one message"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant", "tool"):
            return f"Invalid value for 'messages[{i}].role'"
        if m.get("role") == "tool" and not m.get("tool_call_id"):
            return f"Missing required parameter: 'messages[{i}].tool_call_id'"
    return None


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            else:
                parts.append(json.dumps(part, sort_keys=True, default=str))
        return "".join(parts)
    return json.dumps(content, sort_keys=True, default=str)


def prompt_segments(body: Mapping[str, Any]) -> list[PromptSegment]:
    """Tools then messages, serialised so an extended conversation extends the prefix."""
    segs = [PromptSegment(json.dumps(t, sort_keys=True)) for t in body.get("tools") or []]
    for msg in body.get("messages") or []:
        text = f"<{msg.get('role')}>" + _content_text(msg.get("content"))
        for call in msg.get("tool_calls") or []:
            fn = call.get("function", {})
            text += f"{fn.get('name', '')}{fn.get('arguments', '')}"
        segs.append(PromptSegment(text))
    return segs


def required_keys(body: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for tool in body.get("tools") or []:
        fn = tool.get("function") or {}
        params = fn.get("parameters") or {}
        out[str(fn.get("name", ""))] = tuple(params.get("required") or ())
    return out


def read_prompt(body: Mapping[str, Any]) -> Prompt:
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    cache_key = body.get("prompt_cache_key")
    return Prompt(
        api=API,
        model=str(body["model"]),
        segments=tuple(prompt_segments(body)),
        fingerprint=canonical_fingerprint(body),
        required_keys=required_keys(body),
        max_tokens=int(max_tokens) if isinstance(max_tokens, int) else None,
        cache_key=str(cache_key) if cache_key else None,
        want_logprobs=bool(body.get("logprobs")),
        top_logprobs=int(body.get("top_logprobs") or 0),
    )


def finish_reason(completion: Completion) -> str:
    return _FINISH[completion.stop]


def usage_body(usage: Usage) -> dict[str, Any]:
    """OpenAI counts cached (and cache-written) tokens inside prompt_tokens."""
    prompt = usage.prompt_tokens
    details: dict[str, int] = {"cached_tokens": usage.cache_read_tokens, "audio_tokens": 0}
    if usage.cache_write_tokens:
        details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": details,
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def token_logprob(token: str, logprob: float, top: int) -> dict[str, Any]:
    """One ChatCompletionTokenLogprob; alternatives are the same token less likely."""
    entry: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}
    alts = [dict(entry)] + [
        {"token": f"{token}~{i}", "logprob": round(logprob - 1.0 - i, 6), "bytes": list(f"{token}~{i}".encode())}
        for i in range(1, top)
    ]
    return {**entry, "top_logprobs": alts[:top]}


def logprobs_body(completion: Completion, top: int) -> dict[str, Any] | None:
    if completion.logprobs is None:
        return None
    return {
        "content": [token_logprob(t, lp, top) for t, lp in zip(completion.tokens, completion.logprobs, strict=True)],
        "refusal": None,
    }


def _tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def completion_body(
    completion_id: str, created: int, model: str, completion: Completion, call_ids: Sequence[str], top_logprobs: int
) -> dict[str, Any]:
    """The non-streamed `chat.completion` object."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": completion.text if (completion.text or not completion.tool_calls) else None,
        "refusal": None,
        "annotations": [],
    }
    if completion.tool_calls:
        message["tool_calls"] = [
            _tool_call(cid, c.name, c.arguments_json()) for c, cid in zip(completion.tool_calls, call_ids, strict=True)
        ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": logprobs_body(completion, top_logprobs),
                "finish_reason": finish_reason(completion),
            }
        ],
        "usage": usage_body(completion.usage),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def stream_chunks(
    completion_id: str,
    created: int,
    model: str,
    completion: Completion,
    call_ids: Sequence[str],
    *,
    include_usage: bool,
    top_logprobs: int,
) -> list[dict[str, Any]]:
    """The `chat.completion.chunk` objects of a streamed completion, in order (without [DONE])."""

    def chunk(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}],
        }
        if include_usage:
            out["usage"] = None
        return out

    with_logprobs = completion.logprobs is not None
    chunks = [
        chunk(
            {"role": "assistant", "content": "", "refusal": None},
            logprobs={"content": [], "refusal": None} if with_logprobs else None,
        )
    ]
    lps = completion.logprobs or ()
    for i, tok in enumerate(completion.tokens):
        lp = {"content": [token_logprob(tok, lps[i], top_logprobs)], "refusal": None} if with_logprobs else None
        chunks.append(chunk({"content": tok}, logprobs=lp))
    for index, (call, cid) in enumerate(zip(completion.tool_calls, call_ids, strict=True)):
        chunks.append(chunk({"tool_calls": [{"index": index, **_tool_call(cid, call.name, "")}]}))
        raw = call.arguments_json()
        for i in range(0, len(raw), ARGS_CHUNK):
            chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": raw[i : i + ARGS_CHUNK]}}]}))
    chunks.append(chunk({}, finish_reason(completion)))
    if include_usage:
        chunks.append(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "service_tier": "default",
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": [],
                "usage": usage_body(completion.usage),
            }
        )
    return chunks


def sse(data: Mapping[str, Any]) -> bytes:
    return f"data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def error_body(status: int, message: str) -> dict[str, Any]:
    """OpenAI's error envelope: {"error": {message, type, param, code}}."""
    kind, code = {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        404: ("invalid_request_error", "model_not_found"),
        429: ("requests", "rate_limit_exceeded"),
        503: ("server_error", "service_unavailable"),
    }.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    default = {
        401: "Incorrect API key provided.",
        429: "Rate limit reached for requests",
        500: "The server had an error while processing your request.",
    }.get(status, f"HTTP {status}")
    return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}


def model_object(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1735689600, "owned_by": "fakellm"}


def models_list(model_ids: Sequence[str]) -> dict[str, Any]:
    return {"object": "list", "data": [model_object(m) for m in model_ids]}
