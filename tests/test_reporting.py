"""`callcenter report` and /metrics over real stored turns and model calls."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer
from fake_models import on_fake_models

from callcenter.cli.main import main
from callcenter.fakellm import FakeLLMServer, Reply
from callcenter.reporting import build_report, format_report
from callcenter.runtime import Runtime
from callcenter.web.server import create_app


@pytest.fixture(scope="module")
async def model_turns(runtime: Runtime) -> None:
    async with (
        FakeLLMServer(seed=5, latency_scale=0.0) as fake,
        on_fake_models(runtime, fake, max_retries=2),  # ModelClient's default
    ):
        fake.script([Reply(text="I'm not sure."), Reply(text="Rent is due on the 1st.")], model="claude-haiku-4-5")
        fake.script([Reply(text="Pets are welcome with a deposit.")], model="claude-sonnet-4-6")
        sid = (await runtime.orchestrator.open_session(channel="test", customer_id=1)).id
        await runtime.orchestrator.handle_turn(sid, "can I have a dog?")
        await runtime.orchestrator.handle_turn(sid, "when is rent due?")


async def test_report_figures(runtime: Runtime, model_turns: None) -> None:
    report = await build_report(runtime.pool, sessions=3)
    assert report.calls >= 3
    assert abs(sum(report.overall.tier_mix.values()) - 1.0) < 1e-9
    assert {"1", "2"} <= set(report.overall.tier_mix)
    assert report.overall.frontier_cost_usd > report.overall.cost_usd > Decimal(0)
    assert 0 < report.savings_vs_frontier < 1
    assert report.overall.p95_latency_ms is not None and report.overall.escalation_rate > 0
    general = next(r for r in report.routes if r.route == "general")
    assert general.turns >= 1 and general.escalation_rate > 0
    text = format_report(report)
    assert "cache hit rate" in text and "general" in text
    assert "turns with no model call" in text and 0 <= report.overall.no_model_turns < report.overall.turns
    assert "Figures: cost = each model call's token usage" in text and "modelled" in text  # where cost comes from
    assert report.as_json()["cost_source"] == report.cost_source


async def test_metrics_endpoint_counts_model_cost_and_parses(runtime: Runtime, model_turns: None) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    async with TestClient(TestServer(create_app(runtime))) as client:
        resp = await client.get("/metrics")
        body = await resp.text()
    assert resp.status == 200
    families = {f.name: f for f in text_string_to_metric_families(body)}
    assert families["callcenter_turns"].type == "counter"
    assert families["callcenter_turn_latency_seconds"].type == "histogram"
    cost = [s for s in families["callcenter_model_cost_usd"].samples if s.name.endswith("_total")]
    assert {s.labels["tier"] for s in cost} >= {"1", "2"} and sum(s.value for s in cost) > 0
    assert any(s.labels["route"] == "routed" for s in cost), [s.labels for s in cost]
    assert [s.value for s in families["callcenter_database_up"].samples] == [1.0]


def test_report_cli_json(
    runtime: Runtime,
    model_turns: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    seeded_dsn: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", seeded_dsn)
    assert main(["report", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["calls"] >= 3 and "tier_mix" in data["overall"]
