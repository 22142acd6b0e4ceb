"""Delivering a reply to the customer as deltas: word-aligned pieces, and what was already sent.

The orchestrator streams a verified reply through a `DeltaSink`; a backend that streams on its
own (after `SpecialistTurn.verify`) sends through the same sink, so the customer never sees a
piece twice.
"""

from __future__ import annotations

from collections.abc import Callable

from callcenter.specialists.seam import OnDelta


def chunk_text(text: str, size: int = 24) -> list[str]:
    """Split a reply into word-aligned pieces for streaming as deltas."""
    chunks: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) > size and current:
            chunks.append(current + " ")
            current = word
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


class DeltaSink:
    """The customer's delta stream for one turn, remembering what a backend already sent.

    A backend that streams (after `turn.verify` passed the text) sends through this; when the
    turn ends the orchestrator sends only the part of the reply the customer has not seen.
    """

    def __init__(self, on_delta: OnDelta, scrub: Callable[[str], str] = lambda text: text) -> None:
        self._on_delta = on_delta
        self._scrub = scrub  # the output filter: backends stream whole sentences, each is scrubbed
        self.sent = ""

    async def __call__(self, piece: str) -> None:
        piece = self._scrub(piece)
        self.sent += piece
        await self._on_delta(piece)

    async def finish(self, text: str) -> None:
        """Send what the customer has not seen of the final reply (already scrubbed), as one delta.

        The rest is known whole by now, so cutting it into word-sized pieces would only multiply
        frames: each costs a scrub, a JSON encoding and a socket write here and a decode in the
        client, ~9 per offline reply, with nothing shown sooner.
        """
        if self.sent and not text.startswith(self.sent):
            return  # the reply changed after streaming began; the final message carries the whole text
        rest = text[len(self.sent) :]
        if rest:
            self.sent += rest
            await self._on_delta(rest)
