"""Tracer provider setup. What the console shows is chosen by OTEL_TRACES_EXPORTER:
unset or `lines` (the default): one compact line per request served and per event consumed;
`console`: every span as JSON; `otlp` (or OTEL_EXPORTER_OTLP_ENDPOINT set): spans to an OTLP
collector, with the compact lines kept on the console; `none`: nothing."""

import os
import sys
from typing import Any, TextIO

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.trace import SpanKind, StatusCode

_configured = False


class RequestLines(SpanProcessor):
    """One line per request served (SERVER spans) and per event consumed (CONSUMER spans):
    what, outcome, duration, trace id — what a newcomer needs to follow the system, without
    the span firehose."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        line = request_line(span)
        if line is not None:
            self._out.write(line + "\n")
            self._out.flush()

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def request_line(span: ReadableSpan) -> str | None:
    attributes = dict(span.attributes or {})
    millis = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
    trace_id = f"{span.context.trace_id:032x}"[:16] if span.context else "-"
    failed = span.status.status_code is StatusCode.ERROR
    if span.kind is SpanKind.SERVER:
        method = attributes.get("http.request.method") or attributes.get("http.method") or "?"
        route = attributes.get("http.route") or attributes.get("url.path") or span.name
        status = attributes.get("http.response.status_code") or attributes.get("http.status_code")
        # Who made it, where the gateway knows (an integrator key's or a person's id).
        by = f" · by {attributes['cairn.principal']}" if "cairn.principal" in attributes else ""
        return f"{method} {route} → {status or '?'} in {millis:.0f} ms{by} · trace {trace_id}"
    if span.kind is SpanKind.CONSUMER:
        event_type = attributes.get("cloudevents.event_type") or "?"
        topic = attributes.get("messaging.destination.name") or "?"
        outcome = "failed" if failed else "applied"
        return f"event {event_type} from {topic} {outcome} in {millis:.0f} ms · trace {trace_id}"
    return None


def _processors() -> list[SpanProcessor]:
    choice = os.environ.get("OTEL_TRACES_EXPORTER", "lines").lower() or "lines"
    if choice == "none":
        return []
    if choice == "console":
        return [SimpleSpanProcessor(ConsoleSpanExporter(formatter=_one_line))]
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or choice == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return [BatchSpanProcessor(OTLPSpanExporter()), RequestLines()]
    return [RequestLines()]


def _one_line(span: Any) -> str:
    return str(span.to_json(indent=None)) + "\n"


def configure_tracing(service_name: str) -> None:
    """Installs the global tracer provider once per process."""
    global _configured
    if _configured:
        return
    _configured = True
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service_name)})
    )
    for processor in _processors():
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)


def instrument_fastapi(app: Any) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")


def instrument_httpx(client: Any) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor.instrument_client(client)
