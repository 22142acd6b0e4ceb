"""The request inside the courtesy: "hi there. yes plesae, thanks" is the answer "yes".

Residents wrap short answers in greetings, hesitations and thanks, and type them fast. A flow
that asked "Shall I book it?" must read the wrapped answer the way it reads the bare one, and
the orchestrator must not mistake the thanks around an answer for a new request. `polite_core`
peels the lead-in and the thanks off both ends (`lead_in.request_core`), after `fix_typos` has
mended one-letter slips in the words that matter for answers ("plesae", "confrim", "everrything").
Pure functions, English only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from callcenter_agents.extract._text import SMALL_NUMBERS, TENS, lower
from callcenter_agents.extract.lead_in import request_core

__all__ = ["answer_text", "fix_typos", "is_bare_ack", "polite_core"]

# Words whose one-letter slips are mended: courtesy words, and the words answers are made of.
# Number words and look-alikes ("three" next to "there") are listed so they are never "mended".
_WORDS: Final = """
please thanks thank hello there excuse question quick morning afternoon evening ahead
confirm confirmed correct perfect great alright absolutely definitely certainly sounds
everything whole entire balance amount total first second third fourth fifth
actually instead change rather would better works friday monday tuesday wednesday thursday
saturday sunday tomorrow today later earlier these those where
hundred thousand grand dollars dollar bucks cents never forget cancel changed changes
schedule payment repair plumber appointment maintenance booking
"""
# Real words one slip away from a listed one: never "mended" ("work" is not "works").
_REAL: Final = """
work hole were here tank thin hell than then them they ever hall tall toll told hold cold wall well
will whom whoa wore sure five nine four fine fist firs late rate ours tree thee thew hour sound sounds
plea lease worst world charge charged charges mount light night weight while think water brand letter
greet words thinks bounds could right even might backs eighty fight sight tight bright height freight
chose layer gather chance alter seen newer forged rounds balanced balancer seer sever eleven event
leads header leading slower logged leans garage wording leasing logs training leaving showed reading heading
dealing sealing healing feeling lasting stocks tripping
"""
_REAL_SHORT: Final = frozenset(_REAL.split())
_COURTESY: Final = frozenset(("please", "thanks", "thank", "hello", "there", "excuse"))
_VOCABULARY: Final = frozenset(_WORDS.split()).union(SMALL_NUMBERS, TENS)
_ALPHA = re.compile(r"[a-z]+")


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by one swap of neighbours, one drop, one extra letter or one change."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@lru_cache(maxsize=8192)
def _mend(word: str, extra: frozenset[str] = frozenset()) -> str:
    vocabulary = _VOCABULARY | extra if extra else _VOCABULARY
    if len(word) < 4 or word in vocabulary:
        return word
    if word in _REAL_SHORT:  # a real word one slip away from a listed one ("work" next to "works")
        return word
    if any(word[: -len(end)] in vocabulary for end in ("s", "d") if word.endswith(end)):
        return word  # an inflection of a listed word ("appointments", "scheduled"), not a slip
    hits = [v for v in vocabulary if len(v) >= 5 and _one_edit(word, v)]
    if len(hits) > 1 and len({h.removesuffix("s") for h in hits}) == 1:
        hits = [max(hits, key=len)]  # "dollasr", "thansk": "dollar(s)", "thank(s)", the same word either way
    if len(hits) > 1:  # "thre": "there" or "three"? Courtesy is the likelier slip around an answer.
        hits = [h for h in hits if h in _COURTESY]
    if hits:
        return hits[0] if len(hits) == 1 else word
    # A slip in a listed word's plural ("evwnings", "morinngs", "satudrays"): the plural, mended.
    stem = word[:-1]
    if word.endswith("s") and len(stem) >= 5 and stem not in _REAL_SHORT:
        plural = [v for v in vocabulary if len(v) >= 5 and _one_edit(stem, v)]
        if len(plural) == 1:
            return plural[0] + "s"
    return word


def fix_typos(text: str, extra: Iterable[str] = ()) -> str:
    """Lower-cased `text` with one-letter slips mended in answer and courtesy words, and in the
    `extra` words a detector looks for ("lpcked" -> "locked")."""
    return _mended(text, frozenset(extra))


@lru_cache(maxsize=256)
def _mended(text: str, extra: frozenset[str]) -> str:
    """fix_typos, remembered: a turn's detectors mend the same message ~50 times (red team R6: a third
    of a 2,000-character turn's CPU). Pure, so safe to share between turns and threads."""
    return _ALPHA.sub(lambda m: _mend(m.group(0), extra), lower(text))


def polite_core(text: str) -> str:
    """The message without the courtesy around it (`lead_in.request_core`), lower-cased and
    typo-mended; "" when it was only courtesy ("thanks!", "hi there")."""
    return request_core(fix_typos(text)).strip(" ,;:-")


def answer_text(text: str) -> str:
    """The answer inside the courtesy ("hi there. yes plesae, thanks" -> "yes"), lower-cased;
    the whole message, typo-mended, when it is nothing but courtesy ("thanks")."""
    core = polite_core(text)
    if core:
        return core
    mended = fix_typos(text).strip()
    # All of it courtesy by the lead-in's reckoning, yet "good morning, ok, thank you" holds an "ok".
    ack = _ACK_WORD.search(mended)
    return ack.group(0) if ack else mended


_ACK_WORD: Final = re.compile(r"\b(?:ok|okay|yes|yeah|yep|sure|alright|no|nope)\b")
_ACK: Final = re.compile(
    r"^(?:yes|yeah|yea|yep|yup|ya|yah|sure|ok|okay|k|kk|alright|all right|fine|right|no|nope|nah|cool|then|"
    r"got it|great|good|perfect|sounds good|ok then|okay then|yes please|no thanks|no thank you)[\s.!]*$"
)
# A go-ahead or a no made of several answer words ("sure go ahead", "yep that's fine", "ok do it",
# "no that's all"): every word is one of these, and one of them answers (`_ACK_HEADS`).
_HEADS: Final = """
yes yeah yea yep yup ya yah sure ok okay k kk alright fine right no nope nah cool great good perfect
ahead proceed absolutely definitely course works sounds
"""
_FILLERS: Final = """
then please pls plz thanks thank thx you go do it that that's thats is its it's for me all of lets let's
thing sir maam ma'am just sounds good fine works totally sure so well yes ok okay right
"""
_ACK_HEADS: Final = frozenset(_HEADS.split())
_ACK_FILLERS: Final = frozenset(_FILLERS.split())
_ACK_TOKEN: Final = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _ack_words(text: str) -> bool:
    tokens = _ACK_TOKEN.findall(text)
    if not tokens or len(tokens) > 6:
        return False
    return any(t in _ACK_HEADS for t in tokens) and all(t in _ACK_HEADS or t in _ACK_FILLERS for t in tokens)


def is_bare_ack(text: str) -> bool:
    """A bare yes / ok / go-ahead / no: an answer with no question in front of it means nothing by itself."""
    # The whole message too: the lead-in takes "ok" for a lead-in, and "ok then" is all answer.
    whole = fix_typos(text).strip(" ,")
    if "?" in text:
        return False
    return bool(_ACK.match(answer_text(text)) or _ACK.match(whole) or _ack_words(whole))
