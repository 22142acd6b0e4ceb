"""Requests a language file lets the flows do in that language, and the phrasebook they answer with.

Before, every turn in another language went to that language's people, even a fully specified
"necesito cambiar mi cita del martes 8" (trial5 #27) that the same flow does at once in English.
A file's `[flows]` section names the agent whose flow may answer (`agent`), the requests that
start it (`starts`, folded regexes), `rewrites` that put the language's ways of saying a date in
the base language's ("el jueves 10" is the 10th, not 10 o'clock), and a `phrasebook`: the flow's
own sentences (base-language regexes) with their translation, so the customer is answered in
their language. A sentence the phrasebook lacks stays as the flow wrote it; the flow's facts
(labels, numbers) are never retyped, only the words around them, and the label words (`words`,
"Thu" -> "jue") last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

MAX_ANSWER_WORDS = 8  # a message this short, while the flow's question is open, answers it


class FlowsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str = Field(min_length=1, description="The agent whose flow answers these requests in this language.")
    starts: list[str] = Field(min_length=1, description="Folded-text regexes of requests the flow answers.")
    rewrites: list[tuple[str, str]] = Field(
        default_factory=list, description="[folded regex, replacement] applied before the glossary."
    )
    phrasebook: list[tuple[str, str]] = Field(
        min_length=1, description="[base-language regex of a flow sentence, its translation with \\g<name> groups]."
    )
    words: dict[str, str] = Field(default_factory=dict, description="Base-language words of labels -> this one's.")


@dataclass(frozen=True)
class SpokenFlows:
    """A `[flows]` section, compiled."""

    agent: str
    starts: tuple[re.Pattern[str], ...]
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    phrasebook: tuple[tuple[re.Pattern[str], str], ...]
    words: tuple[tuple[re.Pattern[str], str], ...]

    def asks(self, folded: str) -> bool:
        """Whether the (folded, corrected) message is a request the flow answers in this language."""
        return any(p.search(folded) for p in self.starts)

    def answers(self, folded: str) -> bool:
        """A short answer to the flow's open question ("el jueves 10 en la tarde", "sí", "la segunda")."""
        return len(folded.split()) <= MAX_ANSWER_WORDS or self.asks(folded)

    def rewritten(self, folded: str) -> str:
        for pattern, replacement in self.rewrites:
            folded = pattern.sub(replacement, folded)
        return folded

    def translate(self, text: str) -> str:
        """The flow's reply in this language, sentence by sentence as far as the phrasebook goes."""
        for pattern, said in self.phrasebook:
            text = pattern.sub(said, text)
        for pattern, said in self.words:
            text = pattern.sub(said, text)
        return text


def compile_flows(
    spec: FlowsFile, starts: tuple[re.Pattern[str], ...], rewrites: tuple[re.Pattern[str], ...]
) -> SpokenFlows:
    """`spec` compiled: `starts` and `rewrites` (folded, compiled by the file's loader), the phrasebook
    (the flow's own sentences, matched as written) and the label words."""
    return SpokenFlows(
        agent=spec.agent,
        starts=starts,
        rewrites=tuple(zip(rewrites, (r for _, r in spec.rewrites), strict=True)),
        phrasebook=tuple((re.compile(p), r) for p, r in spec.phrasebook),
        words=tuple(
            (re.compile(rf"\b{re.escape(k)}\b"), v) for k, v in sorted(spec.words.items(), key=lambda kv: -len(kv[0]))
        ),
    )
