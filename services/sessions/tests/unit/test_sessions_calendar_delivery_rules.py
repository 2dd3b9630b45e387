"""The delivery worker's pure rules: how long it waits after failures (doubling, capped,
never sooner than the provider asked), and the calendar event a session becomes."""

from datetime import UTC, datetime, timedelta

import pytest
from contracts.people import PersonSnapshot, PersonStatus
from contracts.sessions import SessionKind, SessionSnapshot, SessionStatus
from hypothesis import given
from hypothesis import strategies as st
from sessions.service_layer.calendar_delivery import (
    FIRST_RETRY,
    LAST_RETRY,
    NotReady,
    backoff,
    event_spec,
)

START = datetime(2030, 3, 11, 10, tzinfo=UTC)


@given(st.integers(min_value=1, max_value=10_000))
def test_backoff_doubles_from_the_first_retry_and_stays_under_the_cap(failures: int) -> None:
    wait = backoff(failures)
    assert FIRST_RETRY <= wait <= LAST_RETRY
    assert backoff(failures + 1) >= wait
    if wait < LAST_RETRY / 2:
        assert backoff(failures + 1) == wait * 2


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=10**6))
def test_backoff_never_retries_sooner_than_the_provider_asked(failures: int, seconds: int) -> None:
    asked = timedelta(seconds=seconds)
    assert backoff(failures, asked) >= asked
    assert backoff(failures, asked) == max(backoff(failures), asked)


def _person(person_id: str, zone: str = "America/New_York") -> PersonSnapshot:
    return PersonSnapshot(
        id=person_id,
        email=f"{person_id}@example.com",
        display_name=person_id.title(),
        time_zone=zone,
        status=PersonStatus.ACTIVE,
        source_version=1,
        updated_at=START,
    )


def _session(
    kind: SessionKind = SessionKind.ONE_ON_ONE, module: str | None = None
) -> SessionSnapshot:
    return SessionSnapshot(
        id="s1",
        program_id="p1",
        match_ids=["m1"],
        host_id="ada",
        attendee_ids=["ada", "lin"],
        kind=kind,
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        status=SessionStatus.SCHEDULED,
        module=module,
        revision=1,
        updated_at=START,
    )


def test_a_session_becomes_an_event_in_the_host_s_zone_with_everyone_invited() -> None:
    spec = event_spec(
        _session(module="Goals"), {"ada": _person("ada"), "lin": _person("lin", "Asia/Singapore")}
    )
    assert spec.title == "Mentoring session: Goals"
    assert spec.zone.key == "America/New_York"
    assert (spec.when.start, spec.when.end) == (START, START + timedelta(hours=1))
    assert spec.organizer.email == "ada@example.com"
    assert [a.email for a in spec.attendees] == ["ada@example.com", "lin@example.com"]
    office = event_spec(
        _session(SessionKind.OFFICE_HOURS), {"ada": _person("ada"), "lin": _person("lin")}
    )
    assert office.title == "Office hours"


def test_a_person_not_in_the_roster_yet_holds_the_event_back_saying_who() -> None:
    with pytest.raises(NotReady, match="not in the roster yet: lin"):
        event_spec(_session(), {"ada": _person("ada")})


def test_an_address_a_provider_would_refuse_holds_the_event_back() -> None:
    broken = _person("lin").model_copy(update={"email": "lin at example"})
    with pytest.raises(NotReady, match="email"):
        event_spec(_session(), {"ada": _person("ada"), "lin": broken})
