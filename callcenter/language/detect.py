"""Which language a message is in: the language files' lexicons first, a small classifier to break ties.

Why both: on the 1-6 word messages customers type ("cuanto debo", "agent please", "sí") a
character n-gram classifier is unsure or wrong, while a lexicon of each language's frequent words
is sure; on longer or mixed messages ("mi fregadero is leaking") the lexicons tie and the
classifier (py3langid, restricted to the business's languages) decides. English traffic that
contains no word of another language never reaches the classifier, so it costs nothing there.

Guards against switching an English speaker by accident: courtesy words ("gracias", "hola") are
`weak` and never count on their own; a switch needs a sure detection (`Detection.sure`) or the
language's own emergency or person patterns; and a street name ("Paseo de la Playa") is outvoted
by the English words around it.
Measured on short utterances by `python -m bench.language_bench` (bench/out/language.json).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

import structlog

from callcenter.language.packs import LanguagePack, Languages, fold, words

log = structlog.get_logger(__name__)

Classify = Callable[[str], tuple[str, float]]

CLASSIFIER_MIN_WORDS = 3  # below this an n-gram classifier is a coin toss
CLASSIFIER_MIN_PROB = 0.9
PATTERN_WEIGHT = 2  # an emergency or person pattern of a language is strong evidence of it
# A message with this many distinct words of the base language (and of no other) holds a clause in
# it: "mi inodoro esta tapado, can you send someone" is written by someone who reads the base language.
MIXED_BASE_WORDS = 3
# A reply this short to a question the base language's flow asked is an answer to it (glossed by the
# language file: "el jueves por favor" is "the thursday please"), unless it reports an emergency or
# asks for a person (the language's own patterns, checked first).
IN_FLOW_ANSWER_WORDS = 4


@dataclass(frozen=True)
class Detection:
    """`code` is the language the evidence favours (None: no evidence at all).

    `sure`: two or more points and at least one more than any other language — enough to switch a
    conversation. Otherwise the caller keeps the conversation's language (`Languages.resolve`).
    """

    code: str | None
    sure: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    patterns: frozenset[str] = frozenset()  # languages whose emergency/person/ask patterns matched


_lock = threading.Lock()


@cache
def load_classifier(codes: tuple[str, ...]) -> Classify | None:
    """py3langid restricted to `codes` (those it knows), or None when it is not installed.

    Loading takes one to two seconds (a compressed model); callers run it in a thread, once.
    """
    with _lock:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError:  # pragma: no cover - a dependency; detection falls back to the lexicons
            log.warning("language.classifier_missing", hint="pip install py3langid")
            return None
        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        known = [c for c in codes if c in ident.nb_classes]
        if len(known) < 2:
            return None
        ident.set_languages(known)

    def classify(text: str) -> tuple[str, float]:
        code, prob = ident.classify(text)
        return str(code), float(prob)

    return classify


def _matches_any(patterns: Sequence[re.Pattern[str]], folded: str) -> bool:
    return any(p.search(folded) for p in patterns)


def pattern_hits(pack: LanguagePack, folded: str, known: frozenset[str] = frozenset()) -> bool:
    """Whether the text asks for this language's people or reports an emergency in it (slips corrected)."""
    if _matches_any(pack.ask, folded):
        return True
    if not pack.heard_in(folded, known):
        return False
    folded = pack.corrected(folded, known)
    if _matches_any(pack.person, folded):
        return True
    return any(_matches_any(rule.patterns, folded) for rule in pack.emergencies)


class LanguageDetector:
    def __init__(self, languages: Languages, classify: Classify | None = None, *, use_classifier: bool = True) -> None:
        self.languages = languages
        self._classify = classify
        self.use_classifier = use_classifier  # False: the lexicons alone (bench/language_bench.py compares)
        self._codes = tuple(p.classifier_code for p in languages.packs.values())
        self._other_words: frozenset[str] = frozenset().union(
            *(p.words | p.weak | {w for w, v in p.spelling.items() if v == w} for p in languages.others)
        )

    @property
    def classifier_loaded(self) -> bool:
        return self._classify is not None or load_classifier.cache_info().currsize > 0

    def classifier(self) -> Classify | None:
        """The classifier, loading it on first use (blocking: call from a thread the first time)."""
        if self._classify is None:
            self._classify = load_classifier(self._codes)
        return self._classify

    def needs_classifier(self, text: str) -> bool:
        """Whether `detect` would consult the classifier (so an async caller can load it off the loop)."""
        return self._scores(fold(text))[2]

    def _scores(self, folded: str) -> tuple[dict[str, float], frozenset[str], bool]:
        tokens = words(folded)
        scores: dict[str, float] = {}
        patterns: set[str] = set()
        for code, pack in self.languages.packs.items():
            score = float(sum(1 for t in tokens if t in pack.words))
            if code != self.languages.base and pattern_hits(pack, folded, self.languages.base_words):
                score += PATTERN_WEIGHT
                patterns.add(code)
            scores[code] = score
        foreign = any(scores.get(p.code, 0) > 0 for p in self.languages.others)
        ranked = sorted(scores.values(), reverse=True)
        tied = len(ranked) > 1 and ranked[0] - ranked[1] < 2
        enough = len(tokens) >= CLASSIFIER_MIN_WORDS and len(self._codes) > 1
        needs = self.use_classifier and foreign and tied and enough
        return scores, frozenset(patterns), needs

    def detect(self, text: str) -> Detection:
        folded = fold(text)
        scores, patterns, needs = self._scores(folded)
        if needs:
            classify = self.classifier()
            if classify is not None:
                code, prob = classify(text)
                for pack in self.languages.packs.values():
                    if pack.classifier_code == code and prob >= CLASSIFIER_MIN_PROB:
                        scores[pack.code] = scores.get(pack.code, 0.0) + 1
        if not scores:
            return Detection(None, scores=scores, patterns=patterns)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        best, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if top <= 0 or top == second:
            return Detection(None, scores=scores, patterns=patterns)
        sure = top >= 2 and top - second >= 1
        return Detection(best, sure=sure, scores=scores, patterns=patterns)

    def _base_clause(self, text: str) -> bool:
        """Whether the text holds a clause of the base language: enough distinct words that only it uses."""
        base = self.languages.packs.get(self.languages.base)
        if base is None:
            return False
        own = {t for t in words(fold(text)) if t in base.words and t not in self._other_words}
        return len(own) >= MIXED_BASE_WORDS

    def resolve(self, detection: Detection, current: str | None, text: str, *, in_flow: bool = False) -> str:
        """The language this turn is answered in, given the conversation's so far (`current`).

        A sure detection switches; an unsure one keeps the conversation's language, except that a
        new or base-language conversation goes over on a short message with no base-language word
        at all ("ayuda", "emergencia") or on one of the language's own patterns. `in_flow`: a flow
        is waiting for an answer in the base language, where a lone "mañana" or "lunes" is an
        answer, not a switch.
        """
        base = self.languages.base
        current = current if current in self.languages.packs else base
        code = detection.code
        if code is None or code == current:
            return current
        if code in detection.patterns:
            return code  # its own emergency or person patterns ("help, huele a gas")
        if current == base and self._base_clause(text):
            return base  # code-switching into the base language: answered in it, not handed to other speakers
        if in_flow and current == base and len(words(fold(text))) <= IN_FLOW_ANSWER_WORDS:
            return base  # "el jueves por favor" to "Which one works?": an answer to the open question
        if detection.sure and (current == base or detection.scores.get(current, 0.0) == 0):
            return code  # back from another language only once its words are gone ("mi fregadero is leaking")
        short = len(words(fold(text))) <= 3
        if current == base and code != base and short and not in_flow and detection.scores.get(base, 0.0) == 0:
            return code
        return current
