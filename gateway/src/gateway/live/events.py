"""What a subscriber to a program's events receives: the event's id, type, time and program,
and the ids of the enrollment, match, match run, session or action item it concerns —
opaque GraphQL ids, never the snapshot (people's goals, reasons, attendees stay behind)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from contracts.base import Event
from contracts.catalog import EVENT_TYPES
from messaging.envelope import Envelope
from pydantic import ValidationError

from contracts import topics
from gateway.graphql.ids import encode_id

# Where a program's life is told: the program itself, its enrollments, matches and sessions.
LIVE_TOPICS: Final = (topics.PROGRAMS, topics.ENROLLMENTS, topics.MATCHES, topics.SESSIONS)

# The snapshot attribute of each event family, and the GraphQL type its id belongs to.
_CONCERNED: Final = (
    ("enrollment", "Enrollment", "enrollmentId"),
    ("match", "Match", "matchId"),
    ("run", "MatchRun", "matchRunId"),
    ("session", "Session", "sessionId"),
    ("action_item", "ActionItem", "actionItemId"),
)


@dataclass(frozen=True)
class ProgramEvent:
    id: str
    type: str
    occurred_at: datetime
    tenant_id: str
    program_id: str  # profiles' key of the program (not the GraphQL id)
    concerns: tuple[tuple[str, str], ...] = ()  # (field, opaque id), e.g. ("matchId", "…")

    def public(self) -> dict[str, Any]:
        """As `programEvents` delivers it: every field present, null where it does not apply."""
        data: dict[str, str | None] = {field: None for _, _, field in _CONCERNED}
        data.update(self.concerns)
        return {
            "id": self.id,
            "type": self.type,
            "occurredAt": self.occurred_at.isoformat(),
            "programId": encode_id("Program", self.program_id),
            "data": data,
        }


def program_event(envelope: Envelope) -> ProgramEvent | None:
    """The envelope as a program event, or None: not a live topic's type, or data that breaks
    its contract (the services' consumers dead-letter those; subscribers just miss them)."""
    model = EVENT_TYPES.get(envelope.type)
    if model is None or model.topic not in LIVE_TOPICS:
        return None
    try:
        event = model.model_validate(envelope.data)
    except ValidationError:
        return None
    program_id = _program_of(event)
    if program_id is None:
        return None
    return ProgramEvent(
        id=envelope.id,
        type=envelope.type,
        occurred_at=envelope.time,
        tenant_id=envelope.tenant_id,
        program_id=program_id,
        concerns=_concerns(event),
    )


def _program_of(event: Event) -> str | None:
    program = getattr(event, "program", None)
    if program is not None:
        return str(program.id)
    for attribute, _, _ in _CONCERNED:
        snapshot = getattr(event, attribute, None)
        if snapshot is not None:
            return str(snapshot.program_id)
    found = getattr(event, "program_id", None)  # flat events (session.rsvp_changed)
    return str(found) if found is not None else None


def _concerns(event: Event) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for attribute, type_name, field in _CONCERNED:
        snapshot = getattr(event, attribute, None)
        if snapshot is not None:
            found.append((field, encode_id(type_name, str(snapshot.id))))
    session_id = getattr(event, "session_id", None)  # action items and RSVPs name their session
    if session_id is None:
        session_id = getattr(getattr(event, "action_item", None), "session_id", None)
    if session_id is not None:
        found.append(("sessionId", encode_id("Session", str(session_id))))
    return tuple(found)
