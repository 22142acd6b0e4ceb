"""A fake model provider for tests and CI: Anthropic Messages + OpenAI Chat Completions on loopback.

    async with FakeLLMServer(seed=0) as fake:
        client = anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="test")
        fake.script([Reply(text="hi"), Fail(status=429, retry_after=1.0)])

Unscripted requests get deterministic modelled behaviour (see `modelled`).
"""

from callcenter.fakellm.oracle import encode_oracle
from callcenter.fakellm.script import Fail, Reply, ScriptItem, Slow, ToolCall, load_script
from callcenter.fakellm.server import FakeLLMServer, RecordedRequest

__all__ = [
    "Fail",
    "FakeLLMServer",
    "RecordedRequest",
    "Reply",
    "ScriptItem",
    "Slow",
    "ToolCall",
    "encode_oracle",
    "load_script",
]
