"""`callcenter route` and `callcenter router train | train-difficulty | retrain`.

Thin: parse, call the routing library, print. Errors name the next step (which file, which line,
which command to run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import asyncpg

from callcenter.routing.classifier import (
    BUSINESS_REPEAT,
    FALLBACK_BIAS,
    LEARNERS,
    SPOKEN_COPIES,
    Example,
    VerticalClassifier,
    default_classifier,
    with_business_examples,
)
from callcenter.routing.difficulty import DifficultyModel
from callcenter.routing.emergency import DEFAULT_EMERGENCY_TERMS, detect_emergency
from callcenter.types import Vertical

MIN_PER_CLASS = 20


class CommandError(Exception):
    """A user-facing error: printed to stderr, exit code 2."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    route = subparsers.add_parser(
        "route",
        help="route utterances to a vertical with the local Tier-1 router",
        description="Route one utterance (TEXT) or one per line of --file to a vertical "
        "(booking, billing, escalation, general, out_of_scope), flagging emergencies.",
    )
    route.add_argument("text", nargs="?", help="the utterance to route")
    route.add_argument("--file", "-f", help="one utterance per line; '-' reads stdin")
    route.add_argument("--json", action="store_true", help="one JSON object per line")
    route.add_argument("--model", "-m", help="trained router model (.npz); default: trained from the app's examples")
    route.add_argument("--difficulty-model", help="difficulty model (.npz): adds 'difficulty' (0..1)")
    route.add_argument("--min-confidence", type=float, help="below this, out_of_scope (default: the model's)")
    route.set_defaults(func=_guard(cmd_route))

    router = subparsers.add_parser("router", help="train the local router and difficulty models")
    rsub = router.add_subparsers(dest="router_command", metavar="ACTION", required=True)

    train = rsub.add_parser("train", help="train the vertical router from JSONL rows {text, vertical[, intent]}")
    train.add_argument(
        "--data",
        required=True,
        help='JSONL file, rows {"text": ..., "vertical": ..., "intent": ...}; intent (optional) is a finer label '
        "the model learns (a public set's intent), each always with the same vertical",
    )
    train.add_argument("--out", required=True, help="where to write the model (.npz)")
    train.add_argument("--min-confidence", type=float, default=0.45, help="out_of_scope below this (default 0.45)")
    train.add_argument(
        "--without-business-examples",
        action="store_true",
        help=f"train on --data alone (default: plus the agents' own example utterances, each {BUSINESS_REPEAT} times)",
    )
    train.add_argument(
        "--fallback-bias",
        type=float,
        help="added to the out-of-scope logit (default per learner, tuned on CLINC150 validation: "
        + ", ".join(f"{k} {v}" for k, v in FALLBACK_BIAS.items())
        + "; 0: none)",
    )
    train.add_argument(
        "--tune-on",
        metavar="FILE",
        help="validation JSONL rows {text, vertical[, group]} (never the test split): temperature and min "
        "confidence are chosen on them by balanced accuracy over groups (default: the vertical; give rows on "
        "topics no training row covers a group of their own, e.g. unknown_topic); overrides --min-confidence",
    )
    train.add_argument(
        "--learner",
        choices=("auto", *LEARNERS),
        default="auto",
        help="auto (default): linear-svm when rows name an intent, else logistic",
    )
    train.add_argument(
        "--spoken-copies",
        type=int,
        default=SPOKEN_COPIES,
        help=f"transcript-style variants added per example (default {SPOKEN_COPIES}; 0: typed text only)",
    )
    train.set_defaults(func=_guard(cmd_train))

    tdiff = rsub.add_parser("train-difficulty", help="train the difficulty model from JSONL rows {text, hard}")
    tdiff.add_argument("--data", required=True, help='JSONL file, rows {"text": ..., "hard": true|false}')
    tdiff.add_argument("--out", required=True, help="where to write the model (.npz)")
    tdiff.set_defaults(func=_guard(cmd_train_difficulty))

    retrain = rsub.add_parser(
        "retrain", help="retrain the difficulty model from this deployment's own turns in PostgreSQL"
    )
    retrain.add_argument("--out", required=True, help="where to write the model (.npz)")
    retrain.set_defaults(func=_guard(cmd_retrain))


def _guard(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except CommandError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


# --- input helpers ----------------------------------------------------------------------------


def _open_lines(name: str) -> Iterator[tuple[int, str]]:
    if name == "-":
        for i, line in enumerate(sys.stdin, 1):
            yield i, line.rstrip("\n")
        return
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"file {name} not found: check the path (use '-' to read from stdin)")
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            yield i, line.rstrip("\n")


def read_jsonl(name: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a bad line stops with its line number and what it needs."""
    rows: list[dict[str, Any]] = []
    for lineno, line in _open_lines(name):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name}:{lineno}: not valid JSON ({exc.msg}); fix or remove that line") from exc
        if not isinstance(row, dict) or any(k not in row for k in required):
            keys = ", ".join(required)
            raise CommandError(f"{name}:{lineno}: each line must be a JSON object with keys {keys}")
        rows.append(row)
    if not rows:
        raise CommandError(f"{name} has no rows: one JSON object per line expected")
    return rows


# --- route ------------------------------------------------------------------------------------


def _load_router(args: argparse.Namespace) -> tuple[VerticalClassifier, tuple[str, ...]]:
    from callcenter.settings import Settings

    settings = Settings()
    terms: tuple[str, ...] = DEFAULT_EMERGENCY_TERMS
    model_path = args.model or settings.router_model_path
    if model_path:
        try:
            model = VerticalClassifier.load(model_path)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if args.min_confidence is not None:
            model.min_confidence = args.min_confidence
        model.fallback = _business_fallback(settings.agents_module)
        return model, terms
    from callcenter.app import load_app

    try:
        app = load_app(settings.agents_module)
    except ImportError as exc:
        raise CommandError(
            f"cannot load the agents module {settings.agents_module!r} ({exc}); "
            "pass --model or set CALLCENTER_AGENTS_MODULE"
        ) from exc
    try:
        model = default_classifier(
            app,
            settings.data_dir / "models",
            min_confidence=args.min_confidence if args.min_confidence is not None else settings.router_min_confidence,
        )
    except ValueError as exc:
        raise CommandError(f"{exc}; pass --model with a model from `callcenter router train`") from exc
    return model, terms + tuple(app.emergency_terms)


def _business_fallback(agents_module: str) -> Vertical | None:
    """The business's out-of-scope vertical, when its agents module loads (a bare model file has none)."""
    from callcenter.app import load_app

    try:
        return load_app(agents_module).fallback_vertical
    except (ImportError, ValueError):
        return None


def cmd_route(args: argparse.Namespace) -> int:
    if not args.text and not args.file:
        raise CommandError('give an utterance (`callcenter route "I need to pay my bill"`) or --file FILE')
    model, terms = _load_router(args)
    difficulty: DifficultyModel | None = None
    if args.difficulty_model:
        try:
            difficulty = DifficultyModel.load(args.difficulty_model)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
    lines: Iterator[str] = (line for _, line in _open_lines(args.file)) if args.file else iter([args.text])
    out = sys.stdout
    for text in lines:
        if not text.strip():
            continue
        _route_one(model, difficulty, terms, text, args.json, out)
    return 0


def _route_one(
    model: VerticalClassifier,
    difficulty: DifficultyModel | None,
    terms: tuple[str, ...],
    text: str,
    as_json: bool,
    out: TextIO,
) -> None:
    decision = model.predict(text)
    emergency = detect_emergency(text, terms)
    row: dict[str, Any] = {
        "text": text,
        "vertical": decision.vertical,
        "confidence": round(decision.confidence, 4),
        "latency_ms": round(decision.latency_ms, 4),
    }
    if emergency:
        row["emergency"] = emergency
    if difficulty is not None:
        row["difficulty"] = round(difficulty.score(text), 4)
    if as_json:
        out.write(json.dumps(row) + "\n")
        return
    lines = [
        f"{text}",
        f"  -> {decision.vertical}  confidence {decision.confidence:.2f}  ({decision.latency_ms:.3f} ms)",
    ]
    if decision.reason != "top class":
        lines.append(f"     {decision.reason}")
    if emergency:
        lines.append(f"  !! EMERGENCY: {emergency} - dispatch and hand to a human now")
    if difficulty is not None:
        lines.append(f"     difficulty {row['difficulty']:.2f}")
    ranked = sorted(decision.scores.items(), key=lambda kv: -kv[1])
    lines.append("     " + "  ".join(f"{k} {v:.2f}" for k, v in ranked))
    out.write("\n".join(lines) + "\n")


# --- training ---------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    rows = read_jsonl(args.data, ("text", "vertical"))
    from callcenter.app import load_app
    from callcenter.settings import Settings

    try:  # the business's agents name the verticals; without them any names train
        app = load_app(Settings().agents_module)
    except (ImportError, ValueError):
        app = None
    known: tuple[Vertical, ...] = app.verticals if app is not None else ()
    examples: list[Example] = []
    labelled = any(r.get("intent") not in (None, "") for r in rows)
    for i, r in enumerate(rows, 1):
        vertical = str(r["vertical"])
        if known and vertical not in known:
            raise CommandError(f"{args.data}: row {i} has vertical {r['vertical']!r}; use one of {', '.join(known)}")
        intent = r.get("intent")
        if intent is not None and not isinstance(intent, str):
            raise CommandError(f"{args.data}: row {i} has intent {intent!r}; an intent is a string (or leave it out)")
        examples.append((str(r["text"]), vertical, intent or vertical) if labelled else (str(r["text"]), vertical))
    counts = {v: sum(1 for e in examples if e[1] == v) for v in known or dict.fromkeys(e[1] for e in examples)}
    print(f"training the router on {len(examples)} rows: " + ", ".join(f"{k} {n}" for k, n in counts.items() if n))
    if labelled:
        print(f"  {len({e[-1] for e in examples})} intents, each mapped to its row's vertical")
    if app is not None and not args.without_business_examples:
        own = app.training_examples()
        examples = with_business_examples(examples, own, labelled=labelled)
        print(f"  plus the agents' {len(own)} example utterances x{BUSINESS_REPEAT} (--without-business-examples: not)")
    learner = args.learner if args.learner != "auto" else ("linear-svm" if labelled else "logistic")
    bias = args.fallback_bias if args.fallback_bias is not None else FALLBACK_BIAS[learner]
    try:
        model = VerticalClassifier.fit(
            examples,
            min_confidence=args.min_confidence,
            fallback=app.fallback_vertical if app is not None else None,
            spoken_copies=max(0, args.spoken_copies),
            fallback_bias=bias,
            learner=learner,
        )
    except ValueError as exc:
        raise CommandError(f"{exc}; fix or add rows in {args.data}") from exc
    if args.tune_on:
        from callcenter.routing.tuning import tune

        val = read_jsonl(args.tune_on, ("text", "vertical"))
        tuned = tune(model, [(str(r["text"]), str(r["vertical"]), str(r.get("group") or r["vertical"])) for r in val])
        model.temperature, model.min_confidence = tuned.temperature, tuned.min_confidence
        model.meta["tuned_on"] = {"rows": tuned.rows, "balanced_accuracy": tuned.balanced_accuracy}
        print(f"  tuned on {tuned.rows} validation rows: balanced accuracy {tuned.balanced_accuracy:.1%}")
    path = model.save(args.out)
    print(
        f"trained in {model.meta['train_seconds']:.1f} s, "
        f"training accuracy {model.meta['train_accuracy']:.1%}, "
        f"temperature {model.temperature:.2f}, min confidence {model.min_confidence:.2f}"
    )
    print(f'wrote {path}  (use: callcenter route --model {path} "...")')
    return 0


def _train_difficulty(rows: list[dict[str, Any]], out: str) -> int:
    n_hard = sum(1 for r in rows if bool(r["hard"]))
    print(f"training the difficulty model on {len(rows)} rows: {n_hard} hard, {len(rows) - n_hard} easy")
    try:
        model = DifficultyModel.fit(rows)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    path = model.save(out)
    info = model.meta
    print(f"trained in {info['train_seconds']:.1f} s, training accuracy {info['train_accuracy']:.1%}")
    print(f'wrote {path}  (use: callcenter route --difficulty-model {path} "...")')
    return 0


def cmd_train_difficulty(args: argparse.Namespace) -> int:
    rows = read_jsonl(args.data, ("text", "hard"))
    return _train_difficulty(rows, args.out)


# Hard: the turn's answer was rejected and escalated at least once (a cheaper tier failed).
# Easy: answered with no escalation, at tier 1 (or tier unrecorded), and ended well. Turns answered
# first-time by a higher tier say nothing about whether tier 1 would have done, so they are left out.
RETRAIN_SQL = """
SELECT m.text,
       t.escalations,
       t.outcome,
       t.tier,
       COALESCE(
         (SELECT array_agg(p.text ORDER BY p.seq)
            FROM messages p
           WHERE p.session_id = m.session_id AND p.seq < m.seq AND p.role = 'user'),
         ARRAY[]::text[]) AS history
  FROM turns t
  JOIN messages m ON m.id = t.message_id
 WHERE m.role = 'user'
   AND (t.escalations > 0
        OR (t.escalations = 0 AND t.outcome IN ('ok', 'resolved') AND (t.tier IS NULL OR t.tier = 1)))
 ORDER BY t.id
"""


async def fetch_history_rows(dsn: str) -> list[dict[str, Any]]:
    from callcenter.store.db import connect

    conn = await connect(dsn)
    try:
        records = await conn.fetch(RETRAIN_SQL)
    finally:
        await conn.close()
    return [
        {"text": r["text"], "hard": int(r["escalations"]) > 0, "history": list(r["history"] or [])[-3:]}
        for r in records
    ]


def cmd_retrain(args: argparse.Namespace) -> int:
    from callcenter.settings import Settings
    from callcenter.store.db import resolve_dsn

    start = time.perf_counter()
    try:
        rows = asyncio.run(fetch_history_rows(resolve_dsn(Settings())))
    except (OSError, ConnectionError) as exc:
        raise CommandError(f"cannot reach PostgreSQL ({exc}); check DATABASE_URL") from exc
    except asyncpg.PostgresError as exc:
        raise CommandError(f"cannot read turns ({exc}); run `callcenter migrate` first") from exc
    n_hard = sum(1 for r in rows if r["hard"])
    n_easy = len(rows) - n_hard
    took = time.perf_counter() - start
    print(f"read {len(rows)} labelled turns ({n_hard} hard, {n_easy} easy) in {took:.1f} s")
    if n_hard < MIN_PER_CLASS or n_easy < MIN_PER_CLASS:
        raise CommandError(
            f"need at least {MIN_PER_CLASS} hard and {MIN_PER_CLASS} easy turns to retrain "
            f"(have {n_hard} hard, {n_easy} easy); keep serving traffic, or train from a file "
            "with `callcenter router train-difficulty --data D.jsonl --out M`"
        )
    return _train_difficulty(rows, args.out)
