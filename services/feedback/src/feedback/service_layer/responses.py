"""Answers: submitted once per request (a database constraint), changed by their author
within the edit window, announced by `feedback.submitted` without the comment, counted in
the figures and checked by early warning."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.feedback import FeedbackResponseSnapshot, FeedbackSubmitted
from contracts.internal.feedback import FeedbackView
from contracts.problems import Code
from messaging.outbox import UnitOfWork
from runtime.refusals import Refused, invalid, not_found
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from feedback.adapters import figures_store
from feedback.adapters.facts_store import response_of
from feedback.adapters.tables import FeedbackRequestRow, FeedbackResponseRow
from feedback.domain.request_schedule import (
    FeedbackRequest,
    RequestKind,
    RequestStatus,
    check_answerable,
)
from feedback.domain.responses import (
    Answer,
    ResponseRules,
    SubmittedResponse,
    check_editable,
    validated,
)
from feedback.service_layer.requests import change_status
from feedback.service_layer.warnings import evaluate


@dataclass(frozen=True, slots=True)
class Author:
    """Who answers: a person acting for themselves, or an admin's key naming the respondent."""

    person_id: str | None  # the caller is this person (an end-user token)
    is_admin: bool

    def respondent(self, named: str | None) -> str:
        if self.person_id is not None:
            if named is not None and named != self.person_id:
                raise not_found("person", "respondentId")  # nobody answers for another
            return self.person_id
        if named is None:
            raise invalid("respondentId", "is required when an integrator's key submits")
        return named


def _domain_request(row: FeedbackRequestRow) -> FeedbackRequest:
    return FeedbackRequest(
        id=row.id,
        kind=RequestKind(row.kind),
        program_id=row.program_id,
        person_id=row.person_id,
        match_id=row.match_id,
        session_id=row.session_id,
        due_at=row.due_at,
        expires_at=row.expires_at,
        status=RequestStatus(row.status),
        answered_at=row.answered_at,
    )


def snapshot(row: FeedbackResponseRow) -> FeedbackResponseSnapshot:
    """What travels: never the comment, never the tags' free text."""
    return FeedbackResponseSnapshot(
        id=row.id,
        request_id=row.request_id,
        program_id=row.program_id,
        match_id=row.match_id,
        session_id=row.session_id,
        respondent_id=row.respondent_id,
        rating=row.rating,
        nps=row.recommend,
        goal_progress=row.goal_progress,
        revision=row.revision,
        submitted_at=row.submitted_at,
    )


def view(row: FeedbackResponseRow, edit_window: timedelta, *, with_comment: bool) -> FeedbackView:
    return FeedbackView(
        id=row.id,
        request_id=row.request_id,
        program_id=row.program_id,
        kind=RequestKind(row.kind),
        match_id=row.match_id,
        session_id=row.session_id,
        respondent_id=row.respondent_id,
        rating=row.rating,
        recommend_score=row.recommend,
        goal_progress=row.goal_progress,
        tags=list(row.tags),
        comment=row.comment if with_comment else None,
        revision=row.revision,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        editable_until=row.submitted_at + edit_window,
    )


async def _request_for(
    uow: UnitOfWork, tenant_id: str, request_id: str | None, session_id: str | None, who: str
) -> FeedbackRequestRow:
    if (request_id is None) == (session_id is None):
        raise invalid("requestId", "give exactly one of requestId and sessionId")
    if request_id is not None:
        row = await uow.session.get(FeedbackRequestRow, request_id)
        if row is None or row.tenant_id != tenant_id:
            raise not_found("feedback request", "requestId")
        return row
    found = (
        await uow.session.exec(
            select(FeedbackRequestRow).where(
                FeedbackRequestRow.tenant_id == tenant_id,
                FeedbackRequestRow.session_id == session_id,
                FeedbackRequestRow.person_id == who,
                FeedbackRequestRow.kind == RequestKind.SESSION.value,
            )
        )
    ).first()
    if found is None:
        raise not_found("feedback request for this session and respondent", "sessionId")
    return found


async def _announce(uow: UnitOfWork, row: FeedbackResponseRow, now: datetime) -> None:
    await uow.emit(FeedbackSubmitted(response=snapshot(row)), tenant_id=row.tenant_id)
    if row.match_id is not None:
        await evaluate(uow, row.tenant_id, row.match_id, now)


async def submit(
    uow: UnitOfWork,
    tenant_id: str,
    author: Author,
    *,
    request_id: str | None,
    session_id: str | None,
    respondent_id: str | None,
    answer: Answer,
    rules: ResponseRules,
    now: datetime,
) -> FeedbackResponseRow:
    checked = validated(answer, rules)  # every bad field named at once, before anything
    who = author.respondent(respondent_id)
    request = await _request_for(uow, tenant_id, request_id, session_id, who)
    field = "requestId" if request_id is not None else "sessionId"
    try:
        check_answerable(_domain_request(request), who, now)
    except Refused as refused:
        refused.errors = [e.model_copy(update={"field": field}) for e in refused.errors]
        raise
    assert checked.rating is not None  # validated: required
    row = FeedbackResponseRow(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        request_id=request.id,
        kind=request.kind,
        program_id=request.program_id,
        match_id=request.match_id,
        session_id=request.session_id,
        respondent_id=who,
        rating=checked.rating,
        recommend=checked.recommend,
        goal_progress=checked.goal_progress,
        comment=checked.comment,
        tags=list(checked.tags),
        submitted_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    try:
        await uow.session.flush()
    except IntegrityError:
        # Two answers raced past the check: the constraint keeps one, this one is refused.
        raise Refused(Code.CONFLICT, field, "this request is already answered") from None
    await change_status(uow, request, RequestStatus.ANSWERED, now)
    await figures_store.record(uow.session, tenant_id, response_of(row), None)
    await _announce(uow, row, now)
    return row


async def edit(
    uow: UnitOfWork,
    tenant_id: str,
    author: Author,
    response_id: str,
    respondent_id: str | None,
    changes: dict[str, object],
    rules: ResponseRules,
    now: datetime,
) -> FeedbackResponseRow:
    row = await uow.session.get(FeedbackResponseRow, response_id)
    if row is None or row.tenant_id != tenant_id:
        raise not_found("feedback")
    who = author.respondent(respondent_id)
    kept = SubmittedResponse(
        id=row.id,
        request_id=row.request_id,
        respondent_id=row.respondent_id,
        answer=Answer(rating=row.rating),
        submitted_at=row.submitted_at,
        revision=row.revision,
    )
    try:
        check_editable(kept, who, now, rules)
    except Refused as refused:
        refused.errors = [e.model_copy(update={"field": "responseId"}) for e in refused.errors]
        raise
    answer = validated(
        Answer(
            rating=changes.get("rating", row.rating),  # type: ignore[arg-type]
            recommend=changes.get("recommend_score", row.recommend),  # type: ignore[arg-type]
            goal_progress=changes.get("goal_progress", row.goal_progress),  # type: ignore[arg-type]
            comment=changes.get("comment", row.comment),  # type: ignore[arg-type]
            tags=changes.get("tags", row.tags),  # type: ignore[arg-type]
        ),
        rules,
    )
    previous = response_of(row)
    assert answer.rating is not None
    row.rating, row.recommend, row.goal_progress = (
        answer.rating,
        answer.recommend,
        answer.goal_progress,
    )
    row.comment, row.tags = answer.comment, list(answer.tags)
    row.revision, row.updated_at = row.revision + 1, now
    await figures_store.record(uow.session, tenant_id, response_of(row), previous)
    await _announce(uow, row, now)
    return row
