"""The default console: one compact line per request served and per event consumed."""

import io

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from telemetry.tracing import RequestLines


def _provider(out: io.StringIO) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(RequestLines(out))
    return provider


def test_a_request_is_one_line_with_route_status_and_trace() -> None:
    out = io.StringIO()
    tracer = _provider(out).get_tracer("test")
    with tracer.start_as_current_span("POST /graphql", kind=SpanKind.SERVER) as span:
        span.set_attributes(
            {
                "http.request.method": "POST",
                "http.route": "/graphql",
                "http.response.status_code": 200,
            }
        )
        trace_id = f"{span.get_span_context().trace_id:032x}"[:16]
        with tracer.start_as_current_span("http send"):  # an internal span: no line
            pass
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("POST /graphql → 200 in ")
    assert lines[0].endswith(f"· trace {trace_id}")


def test_a_consumed_event_is_one_line_saying_how_it_went() -> None:
    out = io.StringIO()
    tracer = _provider(out).get_tracer("test")
    with tracer.start_as_current_span("process cairn.hris.changes", kind=SpanKind.CONSUMER) as span:
        span.set_attributes(
            {
                "messaging.destination.name": "cairn.hris.changes",
                "cloudevents.event_type": "hris.change.received",
            }
        )
    with tracer.start_as_current_span(
        "process cairn.profiles.people", kind=SpanKind.CONSUMER
    ) as span:
        span.set_attributes({"cloudevents.event_type": "person.created"})
        span.set_status(Status(StatusCode.ERROR, "boom"))
    with tracer.start_as_current_span("publish x", kind=SpanKind.PRODUCER):
        pass
    first, second = out.getvalue().splitlines()
    assert first.startswith("event hris.change.received from cairn.hris.changes applied in ")
    assert second.startswith("event person.created from ? failed in ")
