"""`callcenter route` / `callcenter router ...` end to end through `callcenter.cli.main`."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from pathlib import Path

import pytest

from callcenter.cli.main import main
from callcenter.store.db import connect
from callcenter.store.migrate import migrate
from callcenter.types import Vertical

EXAMPLES: dict[Vertical, list[str]] = {
    "booking": [
        "book a plumber for friday",
        "schedule a repair visit",
        "reschedule my appointment",
        "cancel my maintenance appointment",
        "I need a technician tomorrow",
        "book an electrician",
    ],
    "billing": [
        "how much rent do I owe",
        "pay my rent",
        "why was I charged a late fee",
        "what is my balance",
        "refund my deposit",
        "my payment failed",
    ],
    "escalation": [
        "let me speak to a manager",
        "I want a human",
        "connect me to a real person",
        "get me your supervisor",
        "I am filing a complaint",
        "transfer me to an agent",
    ],
    "general": [
        "what are your office hours",
        "where is the laundry room",
        "what is the pet policy",
        "hello there",
        "thanks for the help",
        "is there guest parking",
    ],
    "out_of_scope": [
        "what's the weather tomorrow",
        "tell me a joke",
        "who won the game",
        "how do I bake bread",
        "weather forecast for the weekend",
        "play some music",
    ],
}
EASY = ["pay my rent", "what is my balance", "book a plumber", "office hours?", "thanks", "hello"]
HARD = [
    "I was charged twice and also the plumber never came, and I want the $40 late fee removed",
    "my lease says 12 months but I moved units in march, so how is prorated rent for 4B vs 7C calculated?",
    "why is my deposit refund $300 less, and also reschedule the move-out inspection? not ok",
]


def make_rows() -> list[dict[str, object]]:
    return [{"text": t, "hard": True} for t in HARD * 8] + [{"text": t, "hard": False} for t in EASY * 4]


@pytest.fixture(autouse=True)
def _keep_logging_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """cli.main() configures structlog with the sys.stderr of the moment and caches loggers; under
    capsys that stream is closed after the test, breaking later log calls in the run. Skip it here."""
    monkeypatch.setattr("callcenter.logging_setup.configure_logging", lambda **_: None)


@pytest.fixture(scope="module")
def router_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("router")
    data = folder / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "vertical": v}) + "\n" for v, ts in EXAMPLES.items() for t in ts))
    out = folder / "router.npz"
    # Only these examples, no spoken copies: a second of training instead of the business's whole set
    # (test_train_prints_accuracy trains that once, with the defaults).
    argv = ["router", "train", "--data", str(data), "--out", str(out), "--min-confidence", "0.2"]
    assert main([*argv, "--without-business-examples", "--spoken-copies", "0"]) == 0
    return out


def test_train_prints_accuracy(router_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "vertical": v}) + "\n" for v, ts in EXAMPLES.items() for t in ts))
    assert main(["router", "train", "--data", str(data), "--out", str(tmp_path / "m.npz"), "--spoken-copies", "0"]) == 0
    out = capsys.readouterr().out
    assert "training accuracy" in out and "wrote" in out
    assert "plus the agents'" in out  # the business's own utterances train along by default
    argv = ["router", "train", "--data", str(data), "--out", str(tmp_path / "n.npz"), "--without-business-examples"]
    assert main([*argv, "--spoken-copies", "0"]) == 0
    assert "plus the agents'" not in capsys.readouterr().out


def test_route_file_json(router_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    diff_data = tmp_path / "hard.jsonl"
    diff_data.write_text("".join(json.dumps({"text": r["text"], "hard": r["hard"]}) + "\n" for r in make_rows()))
    diff_model = tmp_path / "difficulty.npz"
    assert main(["router", "train-difficulty", "--data", str(diff_data), "--out", str(diff_model)]) == 0
    utterances = tmp_path / "u.txt"
    utterances.write_text("how much rent do I owe\n\nI smell gas in the hallway\nwhat's the weather tomorrow\n")
    capsys.readouterr()
    argv = ["route", "--model", str(router_model), "--difficulty-model", str(diff_model), "--file", str(utterances)]
    assert main([*argv, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == [
        "how much rent do I owe",
        "I smell gas in the hallway",
        "what's the weather tomorrow",
    ]
    assert rows[0]["vertical"] == "billing" and "emergency" not in rows[0]
    assert rows[1]["emergency"] == "gas"
    assert rows[2]["vertical"] == "out_of_scope"
    for r in rows:
        assert r["vertical"] in {"booking", "billing", "escalation", "general", "out_of_scope"}
        assert 0.0 <= r["confidence"] <= 1.0 and r["latency_ms"] >= 0.0 and 0.0 <= r["difficulty"] <= 1.0


def test_route_stdin_and_readable(
    router_model: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("let me speak to a manager\n"))
    assert main(["route", "--model", str(router_model), "--file", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["vertical"] == "escalation"
    assert main(["route", "--model", str(router_model), "book a plumber for friday"]) == 0
    out = capsys.readouterr().out
    assert "-> booking" in out and "confidence" in out


def test_errors_say_what_to_do(router_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "pay rent", "vertical": "billing"}\n{not json\n')
    assert main(["router", "train", "--data", str(bad), "--out", str(tmp_path / "x.npz")]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text('{"text": "pay rent", "vertical": "money"}\n')
    assert main(["router", "train", "--data", str(wrong), "--out", str(tmp_path / "x.npz")]) == 2
    assert "use one of" in capsys.readouterr().err
    assert main(["route", "--model", str(router_model), "--file", str(tmp_path / "missing.txt")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["route", "--model", str(tmp_path / "nope.npz"), "hi"]) == 2
    assert "callcenter router train" in capsys.readouterr().err


def test_train_on_intents_and_tune_on_validation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    intents = {"weather": "out_of_scope", "joke": "out_of_scope", "pay": "billing", "manager": "escalation"}
    said = {
        "weather": ["what's the weather tomorrow", "will it rain", "weather forecast for the weekend"],
        "joke": ["tell me a joke", "say something funny", "know any jokes"],
        "pay": ["pay my rent", "I want to pay", "make a payment"],
        "manager": ["let me speak to a manager", "get me your supervisor", "I want a human"],
    }
    data = tmp_path / "intents.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": t, "vertical": intents[i], "intent": i}) + "\n" for i, ts in said.items() for t in ts
        )
    )
    val = tmp_path / "val.jsonl"
    val.write_text(json.dumps({"text": "is it going to snow", "vertical": "out_of_scope"}) + "\n")
    out = tmp_path / "m.npz"
    argv = ["router", "train", "--data", str(data), "--out", str(out), "--without-business-examples"]
    assert main([*argv, "--tune-on", str(val)]) == 0
    printed = capsys.readouterr().out
    assert "4 intents" in printed and "tuned on 1 validation rows" in printed
    assert main(["route", "--model", str(out), "--json", "I'd like to pay my rent"]) == 0
    assert json.loads(capsys.readouterr().out)["vertical"] == "billing"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "pay", "vertical": "billing", "intent": 3}) + "\n")
    assert main(["router", "train", "--data", str(bad), "--out", str(tmp_path / "x.npz")]) == 2
    assert "an intent is a string" in capsys.readouterr().err
    clash = tmp_path / "clash.jsonl"
    clash.write_text(data.read_text() + json.dumps({"text": "pay the plumber", "vertical": "booking", "intent": "pay"}))
    assert main(["router", "train", "--data", str(clash), "--out", str(tmp_path / "y.npz")]) == 2
    assert "two verticals" in capsys.readouterr().err


async def _seed(dsn: str, n_hard: int, n_easy: int) -> None:
    conn = await connect(dsn)
    try:
        await migrate(conn)
        hard_texts, easy_texts = HARD, EASY
        for i in range(n_hard + n_easy):
            hard = i < n_hard
            sid = uuid.uuid4()
            await conn.execute("INSERT INTO sessions (id, channel) VALUES ($1, 'web')", sid)
            await conn.execute("INSERT INTO messages (session_id, seq, role, text) VALUES ($1, 1, 'user', 'hi')", sid)
            text = hard_texts[i % len(hard_texts)] if hard else easy_texts[i % len(easy_texts)]
            mid = await conn.fetchval(
                "INSERT INTO messages (session_id, seq, role, text) VALUES ($1, 2, 'user', $2) RETURNING id", sid, text
            )
            await conn.execute(
                "INSERT INTO turns (session_id, message_id, tier, outcome, escalations) VALUES ($1, $2, $3, $4, $5)",
                sid,
                mid,
                2 if hard else 1,
                "resolved" if hard else "ok",
                1 if hard else 0,
            )
    finally:
        await conn.close()


def test_retrain_from_history(
    fresh_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_dsn)
    out = tmp_path / "retrained.npz"
    asyncio.run(_seed(fresh_dsn, 5, 30))
    assert main(["router", "retrain", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "5 hard" in captured.out and "at least 20" in captured.err and not out.exists()
    asyncio.run(_seed(fresh_dsn, 25, 0))
    assert main(["router", "retrain", "--out", str(out)]) == 0
    assert "30 hard, 30 easy" in capsys.readouterr().out
    assert out.exists()
