"""CloudEvents 1.0 in Kafka binary content mode (ce_* headers, JSON value, traceparent)."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from contracts.base import Event

TENANT_EXTENSION = "tenantid"
_FORMAT = JSONFormat()


class MalformedEnvelope(ValueError):
    """A Kafka record that is not a CloudEvent we can read: never retried."""


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    tenant_id: str
    key: str
    data: dict[str, Any]
    subject: str | None = None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None


def envelope_for(
    event: Event, *, tenant_id: str, source: str, event_id: str | None = None
) -> Envelope:
    key = event.partition_key()
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        type=event.event_type,
        source=source,
        tenant_id=tenant_id,
        key=key,
        subject=key,
        # exclude_unset keeps merge patches intact: absent stays absent, null stays null.
        data=event.model_dump(mode="json", by_alias=True, exclude_unset=True),
    )


def to_record(envelope: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """The key, value and headers of the Kafka record."""
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "time": envelope.time,
        "datacontenttype": "application/json",
        TENANT_EXTENSION: envelope.tenant_id,
    }
    if envelope.subject:
        attributes["subject"] = envelope.subject
    message = ce_kafka.to_binary(
        CloudEvent(attributes=attributes, data=envelope.data), _FORMAT, key_mapper=lambda _: None
    )
    headers = list(message.headers.items())
    if envelope.traceparent:
        headers.append(("traceparent", envelope.traceparent.encode()))
    return envelope.key.encode(), message.value, headers


def from_record(
    key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
) -> Envelope:
    """Reads a record back; raises MalformedEnvelope naming what is wrong."""
    header_map = dict(headers)
    for required in ("ce_id", "ce_type", "ce_source", "ce_specversion"):
        if required not in header_map:
            raise MalformedEnvelope(f"missing header {required}")
    if f"ce_{TENANT_EXTENSION}" not in header_map:
        raise MalformedEnvelope(f"missing header ce_{TENANT_EXTENSION}")
    try:
        event = ce_kafka.from_binary(
            ce_kafka.KafkaMessage(headers=header_map, key=key, value=value or b"null"), _FORMAT
        )
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEnvelope(f"unreadable CloudEvent: {exc}") from exc
    data = event.get_data()
    if not isinstance(data, dict):
        raise MalformedEnvelope("data is not a JSON object")
    traceparent = header_map.get("traceparent")
    return Envelope(
        id=event.get_id(),
        type=event.get_type(),
        source=event.get_source(),
        tenant_id=str(event.get_extension(TENANT_EXTENSION)),
        key=key.decode() if key else "",
        data=data,
        subject=event.get_subject(),
        time=event.get_time() or datetime.now(UTC),
        traceparent=traceparent.decode() if traceparent else None,
    )
