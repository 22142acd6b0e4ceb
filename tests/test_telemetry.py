"""Metrics registry and OpenTelemetry spans: what an operator's Prometheus and collector receive."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from callcenter.telemetry import metrics, tracing


def _families() -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(metrics.exposition().decode())}


def _sample(name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_model_call_counts_cost_under_the_current_route_and_agent() -> None:
    before = _sample("callcenter_model_cost_usd_total", route="frontier-only", agent="billing", tier="3", model="m-x")
    calls = _sample("callcenter_model_calls_total", provider="anthropic", model="m-x", tier="3", status="ok")
    route, agent = metrics.ROUTE.set("frontier-only"), metrics.AGENT.set("billing")
    try:
        metrics.observe_model_call(
            provider="anthropic",
            model="m-x",
            tier=3,
            status="ok",
            latency_ms=420.0,
            ttft_ms=120.0,
            cost_usd=Decimal("0.0125"),
            frontier_cost_usd=Decimal("0.0125"),
            input_tokens=900,
            output_tokens=40,
            cache_read_tokens=800,
        )
    finally:
        metrics.ROUTE.reset(route)
        metrics.AGENT.reset(agent)
    after = _sample("callcenter_model_cost_usd_total", route="frontier-only", agent="billing", tier="3", model="m-x")
    assert after - before == pytest.approx(0.0125)
    labels = {"provider": "anthropic", "model": "m-x", "tier": "3", "status": "ok"}
    assert _sample("callcenter_model_calls_total", **labels) == calls + 1
    assert _sample("callcenter_model_ttft_seconds_count", model="m-x", tier="3") >= 1
    assert _sample("callcenter_model_tokens_total", model="m-x", kind="cache_read") >= 800


def test_exposition_parses_and_has_counters_histograms_and_gauges() -> None:
    kinds = {name: f.type for name, f in _families().items()}
    assert kinds["callcenter_turns"] == "counter"
    assert kinds["callcenter_errors"] == "counter"
    assert kinds["callcenter_turn_latency_seconds"] == "histogram"
    assert kinds["callcenter_router_latency_seconds"] == "histogram"
    assert kinds["callcenter_websockets"] == "gauge"


@pytest.fixture
def tracing_reset(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    tracing._state.clear()
    yield monkeypatch
    tracing.shutdown_tracing()
    tracing._state.clear()


def test_spans_are_a_no_op_without_an_endpoint(tracing_reset: pytest.MonkeyPatch) -> None:
    tracing_reset.delenv(tracing.ENDPOINT_ENV, raising=False)
    with tracing.span("turn", session_id="s") as s:
        assert s is None
    assert tracing.tracer() is None


async def test_spans_reach_an_otlp_collector(tracing_reset: pytest.MonkeyPatch) -> None:
    pytest.importorskip("opentelemetry.sdk", reason="needs the otel extra: pip install 'callcenter[otel]'")
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    received: list[bytes] = []

    async def collect(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(body=b"", content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", collect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    tracing_reset.setenv(tracing.ENDPOINT_ENV, f"http://{host}:{port}")
    try:
        with tracing.span("turn", session_id="abc", turn_id=7):
            with tracing.span("route", vertical="booking"):
                pass
            with tracing.span("model.call", model="m-x") as call:
                tracing.set_attributes(call, cost_usd=0.01)
        await asyncio.get_running_loop().run_in_executor(None, tracing.shutdown_tracing)
    finally:
        await runner.cleanup()
    spans = []
    for body in received:
        req = ExportTraceServiceRequest()
        req.ParseFromString(body)
        spans += [s for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
    by_name = {s.name: s for s in spans}
    assert set(by_name) == {"turn", "route", "model.call"}
    assert by_name["route"].parent_span_id == by_name["turn"].span_id
    attrs = {a.key: a.value for a in by_name["turn"].attributes}
    assert attrs["session_id"].string_value == "abc" and attrs["turn_id"].int_value == 7
