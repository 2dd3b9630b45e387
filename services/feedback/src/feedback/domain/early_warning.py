"""Early warning: is a relationship going wrong? Pure rules over a match's recent facts, each
flag with a reason code and the facts that triggered it (for `match.flagged`, and for the
admin who reads it).

Rules and their defaults (each a program may change in `WarningThresholds`):
- LOW_SESSION_RATING: a session rating at or below 2 (of 5) in the last 60 days;
- LOW_PULSE_RATING: a relationship pulse at or below 2 in the last 60 days;
- REPEATED_MISSED_SESSIONS: the last 2 sessions were cancelled or no-shows, or 3 were in the
  last 60 days;
- NO_RECENT_SESSION: an ACTIVE match with no held session for 30 days (an ACCEPTED match that
  never met: 30 days since it was accepted);
- FALLING_RATINGS: the last 3 ratings (any respondent, any kind) each lower than the one
  before, falling by at least 2 in all.
Only open matches (ACCEPTED, ACTIVE) are assessed. A flag's `key` names its reason and
evidence, so the same evidence never raises the same flag twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from contracts.feedback import EvidenceKind, FlagReason
from contracts.matches import MatchStatus
from contracts.sessions import SessionStatus

from feedback.domain.periods import utc
from feedback.domain.request_schedule import OPEN_MATCH, RequestKind


@dataclass(frozen=True, slots=True, kw_only=True)
class WarningThresholds:
    low_session_rating: int = 2
    low_pulse_rating: int = 2
    misses_in_a_row: int = 2
    misses_in_window: int = 3
    miss_window: timedelta = timedelta(days=60)
    silence: timedelta = timedelta(days=30)
    trend_length: int = 3
    trend_min_drop: int = 2
    rating_lookback: timedelta = timedelta(days=60)

    def __post_init__(self) -> None:
        for name in ("low_session_rating", "low_pulse_rating"):
            if not 1 <= getattr(self, name) <= 5:
                raise ValueError(f"{name} is a rating, 1..5")
        for name in ("misses_in_a_row", "misses_in_window", "trend_min_drop"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.trend_length < 2:
            raise ValueError("a trend needs at least 2 ratings")
        for name in ("miss_window", "silence", "rating_lookback"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be a positive duration")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rating:
    response_id: str
    kind: RequestKind
    value: int  # 1..5
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionOutcome:
    session_id: str
    status: SessionStatus
    starts_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchSignals:
    match_id: str
    program_id: str
    status: MatchStatus
    started_at: datetime | None  # accepted
    ratings: Sequence[Rating] = ()
    sessions: Sequence[SessionOutcome] = ()
    last_held_at: datetime | None = None
    last_held_session_id: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    id: str | None
    at: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class Flag:
    match_id: str
    reason: FlagReason
    evidence: tuple[Evidence, ...]
    explanation: str

    @property
    def key(self) -> str:
        """Reason + evidence: the same facts never flag the same match twice."""
        parts = sorted(f"{e.kind}:{e.id or e.at.isoformat()}" for e in self.evidence)
        return f"{self.match_id}:{self.reason}:{','.join(parts)}"


def _rating_evidence(rating: Rating) -> Evidence:
    return Evidence(EvidenceKind.RATING, rating.response_id, utc(rating.at), f"{rating.value}/5")


def _low_ratings(signals: MatchSignals, thresholds: WarningThresholds, now: datetime) -> list[Flag]:
    rules = (
        (RequestKind.SESSION, thresholds.low_session_rating, FlagReason.LOW_SESSION_RATING),
        (RequestKind.PULSE, thresholds.low_pulse_rating, FlagReason.LOW_PULSE_RATING),
    )
    since = now - thresholds.rating_lookback
    flags = []
    for kind, ceiling, reason in rules:
        low = sorted(
            (r for r in signals.ratings if r.kind is kind and r.value <= ceiling),
            key=lambda r: utc(r.at),
        )
        low = [r for r in low if since <= utc(r.at) <= now]
        if low:
            what = "session" if kind is RequestKind.SESSION else "pulse"
            values = ", ".join(str(r.value) for r in low)
            flags.append(
                Flag(
                    signals.match_id,
                    reason,
                    tuple(_rating_evidence(r) for r in low),
                    f"{what} rating {values} (at or below {ceiling} of 5)",
                )
            )
    return flags


_MISSED = frozenset({SessionStatus.CANCELLED, SessionStatus.NO_SHOW})


def _missed_sessions(
    signals: MatchSignals, thresholds: WarningThresholds, now: datetime
) -> list[Flag]:
    past = sorted(
        (
            s
            for s in signals.sessions
            if s.status is not SessionStatus.SCHEDULED and utc(s.starts_at) <= now
        ),
        key=lambda s: utc(s.starts_at),
    )
    run: list[SessionOutcome] = []
    for session in reversed(past):
        if session.status not in _MISSED:
            break
        run.append(session)
    recent = [
        s for s in past if s.status in _MISSED and utc(s.starts_at) >= now - thresholds.miss_window
    ]
    if len(run) >= thresholds.misses_in_a_row:
        missed, why = run[::-1], f"the last {len(run)} sessions were cancelled or missed"
    elif len(recent) >= thresholds.misses_in_window:
        days = thresholds.miss_window.days
        missed, why = recent, f"{len(recent)} sessions cancelled or missed in {days} days"
    else:
        return []
    evidence = tuple(
        Evidence(EvidenceKind.SESSION, s.session_id, utc(s.starts_at), s.status.value)
        for s in missed
    )
    return [Flag(signals.match_id, FlagReason.REPEATED_MISSED_SESSIONS, evidence, why)]


def _silence(signals: MatchSignals, thresholds: WarningThresholds, now: datetime) -> list[Flag]:
    if signals.status is MatchStatus.ACTIVE and signals.last_held_at is not None:
        since, what, ref = signals.last_held_at, "held session", signals.last_held_session_id
    elif signals.started_at is not None:
        since, what, ref = signals.started_at, "session since it was accepted", None
    else:
        return []
    quiet = now - utc(since)
    if quiet < thresholds.silence:
        return []
    evidence = Evidence(EvidenceKind.LAST_CONTACT, ref, utc(since), f"{quiet.days} days ago")
    return [
        Flag(
            signals.match_id,
            FlagReason.NO_RECENT_SESSION,
            (evidence,),
            f"no {what} for {quiet.days} days (threshold {thresholds.silence.days})",
        )
    ]


def _falling(signals: MatchSignals, thresholds: WarningThresholds, now: datetime) -> list[Flag]:
    ratings = sorted((r for r in signals.ratings if utc(r.at) <= now), key=lambda r: utc(r.at))
    last = ratings[-thresholds.trend_length :]
    if len(last) < thresholds.trend_length:
        return []
    falling = all(b.value < a.value for a, b in pairwise(last))
    drop = last[0].value - last[-1].value
    if not falling or drop < thresholds.trend_min_drop:
        return []
    values = " → ".join(str(r.value) for r in last)
    return [
        Flag(
            signals.match_id,
            FlagReason.FALLING_RATINGS,
            tuple(_rating_evidence(r) for r in last),
            f"ratings falling: {values}",
        )
    ]


def assess(signals: MatchSignals, thresholds: WarningThresholds, now: datetime) -> list[Flag]:
    """Every rule that fires for an open match, in a stable order; none for a closed one."""
    if signals.status not in OPEN_MATCH:
        return []
    moment = utc(now)
    return [
        *_low_ratings(signals, thresholds, moment),
        *_missed_sessions(signals, thresholds, moment),
        *_silence(signals, thresholds, moment),
        *_falling(signals, thresholds, moment),
    ]


def not_yet_raised(flags: Iterable[Flag], raised_keys: Iterable[str]) -> list[Flag]:
    """The flags whose evidence has not been flagged before."""
    seen = set(raised_keys)
    return [f for f in flags if f.key not in seen]
