"""What leaves Cairn in a webhook: the event as a CloudEvent, and never self-identification
(`underrepresented`, `demographics`), at any depth or in a list of changed fields."""

import json
from datetime import UTC, datetime
from typing import Any

from contracts.people import PersonSnapshot, PersonStatus, PersonUpdated
from gateway.webhooks import event_types, payloads
from hypothesis import given
from hypothesis import strategies as st

from contracts import topics

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["a", "person", "underrepresented", "demographics", "changedFields"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=30,
)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@given(json_values)
def test_no_sensitive_field_survives_at_any_depth(data: Any) -> None:
    assert not _keys(payloads.public_data(data)) & payloads.SENSITIVE_FIELDS


@given(st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2))
def test_everything_else_is_kept(data: dict[str, int]) -> None:
    assert payloads.public_data({"x": [data, {"y": data}]}) == {"x": [data, {"y": data}]}


def test_a_person_update_leaves_without_self_identification() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    event = PersonUpdated(
        person=PersonSnapshot(
            id="p1",
            email="ada@example.com",
            display_name="Ada",
            time_zone="UTC",
            status=PersonStatus.ACTIVE,
            underrepresented=True,
            demographics={"gender": "woman"},
            source_version=3,
            updated_at=now,
        ),
        changed_fields=["underrepresented", "demographics", "title"],
    )
    body = payloads.body(
        event_id="e1",
        event_type=event.event_type,
        source="/cairn/profiles",
        time=now,
        subject="p1",
        data=event.model_dump(mode="json", by_alias=True, exclude_unset=True),
    )
    sent = json.loads(body)
    assert "underrepresented" not in body and "demographics" not in body
    assert sent["data"]["changedFields"] == ["title"]
    assert sent["data"]["person"]["email"] == "ada@example.com"
    assert {k: sent[k] for k in ("specversion", "id", "type", "subject")} == {
        "specversion": "1.0",
        "id": "e1",
        "type": "person.updated",
        "subject": "p1",
    }


def test_subscribable_types_are_the_public_catalog() -> None:
    assert "hris.change.received" not in event_types.PUBLIC_EVENT_TYPES
    assert topics.HRIS_CHANGES not in event_types.PUBLIC_TOPICS
    for name in ("match.accepted", "session.reminder_due", "feedback.requested"):
        assert name in event_types.PUBLIC_EVENT_TYPES
    assert event_types.matches(["match.*"], "match.accepted")
    assert not event_types.matches(["match.*"], "matchrun.completed")
    assert event_types.matches(["*"], "actionitem.created")
    assert not event_types.matches(["*"], "hris.change.received")
    assert event_types.pattern_problem("session.*") is None
    assert event_types.pattern_problem("hris.*") is not None
    assert event_types.pattern_problem("nope.*") is not None
    assert event_types.pattern_problem("match.accepted") is None
