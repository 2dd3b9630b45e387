"""What a delivery's body is: the event as a CloudEvent (JSON structured mode), its data as
the contract publishes it, minus what never leaves Cairn.

The one place that strips self-identification (`underrepresented`, `demographics`) from
outbound payloads: from every object at any depth (person snapshots travel inside several
events) and from the lists naming changed fields (that it changed says something too)."""

import json
from datetime import datetime
from typing import Any, Final

SENSITIVE_FIELDS: Final = frozenset({"underrepresented", "demographics"})
_FIELD_LISTS: Final = frozenset({"changedFields"})


def public_data(data: Any) -> Any:
    """`data` without any sensitive field, at any depth."""
    if isinstance(data, dict):
        return {
            key: (
                [
                    public_data(f)
                    for f in value
                    if not (isinstance(f, str) and f in SENSITIVE_FIELDS)
                ]
                if key in _FIELD_LISTS and isinstance(value, list)
                else public_data(value)
            )
            for key, value in data.items()
            if key not in SENSITIVE_FIELDS
        }
    if isinstance(data, list):
        return [public_data(item) for item in data]
    return data


def body(
    *,
    event_id: str,
    event_type: str,
    source: str,
    time: datetime,
    subject: str | None,
    data: dict[str, Any],
) -> str:
    """The JSON body, fixed when the delivery is made: every attempt and replay sends (and
    signs) the same bytes."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id,
        "type": event_type,
        "source": source,
        "time": time.isoformat(),
        "datacontenttype": "application/json",
    }
    if subject:
        event["subject"] = subject
    event["data"] = public_data(data)
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
