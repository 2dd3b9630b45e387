"""The canonical HRIS delivery and the events its changes become."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from contracts.hris import HrisChangeReceived
from gateway.domain.hris_delivery import (
    MAX_CHANGES,
    HrisDelivery,
    change_event_id,
    received_events,
)
from pydantic import ValidationError

RECEIVED_AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _change(n: int, external_id: str = "E-1") -> dict[str, Any]:
    return {
        "id": f"chg-{n}",
        "type": "employee.updated",
        "effectiveAt": "2024-03-01T09:00:00Z",
        "sourceVersion": n,
        "employee": {"externalId": external_id, "title": f"T{n}"},
    }


def _delivery(count: int) -> HrisDelivery:
    return HrisDelivery.model_validate({"changes": [_change(n) for n in range(count)]})


@pytest.mark.parametrize("count", [1, MAX_CHANGES])
def test_a_delivery_carries_one_to_a_thousand_changes(count: int) -> None:
    assert MAX_CHANGES == 1000
    assert len(_delivery(count).changes) == count


@pytest.mark.parametrize("count", [0, MAX_CHANGES + 1])
def test_an_empty_or_oversized_delivery_is_rejected_naming_changes(count: int) -> None:
    with pytest.raises(ValidationError) as caught:
        _delivery(count)
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [("changes",)]
    assert errors[0]["type"] == ("too_short" if count == 0 else "too_long")


def test_a_delivery_without_changes_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        HrisDelivery.model_validate({})
    assert [e["loc"] for e in caught.value.errors()] == [("changes",)]


def test_an_invalid_change_is_rejected_with_its_index() -> None:
    changes = [_change(0), {**_change(1), "type": "employee.promoted"}]
    with pytest.raises(ValidationError) as caught:
        HrisDelivery.model_validate({"changes": changes})
    assert [e["loc"] for e in caught.value.errors()] == [("changes", 1, "type")]


def test_the_event_id_is_a_deterministic_uuid5() -> None:
    event_id = change_event_id("hc_a", "chg-1")
    assert event_id == change_event_id("hc_a", "chg-1")
    assert uuid.UUID(event_id).version == 5
    assert str(uuid.UUID(event_id)) == event_id


def test_the_event_id_differs_across_connections_and_changes() -> None:
    ids = {
        change_event_id("hc_a", "chg-1"),
        change_event_id("hc_b", "chg-1"),
        change_event_id("hc_a", "chg-2"),
        change_event_id("hc_b", "chg-2"),
        change_event_id("hc_ac", "hg-1"),
        change_event_id("hc_a", "chg-1 "),
    }
    assert len(ids) == 6


def test_received_events_keep_delivery_order_and_ids() -> None:
    delivery = HrisDelivery.model_validate(
        {"changes": [_change(3, "E-3"), _change(1, "E-1"), _change(2, "E-2")]}
    )
    events = received_events(delivery, "hc_a", "webhook", RECEIVED_AT)
    assert [event_id for event_id, _ in events] == [
        change_event_id("hc_a", "chg-3"),
        change_event_id("hc_a", "chg-1"),
        change_event_id("hc_a", "chg-2"),
    ]
    assert [event.change for _, event in events] == delivery.changes
    for _, event in events:
        assert isinstance(event, HrisChangeReceived)
        assert event.connection_id == "hc_a"
        assert event.channel == "webhook"
        assert event.received_at == RECEIVED_AT
    assert [event.partition_key() for _, event in events] == ["E-3", "E-1", "E-2"]


def test_a_redelivery_yields_the_same_event_ids() -> None:
    first = received_events(_delivery(5), "hc_a", "webhook", RECEIVED_AT)
    again = received_events(_delivery(5), "hc_a", "merge", datetime.now(UTC))
    assert [i for i, _ in first] == [i for i, _ in again]
    other = received_events(_delivery(5), "hc_b", "webhook", RECEIVED_AT)
    assert not {i for i, _ in first} & {i for i, _ in other}
