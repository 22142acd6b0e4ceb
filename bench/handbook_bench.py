"""Handbook retrieval: recall@1 / recall@3 of the handbook search on paraphrased questions.

    python -m bench.handbook_bench [--out bench/out/handbook.json]

`bench/data/handbook_questions.yaml` holds resident questions grouped by the handbook section
that answers them, worded mostly without the section's own words ("can I park a second car?",
"what happens if I pay rent on the 7th?"). The baseline, measured in the same run, is the same
BM25 index without the sections' `Keywords:` lines, i.e. the handbook's own words only.
`typos` scores a copy of every question with one slip in its longest word (a dropped, swapped,
doubled or wrong letter, seeded), as residents type; `--no-mend` turns off the search's mending
of words the handbook never uses, for the before/after figure.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from callcenter_tools.knowledge import Index, load_index

DATA = Path(__file__).resolve().parent / "data" / "handbook_questions.yaml"
OUT = Path(__file__).resolve().parent / "out" / "handbook.json"


def load_questions(path: Path = DATA) -> list[tuple[str, str]]:
    """(question, section id) pairs."""
    data = yaml.safe_load(path.read_text())
    return [(str(q), str(section)) for section, qs in data.items() for q in qs]


def score(index: Index, questions: list[tuple[str, str]]) -> dict[str, Any]:
    hits1 = hits3 = 0
    misses: list[dict[str, str | None]] = []
    per_section: dict[str, list[int]] = {}
    for q, section in questions:
        ranked = [a.id for _, a in index.score(q)[:3]]
        top = ranked[0] if ranked else None
        hits1 += top == section
        hits3 += section in ranked
        per_section.setdefault(section, [0, 0])
        per_section[section][0] += top == section
        per_section[section][1] += 1
        if top != section:
            misses.append({"question": q, "expected": section, "got": top})
    n = len(questions)
    return {
        "recall_at_1": hits1 / n,
        "recall_at_3": hits3 / n,
        "per_section_recall_at_1": {s: h / t for s, (h, t) in sorted(per_section.items())},
        "misses": misses,
    }


def slipped(question: str, rng: random.Random) -> str:
    """The question with one slip in its longest word of five letters or more (unchanged if none)."""
    words = question.split()
    longest = max(range(len(words)), key=lambda i: len(words[i].strip("?,.!")), default=None)
    if longest is None or len(word := words[longest].strip("?,.!")) < 5:
        return question
    i, kind = rng.randrange(1, len(word) - 1), rng.choice("dswr")
    if kind == "d":
        word = word[:i] + word[i + 1 :]
    elif kind == "s":
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == "w":
        word = word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]
    else:
        word = word[:i] + word[i] + word[i:]
    words[longest] = word
    return " ".join(words)


class _Unmended(Index):
    def mended(self, query: str) -> str:
        return query


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--data", type=Path, default=DATA, help="questions by section (default: %(default)s)")
    parser.add_argument("--no-mend", action="store_true", help="without mending slips in query words")
    args = parser.parse_args(argv)
    questions = load_questions(args.data)
    index = load_index()
    if args.no_mend:
        index = _Unmended(**{f: getattr(index, f) for f in index.__dataclass_fields__})
    baseline = Index.build([replace(a, keywords="") for a in index.articles])
    started = time.perf_counter()
    ours = score(index, questions)
    elapsed = time.perf_counter() - started
    base = score(baseline, questions)
    rng = random.Random(5)
    typos = score(index, [(slipped(q, rng), section) for q, section in questions])
    out = {
        "command": "python -m bench.handbook_bench"
        + ("" if args.data == DATA else f" --data {args.data}")
        + (" --no-mend" if args.no_mend else ""),
        "questions": len(questions),
        "sections": len({s for _, s in questions}),
        "with_keywords": ours,
        "baseline_handbook_words_only": {k: v for k, v in base.items() if k != "per_section_recall_at_1"},
        "typos": {k: v for k, v in typos.items() if k != "per_section_recall_at_1"},
        "mended": not args.no_mend,
        "mean_search_ms": 1000 * elapsed / len(questions),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(
        f"handbook recall@1 {ours['recall_at_1']:.3f} (baseline {base['recall_at_1']:.3f}), "
        f"recall@3 {ours['recall_at_3']:.3f} on {len(questions)} questions; with one slip each "
        f"{typos['recall_at_1']:.3f}; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
