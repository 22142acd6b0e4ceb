"""Spoken-style variants of written utterances, to train and test the router for speech.

The public intent sets are typed, punctuated, one-clause requests; what reaches the router from
a phone call is an ASR transcript: lower case, no punctuation, fillers ("um", "you know"),
repeated words and false starts, homophones and merged or split contractions, numbers said as
words, and long turns that ramble before (or after) the request. `spoken_variant` applies a
random mix of those to one utterance; the router's training adds one such variant per example
(so both styles are learnt), and the bench scores a noised copy of each test split as a proxy
for real speech. Pure functions of the text and a seeded `random.Random`: the same seed gives
the same variants.
"""

from __future__ import annotations

import random
import re

FILLERS = ("um", "uh", "uhm", "er", "like", "you know", "i mean", "so", "well", "okay", "yeah", "right")
OPENERS = (
    "hi",
    "hello",
    "hi yes",
    "yeah hi",
    "hello um",
    "okay so",
    "so",
    "yes hi",
    "good morning",
    "hey there",
    "um hi",
    "hi how are you",
)
RAMBLE_BEFORE = (
    "so i'm calling because",
    "hi um i was wondering",
    "yeah so basically",
    "okay so the thing is",
    "i've been meaning to call about this",
    "so i just got home and",
    "i don't know if you can help me but",
    "sorry i'm a bit all over the place today",
    "my name is alex and",
    "i called last week too and",
    "i'm not sure who to ask about this",
    "hi i live in unit four b and",
)
RAMBLE_AFTER = (
    "thank you",
    "thanks",
    "if that makes sense",
    "please",
    "that's all",
    "yeah",
    "if you can",
    "thanks so much",
    "i appreciate it",
    "as soon as possible",
)
# Whole-word confusions an ASR system makes (homophones, merged or split contractions).
ASR = {
    "to": ("two", "too"),
    "too": ("to",),
    "for": ("four", "fore"),
    "there": ("their", "they're"),
    "their": ("there",),
    "your": ("you're",),
    "you're": ("your",),
    "i'm": ("im", "i am"),
    "don't": ("dont", "do not"),
    "can't": ("cant", "can not"),
    "won't": ("wont",),
    "it's": ("its",),
    "what's": ("whats", "what is"),
    "i'd": ("id", "i would"),
    "i'll": ("ill",),
    "want": ("wan",),
    "want to": ("wanna",),
    "going to": ("gonna",),
    "got to": ("gotta",),
    "my": ("me",),
    "the": ("a", "uh"),
    "and": ("an",),
    "rent": ("rant",),
    "sink": ("think",),
    "leak": ("leek",),
    "bill": ("built",),
    "pay": ("pray",),
    "fee": ("free",),
    "cancel": ("council",),
    "schedule": ("schedual",),
    "appointment": ("a point meant",),
    "maintenance": ("maintain its",),
    "account": ("a count",),
    "balance": ("balanced",),
    "card": ("cart",),
    "transfer": ("transfers",),
    "would": ("wood",),
    "week": ("weak",),
    "four": ("for",),
    "two": ("to",),
    "eight": ("ate",),
    "write": ("right",),
    "right": ("write",),
    "no": ("know",),
    "know": ("no",),
    "hear": ("here",),
    "here": ("hear",),
    "mail": ("male",),
    "wait": ("weight",),
    "through": ("threw",),
}
_NUMBERS = {
    "0": "zero",
    "1": "one",
    "2": "two",
    "3": "three",
    "4": "four",
    "5": "five",
    "6": "six",
    "7": "seven",
    "8": "eight",
    "9": "nine",
    "10": "ten",
    "15": "fifteen",
    "20": "twenty",
    "30": "thirty",
    "50": "fifty",
    "100": "a hundred",
}
_PUNCT = re.compile(r"[^\w\s'$]")
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def transcript_style(text: str) -> str:
    """What an ASR transcript of `text` looks like before any mistake: lower case, no punctuation."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def _say_number(match: re.Match[str]) -> str:
    digits = match.group(0)
    if digits in _NUMBERS:
        return _NUMBERS[digits]
    return " ".join(_NUMBERS[d] for d in digits)  # "250" -> "two five zero", as a transcript may spell it


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1 :]  # a dropped letter
    if kind < 0.7:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped
    return word[:i] + word[i] + word[i:]  # a doubled letter


def spoken_variant(text: str, rng: random.Random, *, strength: float = 1.0) -> str:
    """One ASR-transcript-like rendering of `text`.

    `strength` scales every probability (0 leaves only lower case without punctuation). Each
    kind of noise is drawn independently, so most variants carry two or three of them.
    """
    s = transcript_style(text)
    if rng.random() < 0.5 * strength:
        s = _DIGITS.sub(_say_number, s)
    words = s.split()
    if not words:
        return s
    out: list[str] = []
    i = 0
    p_asr = 0.12 * strength
    p_filler = 0.08 * strength
    p_repeat = 0.05 * strength
    p_typo = 0.04 * strength
    while i < len(words):
        w = words[i]
        pair = f"{w} {words[i + 1]}" if i + 1 < len(words) else ""
        if pair in ASR and rng.random() < p_asr * 2:
            out.append(rng.choice(ASR[pair]))
            i += 2
            continue
        if w in ASR and rng.random() < p_asr:
            w = rng.choice(ASR[w])
        elif rng.random() < p_typo:
            w = _typo(w, rng)
        if rng.random() < p_filler:
            out.append(rng.choice(FILLERS))
        if rng.random() < p_repeat:
            out.append(w)  # "i i need"
        out.append(w)
        i += 1
    if len(out) > 3 and rng.random() < 0.15 * strength:  # false start: "i want i want to pay"
        k = rng.randrange(1, min(4, len(out)))
        out = out[:k] + out
    if rng.random() < 0.45 * strength:
        out = rng.choice(OPENERS).split() + out
    if rng.random() < 0.25 * strength:
        out = rng.choice(RAMBLE_BEFORE).split() + out
    if rng.random() < 0.3 * strength:
        out = out + rng.choice(RAMBLE_AFTER).split()
    return " ".join(out)


def with_spoken_variants(
    examples: list[tuple[str, str]], *, copies: int = 1, seed: int = 0, strength: float = 1.0
) -> list[tuple[str, str]]:
    """The examples followed by `copies` spoken variants of each, labels unchanged."""
    rng = random.Random(seed)
    out = list(examples)
    for _ in range(copies):
        out.extend((spoken_variant(t, rng, strength=strength), v) for t, v in examples)
    return out
