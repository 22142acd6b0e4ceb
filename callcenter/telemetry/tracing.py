"""OpenTelemetry spans per turn (turn -> route -> specialist -> tool / model calls).

Exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set and the optional packages are
installed (`pip install 'callcenter[otel]'`); otherwise `span()` costs one dict lookup and
does nothing. The exporter reads the standard OTEL_* variables (headers, service name).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import structlog

log = structlog.get_logger(__name__)

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"

_state: dict[str, Any] = {}


def _build() -> tuple[Any, Any] | None:
    if not os.environ.get(ENDPOINT_ENV):
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "tracing.unavailable",
            reason=f"{ENDPOINT_ENV} is set but the OpenTelemetry SDK is not installed",
            hint="pip install 'callcenter[otel]'",
        )
        return None
    service = os.environ.get("OTEL_SERVICE_NAME", "callcenter")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    log.info("tracing.enabled", endpoint=os.environ[ENDPOINT_ENV], service=service)
    return provider, provider.get_tracer("callcenter")


def tracer() -> Any | None:
    """The tracer, built on first use; None when tracing is off."""
    if "built" not in _state:
        _state["built"] = _build()
    built = _state["built"]
    return None if built is None else built[1]


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[Any | None]:
    """A span named `name` under the current one; attributes that are None are left out."""
    t = tracer()
    if t is None:
        yield None
        return
    attrs = {
        k: v if isinstance(v, str | bool | int | float) else str(v) for k, v in attributes.items() if v is not None
    }
    with t.start_as_current_span(name, attributes=attrs) as s:
        yield s


def current_span() -> Any | None:
    """The active span, or None when tracing is off."""
    if tracer() is None:
        return None
    from opentelemetry import trace

    return trace.get_current_span()


def set_attributes(current: Any | None, **attributes: Any) -> None:
    """Add attributes to a span from `span()` (no-op when tracing is off)."""
    if current is None:
        return
    for key, value in attributes.items():
        if value is not None:
            current.set_attribute(key, value if isinstance(value, str | bool | int | float) else str(value))


def shutdown_tracing() -> None:
    """Flush and stop the exporter (at shutdown); safe when tracing never started."""
    built = _state.pop("built", None)
    if built is not None:
        built[0].shutdown()
