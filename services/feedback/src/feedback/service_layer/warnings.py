"""Early warning: a match's signals read from the read model, the domain's rules applied with
the program's thresholds, and each new flag stored once and announced as `match.flagged`
(matching ends the match and offers the mentee the next best)."""

import uuid
from datetime import datetime, timedelta

from contracts.feedback import FlagEvidence, FlagReason, MatchFlagged
from contracts.internal.feedback import FlagView, WarningThresholdsView
from contracts.matches import MatchStatus
from contracts.sessions import SessionStatus
from messaging.outbox import UnitOfWork
from sqlmodel import col, select

from feedback.adapters.figures_store import dialect_insert
from feedback.adapters.tables import (
    FeedbackResponseRow,
    KnownMatch,
    KnownProgram,
    KnownSession,
    MatchFlagRow,
    SessionMatch,
)
from feedback.domain.early_warning import (
    Flag,
    MatchSignals,
    Rating,
    SessionOutcome,
    WarningThresholds,
    assess,
    not_yet_raised,
)
from feedback.domain.request_schedule import OPEN_MATCH, RequestKind


def thresholds_of(view: WarningThresholdsView) -> WarningThresholds:
    return WarningThresholds(
        low_session_rating=view.low_session_rating,
        low_pulse_rating=view.low_pulse_rating,
        misses_in_a_row=view.misses_in_a_row,
        misses_in_window=view.misses_in_window,
        miss_window=timedelta(days=view.miss_window_days),
        silence=timedelta(days=view.silence_days),
        trend_length=view.trend_length,
        trend_min_drop=view.trend_min_drop,
        rating_lookback=timedelta(days=view.rating_lookback_days),
    )


def program_thresholds(program: KnownProgram | None) -> WarningThresholdsView:
    if program is None or program.warning_thresholds is None:
        return WarningThresholdsView()
    return WarningThresholdsView.model_validate(program.warning_thresholds)


async def signals_of(uow: UnitOfWork, match: KnownMatch) -> MatchSignals:
    tenant_id = match.tenant_id
    ratings = await uow.session.exec(
        select(FeedbackResponseRow).where(
            FeedbackResponseRow.tenant_id == tenant_id,
            FeedbackResponseRow.match_id == match.match_id,
        )
    )
    sessions = await uow.session.exec(
        select(KnownSession)
        .join(
            SessionMatch,
            (col(SessionMatch.tenant_id) == col(KnownSession.tenant_id))
            & (col(SessionMatch.session_id) == col(KnownSession.session_id)),
        )
        .where(SessionMatch.tenant_id == tenant_id, SessionMatch.match_id == match.match_id)
    )
    return MatchSignals(
        match_id=match.match_id,
        program_id=match.program_id,
        status=MatchStatus(match.status),
        started_at=match.accepted_at,
        ratings=[
            Rating(
                response_id=r.id,
                kind=RequestKind(r.kind),
                value=r.rating,
                at=r.updated_at,
            )
            for r in ratings
        ],
        sessions=[
            SessionOutcome(
                session_id=s.session_id, status=SessionStatus(s.status), starts_at=s.starts_at
            )
            for s in sessions
        ],
        last_held_at=match.last_held_at,
        last_held_session_id=match.last_held_session_id,
    )


async def raise_flags(uow: UnitOfWork, match: KnownMatch, flags: list[Flag], now: datetime) -> int:
    keys = (
        await uow.session.exec(
            select(MatchFlagRow.key).where(
                MatchFlagRow.tenant_id == match.tenant_id, MatchFlagRow.match_id == match.match_id
            )
        )
    ).all()
    insert = await dialect_insert(uow.session)
    raised = 0
    # On the mentee's behalf: matching offers the mentee the next best mentor.
    flagged_by = match.mentee_ids[0] if match.mentee_ids else match.mentor_id
    for flag in not_yet_raised(flags, keys):
        evidence = [
            FlagEvidence(kind=e.kind, ref_id=e.id, at=e.at, detail=e.detail) for e in flag.evidence
        ]
        row = {
            "id": str(uuid.uuid4()),
            "tenant_id": match.tenant_id,
            "key": flag.key[:1000],
            "match_id": match.match_id,
            "program_id": match.program_id,
            "reason_code": flag.reason.value,
            "reason": flag.explanation,
            "flagged_by": flagged_by,
            "flagged_at": now,
            "evidence": [e.model_dump(mode="json", by_alias=True) for e in evidence],
        }
        stmt = insert(MatchFlagRow.__table__).values(**row)  # type: ignore[attr-defined]
        done = await uow.session.execute(
            stmt.on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            continue
        await uow.emit(
            MatchFlagged(
                match_id=match.match_id,
                program_id=match.program_id,
                flagged_by=flagged_by,
                reason=f"early warning: {flag.explanation}",
                flagged_at=now,
                reason_code=flag.reason,
                evidence=evidence,
            ),
            tenant_id=match.tenant_id,
        )
        raised += 1
    return raised


async def evaluate(uow: UnitOfWork, tenant_id: str, match_id: str, now: datetime) -> int:
    """Checks one match now (after an answer, a cancellation, a missed session, a sweep)."""
    match = await uow.session.get(KnownMatch, (tenant_id, match_id))
    if match is None or MatchStatus(match.status) not in OPEN_MATCH:
        return 0
    program = await uow.session.get(KnownProgram, (tenant_id, match.program_id))
    thresholds = thresholds_of(program_thresholds(program))
    flags = assess(await signals_of(uow, match), thresholds, now)
    return await raise_flags(uow, match, flags, now) if flags else 0


def flag_view(row: MatchFlagRow) -> FlagView:
    return FlagView(
        id=row.id,
        match_id=row.match_id,
        program_id=row.program_id,
        reason_code=FlagReason(row.reason_code),
        reason=row.reason,
        flagged_by=row.flagged_by,
        flagged_at=row.flagged_at,
        evidence=[FlagEvidence.model_validate(e) for e in row.evidence],
    )
