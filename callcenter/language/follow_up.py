"""A message after an emergency report, in another language: the answer to what it asks, from the file.

The English flow (agents/emergency_follow_up.py) answers a follow-up by what it asks: "I'm out
now" gets "Good, you're out…", "how long?" the ticket's status, "thanks" a "you're welcome".
Before, a Spanish follow-up got the first safety script again, word for word, whatever it said
("ya salí del edificio, ¿qué hago ahora?" -> "Salga de su casa ahora mismo…"; outsider trial,
conv 23 and 26). A file's `[follow_up]` section says, in its own words, what a follow-up asks
(`asks`, folded regexes per ask) and the answer to each (`replies`), so a language is still a file
and the logic here is the same for every one of them. The base language's file may carry `asks`
too: they read a message that mixes the base language in ("can someone come mañana?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What a follow-up may ask, in the order they are tried (the English flow's order): a new or worse
# report first, then what the customer did, then their questions; `next` ("¿qué hago ahora?") asks
# for the steps and keeps a "ticket" or "status" word in it from being read as that question.
Ask = Literal["report", "out", "done", "back_in", "leave", "ticket", "status", "next", "thanks"]
ORDER: tuple[Ask, ...] = ("report", "out", "done", "back_in", "leave", "ticket", "status", "next", "thanks")


class FollowUpReplies(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    brief: dict[str, str] = Field(description="Per emergency kind, the one step that matters now; 'default'.")
    leads: dict[str, dict[str, str]] = Field(
        description="Per ask (out, done, back_in, leave, thanks), per kind ('default' for any other): the answer."
    )
    status: str = Field(description="'Is anyone coming?': {report}, {brief_lc}.")
    ticket: str = Field(description="'What's my ticket number?': {report}, {brief_lc}.")
    where: str = Field(description="Said after any other answer: {report}.")
    report: str = Field(description="A new or worse report, told to the team again: {brief}.")
    person: str = Field(description="A manager or a person asked for: on the report, {brief}.")
    reference: str = Field(description="The ticket in {report}: {ticket}.")
    no_reference: str = Field(description="{report} when no ticket is known.")
    handoff: dict[str, str] = Field(default_factory=dict, description="The handoff's state (waiting, held) in words.")
    danger: str = Field(description="Added when nothing said 911 yet.")
    line: str = Field(description="The 24/7 line, last: {line}.")
    welcome: str = Field(description="Before the answer when the follow-up also thanks.")

    @field_validator("brief")
    @classmethod
    def _has_default(cls, value: dict[str, str]) -> dict[str, str]:
        if "default" not in value:
            raise ValueError("needs a 'default' entry for emergency kinds without their own step")
        return value

    @field_validator("leads")
    @classmethod
    def _leads_have_defaults(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        unknown = set(value) - set(ORDER)
        if unknown:
            raise ValueError(f"unknown asks {sorted(unknown)}; asks are {', '.join(ORDER)}")
        missing = [ask for ask, by_kind in value.items() if "default" not in by_kind]
        if missing:
            raise ValueError(f"{', '.join(missing)} need a 'default' entry")
        return value


class FollowUpFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    asks: dict[Ask, list[str]] = Field(description="Per ask, folded-text regexes of a follow-up that asks it.")
    replies: FollowUpReplies | None = Field(default=None, description="Needed by a language the flows don't speak.")


@dataclass(frozen=True)
class FollowUps:
    """A `[follow_up]` section, compiled."""

    asks: tuple[tuple[Ask, tuple[re.Pattern[str], ...]], ...]
    replies: FollowUpReplies | None

    def asked(self, folded: str) -> Ask | None:
        """What the (folded) follow-up asks, by the file's cues; None when none of them is in it."""
        found = {ask for ask, patterns in self.asks if any(p.search(folded) for p in patterns)}
        if "next" in found:
            found -= {"ticket", "status"}
        return next((ask for ask in ORDER if ask in found), None)

    def thanks(self, folded: str) -> bool:
        return any(p.search(folded) for ask, patterns in self.asks if ask == "thanks" for p in patterns)


def compile_follow_ups(spec: FollowUpFile, compiled: dict[str, tuple[re.Pattern[str], ...]]) -> FollowUps:
    """`spec` with its cues compiled by the file's loader (`compiled`: per ask), in the order tried."""
    return FollowUps(asks=tuple((a, compiled[a]) for a in ORDER if a in compiled), replies=spec.replies)


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def answer(
    replies: FollowUpReplies,
    asked: Ask | None,
    kind: str,
    *,
    ticket: object,
    handoff: str,
    line: str,
    thanked: bool,
) -> str:
    """The reply to a follow-up that asked `asked` about an emergency of `kind`, whose handoff is in state
    `handoff` with `ticket`: the answer, the report's status, the emergency line (the English flow's shape)."""
    brief = replies.brief.get(kind) or replies.brief["default"]
    report = replies.reference.format(ticket=ticket) if ticket else replies.no_reference
    if replies.handoff.get(handoff):
        report += f" ({replies.handoff[handoff]})"
    values = {"brief": brief, "brief_lc": _first_lower(brief), "report": report, "line": line}
    if asked == "report":
        said = replies.report.format(**values)
    elif asked in ("status", "ticket"):
        said = (replies.status if asked == "status" else replies.ticket).format(**values)
    else:
        by_kind = replies.leads.get(asked or "", {})
        lead = (by_kind.get(kind) or by_kind.get("default") or brief).format(**values)
        said = f"{lead}. {replies.where.format(**values)}"
    if thanked and asked != "thanks":
        said = f"{replies.welcome} {said}"
    danger = "" if "911" in said else f" {replies.danger}"
    return f"{said}.{danger} {replies.line.format(**values)}"


def person_answer(replies: FollowUpReplies, kind: str, line: str) -> str:
    """A manager or a person asked for during the emergency: it goes on the report, the step, the line."""
    brief = replies.brief.get(kind) or replies.brief["default"]
    return f"{replies.person.format(brief=brief)}. {replies.line.format(line=line)}"
