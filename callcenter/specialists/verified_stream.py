"""Verified sentence streaming: say what claims nothing now, hold what claims something.

A voice caller should not wait for a whole reply to be generated and verified before
hearing anything. `VerifiedStream` sits between the model's text deltas and the channel:
each complete sentence that makes no checkable claim (`callcenter.specialists.claims`) and is not a
hedge goes out at once; the first sentence that claims something, and every sentence
after it (order is kept), is held until the reply is finished and verified against the
turn's evidence; a claim-free sentence still passes the verifier on its own first
(`check_sentence`). When verification fails, the held sentences are dropped and the turn
escalates; what was already said made no claim, so nothing needs retracting, and the
next attempt's reply does not repeat it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from callcenter.specialists.claims import SentenceSplitter, makes_claim
from callcenter.specialists.verifier import is_hedge
from callcenter.types import Verdict

Send = Callable[[str], Awaitable[None]]


@dataclass
class VerifiedStream:
    """One turn's outgoing text. `feed` the model's deltas, then `finish` with a verifier."""

    send: Send
    check_sentence: Callable[[str], bool] = lambda sentence: True
    """The verifier on one claim-free sentence (hedges and anything else it rejects are held)."""
    sent: str = ""
    """Everything already delivered to the customer this turn."""
    first_sent_at: float | None = None
    _held: list[str] = field(default_factory=list)
    _attempt: str = ""
    _splitter: SentenceSplitter = field(default_factory=SentenceSplitter)

    async def feed(self, delta: str) -> None:
        self._attempt += delta
        for sentence in self._splitter.feed(delta):
            await self._offer(sentence)

    async def _offer(self, sentence: str) -> None:
        if self._held or makes_claim(sentence) or is_hedge(sentence) or not self.check_sentence(sentence):
            self._held.append(sentence)
            return
        if _already_said(self.sent, sentence):
            return  # a retry repeating what an earlier attempt already said
        await self._deliver(sentence)

    async def _deliver(self, text: str) -> None:
        if self.first_sent_at is None:
            self.first_sent_at = time.perf_counter()
        self.sent += text
        await self.send(text)

    @property
    def reply(self) -> str:
        """This attempt's whole text (sent and held)."""
        return self._attempt

    async def end_call(self) -> None:
        """One model call is complete: its last sentence is complete too, even without a space after it."""
        for sentence in self._splitter.flush():
            await self._offer(sentence)

    def abandon(self) -> None:
        """Drop this attempt's held sentences without sending them (the step is being escalated)."""
        self._held, self._attempt, self._splitter = [], "", SentenceSplitter()

    async def finish(self, verify: Callable[[str], Awaitable[Verdict]]) -> Verdict:
        """Verify this attempt's reply; deliver the held sentences when it passes, drop them when not.

        After a failed verification the stream is ready for the next attempt (the next tier's
        reply), which is fed through the same object.
        """
        for sentence in self._splitter.flush():
            await self._offer(sentence)
        verdict = await verify(self._attempt)
        if verdict.ok:
            for sentence in self._held:
                if not _already_said(self.sent, sentence):
                    await self._deliver(sentence)
        self.abandon()
        return verdict


def _already_said(sent: str, sentence: str) -> bool:
    return bool(sentence.strip()) and sentence.strip() in sent
