"""General questions: search the resident handbook (knowledge_base.md) with BM25.

The handbook is small and static, so it is parsed and indexed once per process; `search`
is a pure function over that index and needs no database.
"""

from __future__ import annotations

import importlib.resources
import math
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from pydantic import Field

from callcenter.tooling.args import Args
from callcenter.tooling.toolkit import ToolContext, tool

K1 = 1.5
B = 0.75
TITLE_WEIGHT = 2  # a query word in a section title counts as much as two in its body
# On top of BM25: a query word that names the section ("pool" for "Swimming pool") and two query
# words side by side in the section ("pay rent", "rent due") say more than scattered hits, which
# otherwise let a long section full of "open"/"hours" beat the one the question is about.
TITLE_BONUS = 0.5  # times the word's idf, per query word in the title
PHRASE_BONUS = 0.5  # times the pair's mean idf, per adjacent query pair found adjacent in the section

_STOPWORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "there",
        "this",
        "that",
        "am",
        "any",
        "get",
        "about",  # "thinking about a puppy": Viewings "last about an hour" is no answer
        "apartment",
        "building",  # every section is about the apartment or the building: no signal
    )
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    text: str
    keywords: str = ""  # words residents use for the topic; indexed, never quoted to them


_ORDINAL_WORDS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
# "the tenth" is the 10th ("second" is left alone: "a second car" is not the 2nd).
_ORDINALS = {w: f"{n}{'st' if n == 1 else 'rd' if n == 3 else 'th'}" for n, w in enumerate(_ORDINAL_WORDS, 1)}
_ORDINALS.pop("second")
_BRITISH = re.compile(r"(?<=[bdlmv])our(?=s?$)")  # neighbour, colour, harbour -> the handbook's spelling


def tokenize(text: str) -> list[str]:
    """Lowercase words minus stopwords, with a light plural/verb stem ('pets' -> 'pet').

    Ordinal words are the handbook's digits ("the tenth" -> "10th") and British spellings its
    American ones ("neighbour" -> "neighbor"): the same word, written another way.
    """
    out: list[str] = []
    for raw in _WORD.findall(text.lower()):
        word = _ORDINALS.get(raw) or _BRITISH.sub("or", raw)
        if word in _STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        for suffix in ("ing", "ment", "ed"):
            if len(word) > len(suffix) + 2 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        out.append(word)
    return out


MEND_MIN_CHARS = 6  # shorter words have too many neighbours one slip away
# Everyday words one slip away from a handbook word: never "mended" into it.
_EVERYDAY = """
sister waiting wording handed worded wanted seated hearing heated bother brother mother father cousin
longer finger ginger litter letter better butter matter setter sitter fitter gutter hatter
"""
_REAL_WORDS = frozenset(_EVERYDAY.split())


def one_slip(a: str, b: str) -> bool:
    """Whether `a` is `b` with one letter dropped, added, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def mend_word(word: str, known: Collection[str]) -> str:
    """`word`, or the word of `known` one slip away from it when there is one (words that only
    differ by an ending count as one: "packagse" is "packages" or "package", the same word).

    Typos keep the first letter and hide in longer words; shorter words and other first letters
    are mostly other real words ("sparking" is not "parking", "small" not "smell"), as are the
    `_REAL_WORDS` listed, so those are never mended.
    """
    if len(word) < MEND_MIN_CHARS or word in known or word in _REAL_WORDS:
        return word
    hits = [k for k in known if k[:1] == word[:1] and one_slip(word, k)]
    if len(hits) > 1 and len({tuple(tokenize(h)) for h in hits}) == 1:
        hits = sorted(hits, key=lambda h: abs(len(h) - len(word)))[:1]
    return hits[0] if len(hits) == 1 else word


def parse_sections(markdown: str) -> list[Article]:
    """Every `## Title` section of the handbook as one article.

    A `Keywords:` line in a section lists the words residents use for its topic ("parcel",
    "bbq", "paying on the 7th"): they are searched like the title but never quoted, so the
    handbook's own sentences stay the only thing a reply can say.
    """
    articles: list[Article] = []
    title: str | None = None
    lines: list[str] = []
    keywords: list[str] = []

    def flush() -> None:
        if title is not None and "".join(lines).strip():
            slug = "-".join(_WORD.findall(title.lower()))
            text = " ".join(s.strip() for s in lines if s.strip())
            articles.append(Article(id=slug, title=title, text=text, keywords=" ".join(keywords)))

    for line in markdown.splitlines():
        if line.startswith("## "):
            flush()
            title, lines, keywords = line[3:].strip(), [], []
        elif title is not None and line.startswith("Keywords:"):
            keywords.append(line.removeprefix("Keywords:").strip())
        elif title is not None:
            lines.append(line)
    flush()
    return articles


def _keyword_tokens(article: Article) -> list[str]:
    """Each keyword once: a long keyword line must not outweigh the section's own words."""
    return list(dict.fromkeys(tokenize(article.keywords)))


def _pairs(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


@dataclass(frozen=True)
class Index:  # frozen, no slots: `words` is a cached_property
    articles: tuple[Article, ...]
    docs: tuple[Counter[str], ...]
    lengths: tuple[int, ...]
    idf: dict[str, float]
    avg_len: float
    titles: tuple[frozenset[str], ...] = ()
    pairs: tuple[frozenset[tuple[str, str]], ...] = ()

    @classmethod
    def build(cls, articles: list[Article]) -> Index:
        docs = [Counter(tokenize(a.text) + (tokenize(a.title) + _keyword_tokens(a)) * TITLE_WEIGHT) for a in articles]
        lengths = [sum(d.values()) for d in docs]
        n = len(docs)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        avg = sum(lengths) / n if n else 0.0
        titles = tuple(frozenset(tokenize(a.title) + _keyword_tokens(a)) for a in articles)
        pairs = tuple(
            frozenset(_pairs(tokenize(a.title)) | _pairs(tokenize(a.text)) | _pairs(tokenize(a.keywords)))
            for a in articles
        )
        return cls(tuple(articles), tuple(docs), tuple(lengths), idf, avg, titles, pairs)

    def mended(self, query: str) -> str:
        """The query with each word the handbook never uses read as the one handbook word a slip away
        ("grace peroid", "pacages", "EV charing"); words of fewer than five letters are left alone."""
        return _WORD.sub(lambda m: self._mend_word(m.group(0)), query.lower())

    def _mend_word(self, word: str) -> str:
        return word if word in _STOPWORDS else mend_word(word, self.words)

    @cached_property
    def words(self) -> frozenset[str]:
        """Every word of the handbook (text, titles, keywords) as written, lower case."""
        return frozenset(
            w for a in self.articles for w in _WORD.findall(f"{a.title} {a.text} {a.keywords}".lower()) if len(w) > 3
        )

    def score(self, query: str) -> list[tuple[float, Article]]:
        terms = tokenize(self.mended(query))
        wanted_pairs = _pairs(terms)
        scored: list[tuple[float, Article]] = []
        for i, (article, doc, length) in enumerate(zip(self.articles, self.docs, self.lengths, strict=True)):
            s = 0.0
            for t in terms:
                tf = doc.get(t, 0)
                if tf:
                    s += self.idf[t] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.avg_len))
            if s > 0:
                title = self.titles[i] if self.titles else frozenset()
                s += TITLE_BONUS * sum(self.idf[t] for t in set(terms) if t in title)
                found = wanted_pairs & self.pairs[i] if self.pairs else set()
                s += PHRASE_BONUS * sum((self.idf[a] + self.idf[b]) / 2 for a, b in found)
                scored.append((s, article))
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        return scored


@lru_cache(maxsize=1)
def _handbook_source() -> str:
    return importlib.resources.files("callcenter_tools").joinpath("knowledge_base.md").read_text("utf-8")


def handbook_text() -> str:
    """The whole resident handbook (markdown), as the agents' shared prompt prefix quotes it.

    Without the sections' `Keywords:` lines: they help search find a section, they are not
    something to quote to a resident.
    """
    return "\n".join(line for line in _handbook_source().splitlines() if not line.startswith("Keywords:")) + "\n"


@lru_cache(maxsize=1)
def load_index() -> Index:
    return Index.build(parse_sections(_handbook_source()))


def search(query: str, limit: int = 3) -> list[dict[str, Any]]:
    """The best-matching handbook sections for `query`, best first (empty when nothing matches).

    `matched` lists the question's words the section matched, in its text, title or keywords: a
    question that names the topic only indirectly ("a second car" for Parking) matches through the
    keywords, and a reply must not take the absence of those words from the text for a miss.
    `named`: those of them that name the section (its title or keywords), and `asked`: how many
    words the question had, so a reply can tell "is there a pool" (the pool named) from "whats the
    weather like tomorrow" (one stray "like" in the subletting rules).
    """
    index = load_index()
    terms = {t for t in tokenize(index.mended(query)) if len(t) > 2}  # not the "s" of "what's"
    return [
        {
            "id": a.id,
            "title": a.title,
            "text": a.text,
            "score": round(s, 3),
            "matched": sorted(terms & _article_terms(a)),
            "named": sorted(terms & _topic_terms(a)),
            "asked": len(terms),
        }
        for s, a in index.score(query)[:limit]
    ]


@lru_cache(maxsize=64)
def topic_words(article_id: str) -> frozenset[str]:
    """A section's title words, tokenized: what names the section ("parking" in Parking), not one of
    its facts; a reply weighs them less when it picks the sentence that answers a question."""
    title = next((a.title for a in load_index().articles if a.id == article_id), "")
    return frozenset(tokenize(title))


@lru_cache(maxsize=1024)
def _article_terms(article: Article) -> frozenset[str]:
    """A section's words, tokenized once (re-reading whole sections was a tenth of a turn's CPU)."""
    return frozenset(tokenize(f"{article.title} {article.text} {article.keywords}"))


@lru_cache(maxsize=1024)
def _topic_terms(article: Article) -> frozenset[str]:
    """The words that name a section: its title's and its keywords'."""
    return frozenset(tokenize(article.title) + _keyword_tokens(article))


class SearchArgs(Args):
    query: str = Field(min_length=1, max_length=300, description="The resident's question, in a few words.")
    limit: int = Field(default=3, ge=1, le=5, description="How many handbook sections to return.")


@tool(vertical="general")
async def search_knowledge_base(ctx: ToolContext, args: SearchArgs) -> dict[str, Any]:
    """Search the resident handbook (office hours, emergencies, pets, parking, rent and fees,
    payments, maintenance, quiet hours, packages, guests, amenities, move-out, renewal, pests...).

    Answer only from the returned text; if nothing relevant comes back, say so and offer a ticket.
    """
    found: dict[str, Any] = {"articles": search(args.query, args.limit)}
    if ctx.customer_id is not None:  # "how much is parking": the resident's own building's price
        building = await ctx.conn.fetchval("SELECT building FROM customers WHERE id = $1", ctx.customer_id)
        if building:
            found["building"] = str(building)
    return found


GENERAL_TOOLS = (search_knowledge_base,)
