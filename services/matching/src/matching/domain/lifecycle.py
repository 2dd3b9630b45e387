"""A match's life, as a pure state machine over a frozen `Match`.

    PROPOSED ─→ ACCEPTED ─→ ACTIVE ─→ COMPLETED
       │           │          │
       ├─→ DECLINED (a participant said no, or nobody answered in time)
       └───────────┴──────────┴─→ ENDED (early, with a reason)

A proposal is ACCEPTED once every participant accepted it (or at once, when the program needs
no consent for what a match run proposes); its first held session makes it ACTIVE and the
plan's last one COMPLETED. DECLINED, COMPLETED and ENDED are over for good. An open match may
be flagged for an admin's review. Held sessions are counted whatever the status.

Each transition checks who makes it (`Actor`: the person a request names, an admin naming
nobody, or matching itself) and the status it starts from (`RULES`), then answers an
`Outcome`: the changes in order, each one revision more than the last and announcing its
event (`match.accepted`, …) when it changes the status or flags the match. A refused
transition raises `Refused` and changes nothing. No I/O: the service persists the outcome and
writes its events to the outbox in one transaction."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from contracts.matches import (
    MatchAccepted,
    MatchActivated,
    MatchCompleted,
    MatchDeclined,
    MatchEnded,
    MatchOrigin,
    MatchProposed,
    MatchReasonSnapshot,
    MatchReviewFlagged,
    MatchSnapshot,
    MatchStatus,
)
from contracts.problems import Code
from contracts.programs import ProgramKind
from runtime.refusals import Refused, invalid

from matching.domain.model import Reason

MatchEvent = (
    MatchProposed
    | MatchAccepted
    | MatchDeclined
    | MatchActivated
    | MatchCompleted
    | MatchEnded
    | MatchReviewFlagged
)

OPEN: Final = frozenset({MatchStatus.PROPOSED, MatchStatus.ACCEPTED, MatchStatus.ACTIVE})
TERMINAL: Final = frozenset(MatchStatus) - OPEN
# Pairs whose match went wrong are never proposed again (flagged ones neither, whatever their
# status), unless the program's close parted them.
WENT_WRONG: Final = frozenset({MatchStatus.DECLINED, MatchStatus.ENDED})

EXPIRED: Final = "expired: no answer in time"
PROGRAM_CLOSED: Final = "the program closed"  # nothing went wrong with the pair
LAST_SESSION: Final = "the plan's last session was held"
MAX_REASON: Final = 500

# What each status announces when a change reaches it.
ANNOUNCED: Final[Mapping[MatchStatus, type[MatchEvent]]] = {
    MatchStatus.PROPOSED: MatchProposed,
    MatchStatus.ACCEPTED: MatchAccepted,
    MatchStatus.DECLINED: MatchDeclined,
    MatchStatus.ACTIVE: MatchActivated,
    MatchStatus.COMPLETED: MatchCompleted,
    MatchStatus.ENDED: MatchEnded,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """One proposed pair and where it stands. PEER programs: `mentor_id` is the first peer,
    `mentee_id` the other."""

    id: str
    program_id: str
    kind: ProgramKind
    mentor_id: str
    mentee_id: str
    score: float
    reasons: tuple[Reason, ...]
    status: MatchStatus
    origin: MatchOrigin
    run_id: str | None
    accepted_by: tuple[str, ...]
    proposed_at: datetime
    expires_at: datetime | None  # PROPOSED only: when the proposal lapses
    decided_at: datetime | None
    ended_at: datetime | None
    reason: str | None
    flagged_for_review: bool
    sessions_completed: int
    last_session_at: datetime | None
    revision: int
    updated_at: datetime

    @property
    def participants(self) -> tuple[str, str]:
        return self.mentor_id, self.mentee_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def snapshot(self) -> MatchSnapshot:
        return MatchSnapshot(
            id=self.id,
            program_id=self.program_id,
            kind=self.kind,
            mentor_id=self.mentor_id,
            mentee_ids=[self.mentee_id],
            score=self.score,
            reasons=[reason_snapshot(r) for r in self.reasons],
            status=self.status,
            origin=self.origin,
            run_id=self.run_id,
            accepted_by=list(self.accepted_by),
            proposed_at=self.proposed_at,
            expires_at=self.expires_at,
            decided_at=self.decided_at,
            ended_at=self.ended_at,
            reason=self.reason,
            flagged_for_review=self.flagged_for_review,
            sessions_completed=self.sessions_completed,
            last_session_at=self.last_session_at,
            revision=self.revision,
            updated_at=self.updated_at,
        )


def reason_snapshot(reason: Reason) -> MatchReasonSnapshot:
    return MatchReasonSnapshot(
        criterion=reason.criterion.value,
        contribution=round(reason.contribution, 4),
        explanation=reason.text,
    )


class ActorKind(StrEnum):
    PERSON = "PERSON"  # the person a request names: a participant, or someone who is not
    ADMIN = "ADMIN"  # a request naming nobody: an administrator
    SYSTEM = "SYSTEM"  # matching itself: expiry, leavers, program close, sessions, flags


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    person_id: str | None = None

    @classmethod
    def named(cls, person_id: str | None) -> "Actor":
        """Who a request speaks for: the person it names, or (nobody named) an admin."""
        return cls(ActorKind.PERSON, person_id) if person_id else ADMIN


ADMIN: Final = Actor(ActorKind.ADMIN)
SYSTEM: Final = Actor(ActorKind.SYSTEM)


class Action(StrEnum):
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    EXPIRE = "EXPIRE"
    END = "END"
    HOLD_SESSION = "HOLD_SESSION"
    COMPLETE = "COMPLETE"
    FLAG_FOR_REVIEW = "FLAG_FOR_REVIEW"


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[MatchStatus]  # the statuses the action starts from
    actors: frozenset[ActorKind]  # PERSON: a participant of the match
    done: str  # "a X match cannot be {done}"


_PARTICIPANT = frozenset({ActorKind.PERSON})
_SYSTEM = frozenset({ActorKind.SYSTEM})
_PROPOSED = frozenset({MatchStatus.PROPOSED})

RULES: Final[Mapping[Action, Rule]] = {
    Action.ACCEPT: Rule(_PROPOSED, _PARTICIPANT, "accepted"),
    Action.DECLINE: Rule(_PROPOSED, _PARTICIPANT, "declined"),
    Action.EXPIRE: Rule(_PROPOSED, _SYSTEM, "expired"),
    Action.END: Rule(OPEN, frozenset(ActorKind), "ended"),
    Action.HOLD_SESSION: Rule(frozenset(MatchStatus), _SYSTEM, "credited with a held session"),
    Action.COMPLETE: Rule(frozenset({MatchStatus.ACTIVE}), _SYSTEM, "completed"),
    Action.FLAG_FOR_REVIEW: Rule(OPEN, _SYSTEM, "flagged for review"),
}


@dataclass(frozen=True, slots=True)
class Change:
    match: Match  # the match after this change
    event: type[MatchEvent] | None  # what the change announces, if anything

    def announcement(self) -> MatchEvent | None:
        return None if self.event is None else self.event(match=self.match.snapshot())


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a transition did: its changes in order (none: nothing changed), and the match as
    it ends up."""

    match: Match
    changes: tuple[Change, ...] = ()

    @property
    def created(self) -> bool:
        return bool(self.changes) and self.changes[0].match.revision == 1

    def events(self) -> list[MatchEvent]:
        return [e for e in (c.announcement() for c in self.changes) if e is not None]


def propose(
    *,
    match_id: str,
    program_id: str,
    kind: ProgramKind,
    mentor_id: str,
    mentee_id: str,
    score: float,
    reasons: tuple[Reason, ...],
    origin: MatchOrigin,
    now: datetime,
    expires_after: timedelta,
    run_id: str | None = None,
    consent_needed: bool = True,
) -> Outcome:
    """A new PROPOSED match (`match.proposed`); ACCEPTED at once (`match.accepted`) when the
    program needs no consent for what a match run proposes."""
    if mentor_id == mentee_id:
        raise invalid("mentorId", "one person cannot be matched with themselves")
    proposed = Match(
        id=match_id,
        program_id=program_id,
        kind=kind,
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        score=round(score, 4),
        reasons=tuple(replace(r, contribution=round(r.contribution, 4)) for r in reasons),
        status=MatchStatus.PROPOSED,
        origin=origin,
        run_id=run_id,
        accepted_by=(),
        proposed_at=now,
        expires_at=now + expires_after,
        decided_at=None,
        ended_at=None,
        reason=None,
        flagged_for_review=False,
        sessions_completed=0,
        last_session_at=None,
        revision=1,
        updated_at=now,
    )
    changes = [Change(proposed, MatchProposed)]
    if not consent_needed and origin is MatchOrigin.RUN:
        accepted = _changed(
            proposed, now, status=MatchStatus.ACCEPTED, decided_at=now, expires_at=None
        )
        changes.append(_change(proposed, accepted))
    return Outcome(changes[-1].match, tuple(changes))


def accept(match: Match, actor: Actor, now: datetime) -> Outcome:
    """One participant accepts; ACCEPTED once every participant has. Accepting twice changes
    nothing."""
    person = _participant(match, actor)
    if person in match.accepted_by and match.status in (
        MatchStatus.PROPOSED,
        MatchStatus.ACCEPTED,
    ):
        return Outcome(match)
    _require(match, Action.ACCEPT, actor)
    accepted = (*match.accepted_by, person)
    if set(match.participants) <= set(accepted):
        return _outcome(
            match,
            accepted_by=accepted,
            status=MatchStatus.ACCEPTED,
            decided_at=now,
            expires_at=None,
            updated_at=now,
        )
    return _outcome(match, accepted_by=accepted, updated_at=now)


def decline(match: Match, actor: Actor, reason: str | None, now: datetime) -> Outcome:
    """A participant says no to a proposal: DECLINED, and the pair is never proposed again."""
    person = _participant(match, actor)
    _require(match, Action.DECLINE, actor)
    return _outcome(
        match,
        status=MatchStatus.DECLINED,
        decided_at=now,
        expires_at=None,
        reason=_reason(reason) or f"declined by {person}",
        updated_at=now,
    )


def expire(match: Match, actor: Actor, now: datetime) -> Outcome:
    """A proposal nobody answered in time: DECLINED ("expired"), so the pair is not proposed
    again."""
    _require(match, Action.EXPIRE, actor)
    return _outcome(
        match,
        status=MatchStatus.DECLINED,
        decided_at=now,
        expires_at=None,
        reason=EXPIRED,
        updated_at=now,
    )


def end(match: Match, actor: Actor, reason: str | None, now: datetime) -> Outcome:
    """An open match ends early, with a reason: a participant, an admin, or matching itself
    (a leaver, a withdrawal, a participant's flag, the program's close)."""
    if actor.kind is ActorKind.PERSON:
        _participant(match, actor)
    text = _reason(reason)
    if text is None:
        raise invalid("reason", "say why the match ends")
    _require(match, Action.END, actor)
    return _outcome(
        match, status=MatchStatus.ENDED, ended_at=now, expires_at=None, reason=text, updated_at=now
    )


def end_if_open(match: Match, reason: str, now: datetime) -> Outcome:
    """Matching ends the match if it is still open; one that is over stays as it is."""
    return end(match, SYSTEM, reason, now) if match.is_open else Outcome(match)


def hold_session(match: Match, actor: Actor, ended_at: datetime, *, final: bool) -> Outcome:
    """One more session held: counted whatever the status; ACCEPTED → ACTIVE on the first,
    ACTIVE → COMPLETED on the plan's last."""
    _require(match, Action.HOLD_SESSION, actor)
    now = max(ended_at, match.updated_at)
    last = ended_at if match.last_session_at is None else max(match.last_session_at, ended_at)
    counted = _changed(
        match, now, sessions_completed=match.sessions_completed + 1, last_session_at=last
    )
    changes = [_change(match, counted)]
    if counted.status is MatchStatus.ACCEPTED:
        changes.append(_change(counted, _changed(counted, now, status=MatchStatus.ACTIVE)))
    if final and changes[-1].match.status is MatchStatus.ACTIVE:
        done = complete(changes[-1].match, actor, LAST_SESSION, now)
        changes.extend(done.changes)
    return Outcome(changes[-1].match, tuple(changes))


def complete(match: Match, actor: Actor, reason: str, now: datetime) -> Outcome:
    """ACTIVE → COMPLETED: the plan's last session was held, or the program closed."""
    _require(match, Action.COMPLETE, actor)
    return _outcome(
        match, status=MatchStatus.COMPLETED, ended_at=now, reason=reason, updated_at=now
    )


def close_with_program(match: Match, now: datetime) -> Outcome:
    """The program closed: an ACTIVE match is completed, one that never began is ended, one
    that is over stays as it is. Neither bars the pair from later programs."""
    if match.status is MatchStatus.ACTIVE:
        return complete(match, SYSTEM, PROGRAM_CLOSED, now)
    return end_if_open(match, PROGRAM_CLOSED, now)


def flag_for_review(match: Match, actor: Actor, reason: str, now: datetime) -> Outcome:
    """Marks an open match for an admin's review; the pair is not proposed again. Flagging
    twice changes nothing."""
    if match.flagged_for_review and actor.kind is ActorKind.SYSTEM:
        return Outcome(match)
    _require(match, Action.FLAG_FOR_REVIEW, actor)
    return _outcome(match, flagged_for_review=True, reason=reason, updated_at=now)


def _participant(match: Match, actor: Actor) -> str:
    if actor.kind is not ActorKind.PERSON or not actor.person_id:
        raise invalid("personId", "name the participant who decides")
    if actor.person_id not in match.participants:
        raise invalid("personId", "this person is not part of the match")
    return actor.person_id


def _require(match: Match, action: Action, actor: Actor) -> None:
    """Refuses an actor the action is not for, then a status it does not start from."""
    rule = RULES[action]
    if actor.kind not in rule.actors:
        raise invalid("personId", f"a match is {rule.done} by matching itself, never on request")
    if match.status not in rule.sources:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE, None, f"a {match.status} match cannot be {rule.done}"
        )


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise invalid("reason", f"at most {MAX_REASON} characters")
    return text or None


def _changed(match: Match, now: datetime, **values: Any) -> Match:
    """The match with `values`, one revision on; its clock never goes back."""
    return replace(
        match,
        **values,
        revision=match.revision + 1,
        updated_at=max(now, match.updated_at),
    )


def _change(before: Match, after: Match) -> Change:
    """A change and what it announces: the status it reaches, or the review flag it raises."""
    if after.status is not before.status:
        return Change(after, ANNOUNCED[after.status])
    if after.flagged_for_review and not before.flagged_for_review:
        return Change(after, MatchReviewFlagged)
    return Change(after, None)


def _outcome(match: Match, *, updated_at: datetime, **values: Any) -> Outcome:
    after = _changed(match, updated_at, **values)
    return Outcome(after, (_change(match, after),))
