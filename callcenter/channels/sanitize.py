"""Text from outside made safe to store: no NUL, no other control characters, no lone surrogates.

No bidi overrides either: an operator must read what the customer wrote in the order it was written.

PostgreSQL refuses NUL in text and asyncpg cannot encode a lone surrogate (`"\\ud800"` is valid
JSON but not UTF-8), so either would turn a customer's typo into a server error. Every string a
client sends (chat frames, relay messages, transcript bodies) passes through here first.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab, newline and carriage return; DEL; C1 controls; bidi embeddings, overrides and
# isolates (U+202A-202E, U+2066-2069: "\u202e" makes the desk console show text reversed, red-team
# F19) and the byte-order mark. Left-to-right/right-to-left marks stay: Arabic and Hebrew use them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_DEPTH = 32


def clean_text(text: str) -> str:
    """`text` without control characters, lone surrogates replaced by U+FFFD."""
    if text.isprintable():
        return text
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def clean_json(value: Any, depth: int = 0) -> Any:
    """Every string (keys too) in a parsed JSON value cleaned; nesting past MAX_DEPTH is cut to None."""
    if isinstance(value, str):
        return clean_text(value)
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    return value
