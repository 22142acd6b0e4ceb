"""The language a live call is spoken in: ConversationRelay switches its voice and transcription with it.

A caller who speaks Spanish is answered in Spanish (callcenter/language/turn.py); on the phone
the reply must also be *spoken* by a Spanish voice, and the caller's next words transcribed as
Spanish. ConversationRelay takes a `language` message for that, which must arrive before the
reply's text tokens, so the relay asks here before each turn. The code travels on in the
handoff data, so the person who takes the call knows which language to answer in.
"""

from __future__ import annotations

from typing import Any

from callcenter.language.turn import LanguageTurns


def language_switch(locale: str) -> dict[str, Any]:
    """ConversationRelay's message to speak and transcribe in `locale` from now on."""
    return {"type": "language", "ttsLanguage": locale, "transcriptionLanguage": locale}


class CallLanguage:
    """The call's current language; `hear` returns the switch message when a caller's words change it."""

    def __init__(self, languages: LanguageTurns) -> None:
        self.languages = languages
        self.code: str | None = None  # None: the business's own, as the call started

    async def hear(self, text: str) -> dict[str, Any] | None:
        code = await self.languages.language_of(text, self.code)
        if code == (self.code or self.languages.languages.base):
            return None
        self.code = code
        locale = self.languages.locale(code)
        return language_switch(locale) if locale else None
