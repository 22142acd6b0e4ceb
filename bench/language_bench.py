"""Language detection on short resident messages: the lexicons, the classifier, and both together.

    python -m bench.language_bench [--out bench/out/language.json]

`bench/data/language_utterances.yaml` holds 1-8 word messages labelled English or Spanish (and a
few mixed ones labelled with the language the conversation should continue in). Three detectors
are scored on the language a new conversation would be answered in:

- `classifier`: py3langid alone, restricted to the business's languages (the library's verdict);
- `lexicon`: the language files' word lists alone (`LanguageDetector(use_classifier=False)`);
- `combined`: what the product runs (lexicons, patterns, the classifier on ties).

The figure that matters most is `english_switched`: English residents answered in Spanish.
The language files' lexicons were grown while looking at the first set's misses; the second,
`language_heldout.yaml`, was written afterwards and is reported apart (`heldout`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from callcenter.app import load_app
from callcenter.language.detect import LanguageDetector, load_classifier

DATA = Path(__file__).resolve().parent / "data" / "language_utterances.yaml"
HELDOUT = Path(__file__).resolve().parent / "data" / "language_heldout.yaml"
OUT = Path(__file__).resolve().parent / "out" / "language.json"


def load_utterances(path: Path = DATA) -> list[tuple[str, str, bool]]:
    """(text, language, mixed) triples."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = [(str(t), lang, False) for lang in ("en", "es") for t in data[lang]]
    rows += [(str(t), lang, True) for lang, texts in (data.get("mixed") or {}).items() for t in texts]
    return rows


def _bucket(text: str) -> str:
    n = len(text.split())
    return "1-2 words" if n <= 2 else "3-4 words" if n <= 4 else "5+ words"


def score(name: str, decide: Any, rows: list[tuple[str, str, bool]]) -> dict[str, Any]:
    right = 0
    misses: list[dict[str, str]] = []
    buckets: dict[str, list[int]] = {}
    started = time.perf_counter()
    verdicts = [decide(text) for text, _, _ in rows]
    per_call_us = (time.perf_counter() - started) / len(rows) * 1e6
    for (text, lang, _), got in zip(rows, verdicts, strict=True):
        ok = got == lang
        right += ok
        b = buckets.setdefault(_bucket(text), [0, 0])
        b[0] += ok
        b[1] += 1
        if not ok:
            misses.append({"text": text, "expected": lang, "got": str(got)})
    english = [(t, got) for (t, lang, _), got in zip(rows, verdicts, strict=True) if lang == "en"]
    return {
        "detector": name,
        "accuracy": round(right / len(rows), 3),
        "by_length": {k: round(v[0] / v[1], 3) for k, v in sorted(buckets.items())},
        "english_switched": sum(1 for _, got in english if got == "es"),
        "english_total": len(english),
        "per_call_us": round(per_call_us, 1),
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    languages = load_app("callcenter_agents").languages
    rows = load_utterances()
    started = time.perf_counter()
    classify = load_classifier(tuple(p.classifier_code for p in languages.packs.values()))
    load_s = time.perf_counter() - started
    if classify is None:
        print("py3langid is not installed: pip install -e .", file=sys.stderr)
        return 1
    lexicon = LanguageDetector(languages, use_classifier=False)
    combined = LanguageDetector(languages, classify)
    deciders = {
        "classifier": lambda t: classify(t)[0],
        "lexicon": lambda t: lexicon.resolve(lexicon.detect(t), None, t),
        "combined": lambda t: combined.resolve(combined.detect(t), None, t),
    }
    results = [score(name, decide, rows) for name, decide in deciders.items()]
    heldout_rows = load_utterances(HELDOUT)
    heldout = [score(name, decide, heldout_rows) for name, decide in deciders.items()]
    report = {
        "utterances": len(rows),
        "heldout_utterances": len(heldout_rows),
        "classifier": "py3langid",
        "classifier_load_s": round(load_s, 2),
        "results": results,
        "heldout": heldout,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for r in [*results, *({**h, "detector": "heldout " + h["detector"]} for h in heldout)]:
        print(
            f"{r['detector']:<10} accuracy {r['accuracy']:.3f}  {r['by_length']}  "
            f"English switched {r['english_switched']}/{r['english_total']}  {r['per_call_us']} us/call"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
