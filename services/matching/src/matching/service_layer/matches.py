"""A match's life: PROPOSED → ACCEPTED (every participant accepted, or at once when the
program needs no consent for admin matches) → ACTIVE → COMPLETED; or DECLINED / ENDED with
a reason. Every change writes the whole match to the outbox in the same transaction."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

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
from contracts.programs import ProgramKind
from messaging.outbox import UnitOfWork

from matching.adapters.repository import OPEN, Matches
from matching.adapters.tables import MatchRow
from matching.domain.model import Reason
from matching.service_layer.refusals import Code, Refused, not_found


def reasons_json(reasons: Sequence[Reason]) -> list[dict[str, object]]:
    return [
        {
            "criterion": r.criterion.value,
            "contribution": round(r.contribution, 4),
            "explanation": r.text,
        }
        for r in reasons
    ]


EXPIRED = "expired: no answer in time"


def snapshot(row: MatchRow) -> MatchSnapshot:
    return MatchSnapshot(
        id=row.id,
        program_id=row.program_id,
        kind=ProgramKind(row.kind),
        mentor_id=row.mentor_id,
        mentee_ids=[row.mentee_id],
        score=row.score,
        reasons=[MatchReasonSnapshot.model_validate(r) for r in row.reasons],
        status=MatchStatus(row.status),
        origin=MatchOrigin(row.origin),
        run_id=row.run_id,
        accepted_by=list(row.accepted_by),
        proposed_at=row.proposed_at,
        expires_at=row.expires_at,
        decided_at=row.decided_at,
        ended_at=row.ended_at,
        reason=row.reason,
        flagged_for_review=row.flagged_for_review,
        sessions_completed=row.sessions_completed,
        last_session_at=row.last_session_at,
        revision=row.revision,
        updated_at=row.updated_at,
    )


def participants(row: MatchRow) -> tuple[str, str]:
    return row.mentor_id, row.mentee_id


async def propose(
    uow: UnitOfWork,
    tenant_id: str,
    *,
    program_id: str,
    kind: str,
    mentor_id: str,
    mentee_id: str,
    score: float,
    reasons: Sequence[Reason],
    origin: MatchOrigin,
    now: datetime,
    expires_after: timedelta,
    run_id: str | None = None,
    consent_needed: bool = True,
) -> MatchRow:
    """A new PROPOSED match and its `match.proposed`; ACCEPTED at once (with
    `match.accepted`) when the program needs no consent for what an admin run proposes."""
    row = MatchRow(
        id=f"mt_{uuid.uuid4().hex}",
        tenant_id=tenant_id,
        program_id=program_id,
        kind=kind,
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        score=round(score, 4),
        reasons=reasons_json(reasons),
        status=MatchStatus.PROPOSED.value,
        origin=origin.value,
        run_id=run_id,
        accepted_by=[],
        proposed_at=now,
        expires_at=now + expires_after,
        revision=1,
        updated_at=now,
    )
    Matches(uow.session, tenant_id).add(row)
    await uow.emit(MatchProposed(match=snapshot(row)), tenant_id=tenant_id)
    if not consent_needed and origin is MatchOrigin.RUN:
        _change(row, now, status=MatchStatus.ACCEPTED, decided_at=now, expires_at=None)
        await uow.emit(MatchAccepted(match=snapshot(row)), tenant_id=tenant_id)
    return row


def _change(row: MatchRow, now: datetime, **values: object) -> None:
    for name, value in values.items():
        setattr(row, name, value.value if isinstance(value, MatchStatus) else value)
    row.revision += 1
    row.updated_at = now


async def _open_match(uow: UnitOfWork, tenant_id: str, match_id: str) -> MatchRow:
    row = await Matches(uow.session, tenant_id).get(match_id, lock=True)
    if row is None:
        raise not_found("match")
    return row


def _participant(row: MatchRow, person_id: str | None) -> str:
    if not person_id:
        raise Refused(Code.INVALID, "personId", "name the participant who decides")
    if person_id not in participants(row):
        raise Refused(Code.INVALID, "personId", "this person is not part of the match")
    return person_id


def _require(row: MatchRow, allowed: Sequence[str], action: str) -> None:
    if row.status not in allowed:
        raise Refused(Code.NOT_ALLOWED_IN_STATE, None, f"a {row.status} match cannot be {action}")


async def accept(
    uow: UnitOfWork, tenant_id: str, match_id: str, person_id: str | None, now: datetime
) -> MatchRow:
    """One participant accepts; ACCEPTED (and `match.accepted`) once both have. Accepting
    twice changes nothing."""
    row = await _open_match(uow, tenant_id, match_id)
    person = _participant(row, person_id)
    if row.status == MatchStatus.ACCEPTED.value and person in row.accepted_by:
        return row
    _require(row, [MatchStatus.PROPOSED.value], "accepted")
    if person in row.accepted_by:
        return row
    accepted = [*row.accepted_by, person]
    if set(participants(row)) <= set(accepted):
        _change(
            row,
            now,
            accepted_by=accepted,
            status=MatchStatus.ACCEPTED,
            decided_at=now,
            expires_at=None,
        )
        await uow.emit(MatchAccepted(match=snapshot(row)), tenant_id=tenant_id)
    else:
        _change(row, now, accepted_by=accepted)
    return row


async def decline(
    uow: UnitOfWork,
    tenant_id: str,
    match_id: str,
    person_id: str | None,
    reason: str | None,
    now: datetime,
) -> MatchRow:
    """A participant says no to a proposal: DECLINED, and the pair is never proposed again."""
    row = await _open_match(uow, tenant_id, match_id)
    person = _participant(row, person_id)
    _require(row, [MatchStatus.PROPOSED.value], "declined")
    _change(
        row,
        now,
        status=MatchStatus.DECLINED,
        decided_at=now,
        expires_at=None,
        reason=_reason(reason) or f"declined by {person}",
    )
    await uow.emit(MatchDeclined(match=snapshot(row)), tenant_id=tenant_id)
    return row


async def lapse(uow: UnitOfWork, tenant_id: str, row: MatchRow, now: datetime) -> None:
    """A proposal nobody answered in time: DECLINED ("expired"), so the pair is not
    proposed again."""
    _change(row, now, status=MatchStatus.DECLINED, decided_at=now, expires_at=None, reason=EXPIRED)
    await uow.emit(MatchDeclined(match=snapshot(row)), tenant_id=tenant_id)


async def end(
    uow: UnitOfWork,
    tenant_id: str,
    match_id: str,
    person_id: str | None,
    reason: str | None,
    now: datetime,
) -> MatchRow:
    """An open match ends early, with a reason (a participant, or an admin: no personId)."""
    row = await _open_match(uow, tenant_id, match_id)
    if person_id:
        _participant(row, person_id)
    text = _reason(reason)
    if text is None:
        raise Refused(Code.INVALID, "reason", "say why the match ends")
    _require(row, OPEN, "ended")
    await end_match(uow, tenant_id, row, text, now)
    return row


async def end_match(
    uow: UnitOfWork, tenant_id: str, row: MatchRow, reason: str, now: datetime
) -> None:
    _change(row, now, status=MatchStatus.ENDED, ended_at=now, expires_at=None, reason=reason)
    await uow.emit(MatchEnded(match=snapshot(row)), tenant_id=tenant_id)


async def held_session(
    uow: UnitOfWork, tenant_id: str, row: MatchRow, ended_at: datetime, *, final: bool
) -> None:
    """One more session held: ACCEPTED → ACTIVE on the first (`match.activated`), ACTIVE →
    COMPLETED on the plan's last (`match.completed`). A match that is not open only counts it."""
    now = max(ended_at, row.updated_at)
    last = ended_at if row.last_session_at is None else max(row.last_session_at, ended_at)
    _change(row, now, sessions_completed=row.sessions_completed + 1, last_session_at=last)
    if row.status == MatchStatus.ACCEPTED.value:
        _change(row, now, status=MatchStatus.ACTIVE)
        await uow.emit(MatchActivated(match=snapshot(row)), tenant_id=tenant_id)
    if final and row.status == MatchStatus.ACTIVE.value:
        await complete(uow, tenant_id, row, "the plan's last session was held", now)


async def complete(
    uow: UnitOfWork, tenant_id: str, row: MatchRow, reason: str, now: datetime
) -> None:
    _change(row, now, status=MatchStatus.COMPLETED, ended_at=now, reason=reason)
    await uow.emit(MatchCompleted(match=snapshot(row)), tenant_id=tenant_id)


async def flag_for_review(
    uow: UnitOfWork, tenant_id: str, row: MatchRow, reason: str, now: datetime
) -> None:
    """Marks an open match for an admin's review (`match.review_flagged`); the pair is not
    proposed again. Flagging twice changes nothing."""
    if row.flagged_for_review:
        return
    _change(row, now, flagged_for_review=True, reason=reason)
    await uow.emit(MatchReviewFlagged(match=snapshot(row)), tenant_id=tenant_id)


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > 500:
        raise Refused(Code.INVALID, "reason", "at most 500 characters")
    return text or None
