"""W3C trace context in Kafka headers, so a trace continues across the broker."""

from collections.abc import Iterable

from opentelemetry import context, propagate
from opentelemetry.context import Context


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> Context:
    if not traceparent:
        return context.get_current()
    return propagate.extract({"traceparent": traceparent})


def context_from_headers(headers: Iterable[tuple[str, bytes]]) -> Context:
    carrier = {k: v.decode("latin-1") for k, v in headers if k in ("traceparent", "tracestate")}
    return propagate.extract(carrier)
