"""A session's life as a pure state machine: which actions each status allows, who may take
them, and which event each emits. No I/O: the service layer asks, then saves the outcome.

  UNSCHEDULED --schedule--> SCHEDULED --reschedule--> SCHEDULED
  SCHEDULED --unschedule (Cairn: no slot fits any more)--> UNSCHEDULED
  UNSCHEDULED | SCHEDULED --cancel--> CANCELLED
  SCHEDULED --complete (any time once booked: people do meet early)--> COMPLETED
  SCHEDULED --no-show (once its start has passed)--> NO_SHOW

COMPLETED, CANCELLED and NO_SHOW are final. A person may act only on a session they attend
(the host included); a request naming nobody is an administrator's; Cairn itself is SYSTEM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from contracts.problems import Code
from contracts.sessions import (
    AttendanceStatus,
    SessionCancelled,
    SessionCompleted,
    SessionKind,
    SessionNoShow,
    SessionRescheduled,
    SessionSnapshot,
    SessionStatus,
)
from runtime.refusals import Refused, invalid

from sessions.domain.intervals import aware

Announcement = SessionRescheduled | SessionCancelled | SessionCompleted | SessionNoShow

MAX_REASON = 500
FINAL: Final = frozenset({SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.NO_SHOW})


class ActorKind(StrEnum):
    PERSON = "PERSON"  # the person a request names: an attendee, or someone who is not
    ADMIN = "ADMIN"  # a request naming nobody: an administrator
    SYSTEM = "SYSTEM"  # Cairn itself: planning, the org moving, re-planning


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    person_id: str | None = None

    @classmethod
    def named(cls, person_id: str | None) -> Actor:
        """Who a request speaks for: the person it names, or (nobody named) an admin."""
        return cls(ActorKind.PERSON, person_id) if person_id else ADMIN


ADMIN: Final = Actor(ActorKind.ADMIN)
SYSTEM: Final = Actor(ActorKind.SYSTEM)


class Action(StrEnum):
    SCHEDULE = "SCHEDULE"
    RESCHEDULE = "RESCHEDULE"
    UNSCHEDULE = "UNSCHEDULE"
    CANCEL = "CANCEL"
    COMPLETE = "COMPLETE"
    NO_SHOW = "NO_SHOW"


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[SessionStatus]
    actors: frozenset[ActorKind]
    done: str  # "a X session cannot be {done}"


_ANYONE = frozenset(ActorKind)
_PEOPLE = frozenset({ActorKind.PERSON, ActorKind.ADMIN})
_SCHEDULED = frozenset({SessionStatus.SCHEDULED})

RULES: Final[Mapping[Action, Rule]] = {
    Action.SCHEDULE: Rule(frozenset({SessionStatus.UNSCHEDULED}), _ANYONE, "scheduled"),
    Action.RESCHEDULE: Rule(_SCHEDULED, _ANYONE, "rescheduled"),
    Action.UNSCHEDULE: Rule(_SCHEDULED, frozenset({ActorKind.SYSTEM}), "unscheduled"),
    Action.CANCEL: Rule(
        frozenset({SessionStatus.SCHEDULED, SessionStatus.UNSCHEDULED}), _ANYONE, "cancelled"
    ),
    Action.COMPLETE: Rule(_SCHEDULED, _PEOPLE, "completed"),
    Action.NO_SHOW: Rule(_SCHEDULED, _ANYONE, "marked as a no-show"),
}


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    program_id: str
    kind: SessionKind
    match_ids: tuple[str, ...]
    group_id: str | None
    host_id: str
    attendee_ids: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    sequence: int
    module_index: int | None
    module_title: str | None
    final: bool
    unscheduled_reason: str | None
    capacity: int | None
    revision: int
    held_at: datetime | None
    cancelled_reason: str | None
    cancelled_by: str | None
    updated_at: datetime

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def snapshot(self) -> SessionSnapshot:
        return SessionSnapshot(
            id=self.id,
            program_id=self.program_id,
            match_ids=list(self.match_ids),
            group_id=self.group_id,
            host_id=self.host_id,
            attendee_ids=list(self.attendee_ids),
            kind=self.kind,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            status=self.status,
            sequence=self.sequence,
            module=self.module_title,
            final=self.final,
            unscheduled_reason=self.unscheduled_reason,
            capacity=self.capacity,
            revision=self.revision,
            updated_at=self.updated_at,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did: the session after it, the event announcing it (None: nothing
    changed), and the attendance it recorded."""

    session: Session
    event: Announcement | None = None
    attendance: Mapping[str, AttendanceStatus] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.event is not None


def schedule(
    session: Session, actor: Actor, starts_at: datetime, now: datetime, *, action: Action
) -> Outcome:
    """SCHEDULE (an UNSCHEDULED session gets its time) or RESCHEDULE (a booked one moves);
    the time must lie ahead. Hours, calendars and notice are the slot finder's to check."""
    _require(session, action, actor)
    aware(starts_at, "startsAt")
    if starts_at <= now:
        raise invalid("startsAt", f"{starts_at.isoformat()} has passed; pick a time ahead")
    if action is Action.RESCHEDULE and starts_at == session.starts_at:
        return Outcome(session)
    after = _changed(
        session,
        now,
        starts_at=starts_at,
        ends_at=starts_at + session.duration,
        status=SessionStatus.SCHEDULED,
        unscheduled_reason=None,
    )
    return Outcome(after, SessionRescheduled(session=after.snapshot()))


def unschedule(session: Session, actor: Actor, reason: str, now: datetime) -> Outcome:
    """Cairn re-planned and no slot fits any more: the session waits UNSCHEDULED, with why
    (its time stays the one asked for), rather than stay where someone cannot come."""
    _require(session, Action.UNSCHEDULE, actor)
    after = _changed(session, now, status=SessionStatus.UNSCHEDULED, unscheduled_reason=reason)
    return Outcome(after, SessionRescheduled(session=after.snapshot()))


def cancel(session: Session, actor: Actor, reason: str | None, now: datetime) -> Outcome:
    _require(session, Action.CANCEL, actor)
    text = _reason(reason) or (
        "cancelled by an administrator" if actor.kind is ActorKind.ADMIN else "cancelled"
    )
    after = _changed(
        session,
        now,
        status=SessionStatus.CANCELLED,
        cancelled_reason=text,
        cancelled_by=actor.person_id,
    )
    return Outcome(
        after,
        SessionCancelled(session=after.snapshot(), cancelled_by=actor.person_id, reason=text),
    )


def cancel_if_ahead(session: Session, reason: str, now: datetime) -> Outcome:
    """Cairn cancels a session that has not happened yet (the org moved); one that is over,
    or already began, stays as it is."""
    if session.status in FINAL or session.starts_at <= now:
        return Outcome(session)
    return cancel(session, SYSTEM, reason, now)


def complete(
    session: Session,
    actor: Actor,
    now: datetime,
    held_at: datetime | None = None,
    attendance: Mapping[str, AttendanceStatus] | None = None,
) -> Outcome:
    """The session was held (early or late: any time once booked). `held_at` defaults to
    now and cannot lie ahead; attendance names attendees only, the rest count as present."""
    _require(session, Action.COMPLETE, actor)
    held = now if held_at is None else aware(held_at, "heldAt")
    if held > now:
        raise invalid("heldAt", f"{held.isoformat()} is ahead; a session is recorded once held")
    strangers = sorted(set(attendance or {}) - set(session.attendee_ids))
    if strangers:
        raise invalid("attendance", f"{', '.join(strangers)} is not invited to this session")
    recorded = {p: AttendanceStatus.ATTENDED for p in session.attendee_ids}
    recorded.update(attendance or {})
    after = _changed(session, now, status=SessionStatus.COMPLETED, held_at=held)
    return Outcome(after, SessionCompleted(session=after.snapshot(), completed_at=held), recorded)


def no_show(session: Session, actor: Actor, absent_ids: list[str], now: datetime) -> Outcome:
    """Its time passed and it was not held; who did not come, if known."""
    _require(session, Action.NO_SHOW, actor)
    if session.starts_at > now:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            None,
            f"the session starts at {session.starts_at.isoformat()}: nobody missed it yet",
        )
    strangers = sorted(set(absent_ids) - set(session.attendee_ids))
    if strangers:
        raise invalid("absentIds", f"{', '.join(strangers)} is not invited to this session")
    absent = list(dict.fromkeys(absent_ids))
    recorded = {
        p: AttendanceStatus.ABSENT if p in absent else AttendanceStatus.ATTENDED
        for p in session.attendee_ids
    }
    after = _changed(session, now, status=SessionStatus.NO_SHOW)
    return Outcome(after, SessionNoShow(session=after.snapshot(), absent_ids=absent), recorded)


def _require(session: Session, action: Action, actor: Actor) -> None:
    """Refuses an actor the action is not for, then a status it does not start from."""
    rule = RULES[action]
    if actor.kind not in rule.actors:
        raise invalid("actorId", f"a session is {rule.done} by Cairn itself, never on request")
    if actor.kind is ActorKind.PERSON and actor.person_id not in session.attendee_ids:
        raise invalid("actorId", "this person does not attend the session")
    if session.status not in rule.sources:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE, None, f"a {session.status} session cannot be {rule.done}"
        )


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise invalid("reason", f"at most {MAX_REASON} characters")
    return text or None


def _changed(session: Session, now: datetime, **values: Any) -> Session:
    """The session with `values`, one revision on; its clock never goes back."""
    return replace(
        session, **values, revision=session.revision + 1, updated_at=max(now, session.updated_at)
    )
