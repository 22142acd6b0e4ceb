"""`Args`: the base for tool arguments that survive OpenAI strict mode.

Every business's tools build their argument models on it, so the strict-schema rules
(length limits moved into descriptions, `null` meaning "use the default") live in one place.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, model_validator

from callcenter.tooling.toolkit import ToolArgs


def _strict_friendly(schema: dict[str, Any], _cls: type[Any]) -> None:
    """Move string length limits from keywords into the description.

    OpenAI strict mode rejects `minLength`/`maxLength`; the limit is still enforced by
    pydantic on the way in, and the model still learns it from the description.
    """
    for prop in schema.get("properties", {}).values():
        targets = [prop, *prop.get("anyOf", [])]
        for node in targets:
            limit = node.pop("maxLength", None)
            node.pop("minLength", None)
            if limit is not None:
                desc = prop.get("description", "").rstrip(". ")
                note = f"At most {limit} characters."
                prop["description"] = f"{desc}. {note}" if desc else note


class Args(ToolArgs):
    """Tool arguments that survive OpenAI strict mode.

    Strict mode lists every property as required and turns defaulted ones into
    nullable, so a model may send `null` for "use the default": such nulls are dropped
    before validation instead of failing a Literal or int field.
    """

    model_config = ConfigDict(json_schema_extra=_strict_friendly)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, field in cls.model_fields.items():
            if name in out and out[name] is None and not field.is_required() and field.default is not None:
                del out[name]
        return out
