"""Language files: one TOML per language, read once and checked at start-up.

Another language is a file, not code: its lexicon (detection), emergency and person-request
patterns, reply texts and the human queue of people who speak it. The business's own language
(`BASE_LANGUAGE`, the one its flows speak) needs only a lexicon, so detection can tell the two
apart. Patterns and words are matched on folded text (lower case, accents and ñ dropped), so a
customer typing "calefaccion" or "cuanto debo" on a phone keyboard is read like "calefacción".
A malformed file stops start-up with a message naming the file and the field.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from callcenter.language.follow_up import FollowUpFile, FollowUps, compile_follow_ups
from callcenter.language.spoken import FlowsFile, SpokenFlows, compile_flows

_WORD = re.compile(r"[a-z0-9']+")


def fold(text: str, *, lower: bool = True) -> str:
    """Lower case without accents: "¿Cuánto debo?" -> "¿cuanto debo?" (ñ -> n, ü -> u).

    Patterns are folded with `lower=False`: their escapes (W, S, B after a backslash) keep their case.
    """
    decomposed = unicodedata.normalize("NFKD", text.lower() if lower else text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(folded: str) -> list[str]:
    return _WORD.findall(folded)


SPELLING_MIN_CHARS = 4  # shorter words have too many neighbours one slip away
SHORT_WORD = 5  # up to this many letters only a swap or a doubled letter is undone


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def pattern_words(patterns: Iterable[str]) -> set[str]:
    """The whole words a file's patterns spell out ("gas", "tuberia"), not stems ("inund" of `inund\\w+`).

    They join the spelling vocabulary, so a slip in any word a pattern needs is corrected without
    the file having to list it twice.
    """
    found: set[str] = set()
    for p in patterns:
        src = re.sub(r"\\[a-zA-Z]", " ", re.sub(r"\\w", "#", fold(p, lower=False).lower()))
        found.update(m.group(0) for m in re.finditer(r"(?<![a-z#])[a-z]{3,}(?![a-z#])", src))
    return found


def spelling_index(vocabulary: Iterable[str]) -> dict[str, str]:
    """Each word and its one-letter deletions -> the word (a symmetric-delete speller, distance 1).

    A typed word matches when it, or one of its own deletions, is a key: that covers a dropped,
    an added, a wrong and two swapped letters ("esat" -> "esta", "peuden" -> "pueden").
    """
    index: dict[str, str] = {}
    for word in sorted(vocabulary, key=lambda w: (len(w), w)):
        if len(word) < SPELLING_MIN_CHARS:
            continue  # its deletions are two-letter fragments; the word itself is added below
        for key in (word, *_deletes(word)):
            index.setdefault(key, word)
    for word in vocabulary:  # a real word is never "corrected" into another
        index[word] = word
    return index


def correct(folded: str, index: dict[str, str], known: frozenset[str]) -> str:
    """The folded text with each unknown word one slip from a word of `index` spelled right.

    Short words have too many real neighbours one letter away ("pasa"/"para", "apago"/"pago"),
    so up to SHORT_WORD letters only a swap or a doubled letter is undone ("gsa", "gaas" -> "gas",
    "hulee" -> "huele"), and a five-letter word may be a longer one missing a letter ("escpe") or
    have one wrong letter ("hudle");
    longer ones also get a dropped, added or wrong letter fixed, except a final letter added to a
    known word, which is usually a plural ("aguas"), not a slip.
    """

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if len(word) < 3 or word in known or word.isdigit() or index.get(word) == word:
            return word
        if len(word) <= SHORT_WORD:
            for i in range(len(word) - 1):
                swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
                undoubled = word[:i] + word[i + 1 :] if word[i] == word[i + 1] else ""
                for candidate in (swapped, undoubled):
                    if candidate and index.get(candidate) == candidate:
                        return candidate
            if len(word) == SHORT_WORD:
                if word in index:  # a longer word of the language, one letter dropped
                    return index[word]
                for key in _deletes(word):  # one wrong letter in a word of the same length ("hudle")
                    found = index.get(key)
                    if found is not None and found != key and len(found) == len(word):
                        return found
            return word
        if index.get(word[:-1]) == word[:-1]:
            return word
        if word in index:  # a word of the language with a letter dropped
            return index[word]
        for key in _deletes(word):
            if key in index:
                return index[key]
        return word

    return _WORD.sub(fix, folded)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LexiconFile(_Strict):
    words: list[str] = Field(min_length=1, description="Frequent words of this language that others don't use.")
    weak: list[str] = Field(
        default_factory=list,
        description="Courtesy words speakers of other languages use too (gracias, hola): never switch alone.",
    )
    negators: list[str] = Field(default_factory=list, description="Words that cancel an emergency just after them.")
    vocabulary: list[str] = Field(
        default_factory=list,
        description="More words the patterns use, for spelling correction only (not counted for detection).",
    )


class EmergencyFile(_Strict):
    patterns: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list, description="Benign compounds that overlap a match (fire drill).")
    requires: list[str] = Field(default_factory=list, description="Also needed somewhere in the text (a cold cue).")


class RepliesFile(_Strict):
    emergency: str = Field(description="{safety} and {line} are filled in.")
    safety: dict[str, str] = Field(description="Per emergency kind; 'default' for any other kind.")
    person: str
    other: str
    waiting: str = Field(description="A further message while a person of this language is on the way; {line}.")
    emergency_waiting: str = Field(description="A follow-up after an emergency handoff; {safety}, {line}.")
    reference: str = Field(description="Appended when the handoff opened a ticket; {ticket}.")
    unavailable: str = Field(description="The handoff failed; {line}.")
    other_topic: str | None = Field(
        default=None, description="`other` when a topic of the file is recognised; {topic}: its `said`."
    )
    greeting: str | None = Field(
        default=None, description="The answer to a bare greeting (`greeting` patterns): hello and what we can do."
    )
    voice_connecting: str | None = Field(default=None, description="Said on the phone while a person is dialled.")
    voice_connecting_emergency: str | None = Field(default=None, description="The same, to the emergency line.")

    @field_validator("safety")
    @classmethod
    def _has_default(cls, value: dict[str, str]) -> dict[str, str]:
        if "default" not in value:
            raise ValueError("needs a 'default' entry for emergency kinds without their own advice")
        return value


class TopicFile(_Strict):
    patterns: list[str] = Field(min_length=1, description="Folded-text regular expressions that name the topic.")
    said: str = Field(description="The topic in this language, for the reply ('una reparación').")
    staff: str = Field(description="The topic in the base language, for the handoff's reason ('repair request').")
    priority: Literal["normal", "high"] = Field(
        default="normal", description="The handoff's priority ('high': an outage going on for days, a repeat)."
    )


class LanguageFile(_Strict):
    code: str = Field(pattern=r"^[a-z]{2,3}$", description="ISO 639-1 (or -3) code, e.g. 'es'.")
    name: str = Field(min_length=1, description="In English, for the people at the desk: 'Spanish'.")
    classifier_code: str | None = Field(default=None, description="The detector's code when it differs.")
    voice_locale: str | None = Field(default=None, description="ConversationRelay language, e.g. 'es-US'.")
    queue: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    lexicon: LexiconFile
    emergency: dict[str, EmergencyFile] = Field(default_factory=dict)
    person: list[str] = Field(default_factory=list)
    ask: list[str] = Field(default_factory=list, description="Asking for this language in any language.")
    greeting: list[str] = Field(
        default_factory=list,
        description="A whole message that only greets or asks for help (hola, buenos dias): answered with "
        "`replies.greeting` in this language, no handoff.",
    )
    replies: RepliesFile | None = None
    topics: dict[str, TopicFile] = Field(
        default_factory=dict, description="What a request is about, so the handoff's reply and reason can say it."
    )
    glossary: dict[str, str] = Field(
        default_factory=dict,
        description="Words and phrases -> the base language's, for messages that mix them into it.",
    )
    flows: FlowsFile | None = Field(default=None, description="Requests the flows answer in this language.")
    follow_up: FollowUpFile | None = Field(
        default=None, description="What a message after an emergency report asks, and the answers (follow_up.py)."
    )


@dataclass(frozen=True)
class EmergencyRule:
    kind: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    requires: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class Topic:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    said: str
    staff: str
    priority: str = "normal"


@dataclass(frozen=True)
class LanguagePack:
    """One language, compiled: what `detect.py` and `turn.py` read."""

    code: str
    name: str
    classifier_code: str
    voice_locale: str | None
    queue: str | None
    words: frozenset[str]
    weak: frozenset[str]
    negators: frozenset[str]
    emergencies: tuple[EmergencyRule, ...] = ()
    person: tuple[re.Pattern[str], ...] = ()
    ask: tuple[re.Pattern[str], ...] = ()
    greeting: tuple[re.Pattern[str], ...] = ()
    replies: RepliesFile | None = None
    source: str = ""
    spelling: dict[str, str] = field(default_factory=dict)
    glossary: tuple[tuple[re.Pattern[str], str], ...] = ()
    topics: tuple[Topic, ...] = ()
    flows: SpokenFlows | None = None  # requests the flows answer in this language (spoken.py)
    follow_up: FollowUps | None = None  # a message after an emergency report (follow_up.py)

    def greets(self, folded: str, known: frozenset[str] = frozenset()) -> bool:
        """Whether the whole (folded) message is a greeting or a bare call for help in this language."""
        text = folded.strip(" \t\n!¡?¿.,;:")
        if not text or not self.greeting:
            return False
        return any(p.fullmatch(t) for t in {text, self.corrected(text, known)} for p in self.greeting)

    def topic(self, folded: str) -> Topic | None:
        """The first topic of the file the (folded) text names: what a handoff says it is about."""
        return next((t for t in self.topics if any(p.search(folded) for p in t.patterns)), None)

    def glossed(self, folded: str) -> str:
        """The (folded) text with this language's glossary words put in the base language."""
        for pattern, meaning in self.glossary:
            folded = pattern.sub(meaning, folded)
        return folded

    def heard_in(self, folded: str, known: frozenset[str] = frozenset()) -> bool:
        """Whether a word of the text is a word of this language (and not one of `known`'s).

        Patterns are only tried then: they are made of its words, and skipping them keeps a turn
        with no word of the language (most English turns) at a few microseconds. A slip in every
        one of a message's words ("hulee a gsa") is rare; one right word ("huele") opens the gate.
        """
        return any(w not in known and (w in self.words or self.spelling.get(w) == w) for w in words(folded))

    def corrected(self, folded: str, known: frozenset[str] = frozenset()) -> str:
        """The text with slips fixed against this language's words (`known`: other languages' words, kept)."""
        return correct(folded, self.spelling, known | self.weak) if self.spelling else folded

    def safety(self, kind: str) -> str:
        assert self.replies is not None
        return self.replies.safety.get(kind) or self.replies.safety["default"]


@dataclass(frozen=True)
class Languages:
    """The business's languages: `base` is the one its flows speak; the others are answered by `turn.py`."""

    base: str = "en"
    packs: dict[str, LanguagePack] = field(default_factory=dict)

    @property
    def others(self) -> tuple[LanguagePack, ...]:
        return tuple(p for code, p in self.packs.items() if code != self.base)

    @cached_property
    def base_words(self) -> frozenset[str]:
        """The base language's lexicon: words spelling correction never touches."""
        pack = self.packs.get(self.base)
        return pack.words | pack.weak if pack else frozenset()

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(p.queue for p in self.others if p.queue)

    def get(self, code: str | None) -> LanguagePack | None:
        return self.packs.get(code or "")


class LanguageFileError(ValueError):
    pass


_DECLARED_QUEUES: set[str] = set()


def language_queues() -> frozenset[str]:
    """The human queues every language file loaded in this process names (its speakers' teams).

    A business's handoff tool accepts these beside its own teams, so a new language needs no
    change to the tool: loading its file is what makes its queue a place a handoff may go.
    """
    return frozenset(_DECLARED_QUEUES)


def _compile(path: Path, where: str, patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    out = []
    for i, p in enumerate(patterns):
        try:
            out.append(re.compile(fold(p, lower=False), re.IGNORECASE))
        except re.error as exc:
            raise LanguageFileError(f"{path}: {where}[{i}] is not a valid regular expression: {exc}") from exc
    return tuple(out)


def _folded(items: Iterable[str]) -> frozenset[str]:
    return frozenset(w for item in items for w in words(fold(item)))


def load_pack(path: Path, base: str) -> LanguagePack:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        spec = LanguageFile.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LanguageFileError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise LanguageFileError(f"{path}: {problems}") from exc
    rules = tuple(
        EmergencyRule(
            kind=kind,
            patterns=_compile(path, f"emergency.{kind}.patterns", rule.patterns),
            unless=_compile(path, f"emergency.{kind}.unless", rule.unless),
            requires=_compile(path, f"emergency.{kind}.requires", rule.requires),
        )
        for kind, rule in spec.emergency.items()
    )
    person, ask = _compile(path, "person", spec.person), _compile(path, "ask", spec.ask)
    if spec.code != base:
        missing = [name for name in ("queue", "replies") if getattr(spec, name) is None]
        if missing:
            raise LanguageFileError(f"{path}: a language the flows don't speak needs {' and '.join(missing)}")
        if spec.follow_up is not None and spec.follow_up.replies is None:
            raise LanguageFileError(f"{path}: follow_up needs replies in a language the flows don't speak")
    if spec.queue:
        _DECLARED_QUEUES.add(spec.queue)
    return LanguagePack(
        code=spec.code,
        name=spec.name,
        classifier_code=spec.classifier_code or spec.code,
        voice_locale=spec.voice_locale,
        queue=spec.queue,
        words=_folded(spec.lexicon.words),
        weak=_folded(spec.lexicon.weak),
        negators=_folded(spec.lexicon.negators),
        emergencies=rules,
        person=person,
        ask=ask,
        greeting=_compile(path, "greeting", spec.greeting),
        replies=spec.replies,
        glossary=tuple(
            (re.compile(rf"\b{re.escape(fold(k).strip())}\b"), v)
            for k, v in sorted(spec.glossary.items(), key=lambda kv: -len(kv[0]))
        ),
        topics=tuple(
            Topic(name, _compile(path, f"topics.{name}.patterns", t.patterns), t.said, t.staff, t.priority)
            for name, t in spec.topics.items()
        ),
        flows=compile_flows(
            spec.flows,
            _compile(path, "flows.starts", spec.flows.starts),
            _compile(path, "flows.rewrites", [p for p, _ in spec.flows.rewrites]),
        )
        if spec.flows
        else None,
        follow_up=compile_follow_ups(
            spec.follow_up,
            {ask: _compile(path, f"follow_up.asks.{ask}", cues) for ask, cues in spec.follow_up.asks.items()},
        )
        if spec.follow_up
        else None,
        source=str(path),
        spelling=spelling_index(
            _folded([*spec.lexicon.words, *spec.lexicon.vocabulary])
            | pattern_words(
                [
                    *spec.person,
                    *spec.greeting,
                    *(p for rule in spec.emergency.values() for p in rule.patterns),
                    *(p for cues in (spec.follow_up.asks.values() if spec.follow_up else ()) for p in cues),
                ]
            )
        ),
    )


def load_languages(folders: Iterable[Path], base: str = "en") -> Languages:
    """Every `*.toml` in `folders`, in order; a later file of the same code replaces an earlier one."""
    packs: dict[str, LanguagePack] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            pack = load_pack(path, base)
            packs[pack.code] = pack
    return Languages(base=base, packs=packs)
