"""Internal REST API of feedback's requests and responses (Person.feedbackRequests,
submitFeedback, Feedback). Scoped to the caller's tenant; a person sees and answers only
their own; comments are shown to the tenant's admins only."""

from typing import Annotated

from contracts.internal.feedback import (
    FeedbackRequestStatus,
    FeedbackRequestView,
    FeedbackView,
    PersonFeedbackRequests,
)
from contracts.pages import Items
from fastapi import APIRouter, Query
from messaging.outbox import UnitOfWork, utcnow
from runtime.refusals import not_found
from runtime.units import UowDep
from service_auth.dependencies import CallerDep
from sqlmodel import col, select

from feedback.adapters.tables import FeedbackRequestRow, FeedbackResponseRow
from feedback.domain.responses import Answer
from feedback.entrypoints.dependencies import Access, FeedbackDep
from feedback.entrypoints.schemas import (
    EditFeedbackRequest,
    PeopleRequestsRequest,
    ResponsesRequest,
    SubmitFeedbackRequest,
)
from feedback.service_layer import requests, responses

router = APIRouter(prefix="/internal/feedback", tags=["feedback"])


async def _requests_of(
    uow: UnitOfWork,
    tenant_id: str,
    person_ids: list[str],
    statuses: list[FeedbackRequestStatus],
) -> dict[str, list[FeedbackRequestView]]:
    found: dict[str, list[FeedbackRequestView]] = {p: [] for p in person_ids}
    if not person_ids:
        return found
    rows = (
        await uow.session.exec(
            select(FeedbackRequestRow, FeedbackResponseRow.id)
            .join(
                FeedbackResponseRow,
                col(FeedbackResponseRow.request_id) == col(FeedbackRequestRow.id),
                isouter=True,
            )
            .where(
                FeedbackRequestRow.tenant_id == tenant_id,
                col(FeedbackRequestRow.person_id).in_(person_ids),
            )
            .order_by(col(FeedbackRequestRow.due_at).desc(), col(FeedbackRequestRow.id))
        )
    ).all()
    now = utcnow()
    for row, response_id in rows:
        shown = requests.view(row, response_id, now)
        if not statuses or shown.status in statuses:
            found[row.person_id].append(shown)
    return found


@router.get("/people/{person_id}/requests", response_model=Items[FeedbackRequestView])
async def person_requests(
    person_id: str,
    caller: CallerDep,
    uow: UowDep,
    status: Annotated[list[FeedbackRequestStatus] | None, Query()] = None,
) -> Items[FeedbackRequestView]:
    if not Access.of(caller).may_see_person(person_id):
        return Items[FeedbackRequestView](items=[])
    found = await _requests_of(uow, caller.tenant_id, [person_id], status or [])
    return Items[FeedbackRequestView](items=found[person_id])


@router.post("/people/requests/batch", response_model=Items[PersonFeedbackRequests])
async def people_requests(
    body: PeopleRequestsRequest, caller: CallerDep, uow: UowDep
) -> Items[PersonFeedbackRequests]:
    """Each person's requests (as `/people/{id}/requests`), for many people in one call."""
    access = Access.of(caller)
    wanted = [p for p in dict.fromkeys(body.person_ids) if access.may_see_person(p)]
    found = await _requests_of(uow, caller.tenant_id, wanted, body.status)
    return Items[PersonFeedbackRequests](
        items=[
            PersonFeedbackRequests(person_id=p, items=found.get(p, []))
            for p in dict.fromkeys(body.person_ids)
        ]
    )


@router.get("/requests/{request_id}", response_model=FeedbackRequestView)
async def one_request(request_id: str, caller: CallerDep, uow: UowDep) -> FeedbackRequestView:
    row = await uow.session.get(FeedbackRequestRow, request_id)
    if row is None or row.tenant_id != caller.tenant_id:
        raise not_found("feedback request")
    if not Access.of(caller).may_see_person(row.person_id):
        raise not_found("feedback request")
    answer = (
        await uow.session.exec(
            select(FeedbackResponseRow.id).where(FeedbackResponseRow.request_id == row.id)
        )
    ).first()
    return requests.view(row, answer, utcnow())


@router.post("/responses", status_code=201, response_model=FeedbackView)
async def submit(
    body: SubmitFeedbackRequest, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> FeedbackView:
    access = Access.of(caller)
    row = await responses.submit(
        uow,
        caller.tenant_id,
        access.author,
        request_id=body.request_id,
        session_id=body.session_id,
        respondent_id=body.respondent_id,
        answer=Answer(
            rating=body.rating,
            recommend=body.recommend_score,
            goal_progress=body.goal_progress,
            comment=body.comment,
            tags=body.tags,
        ),
        rules=feedback.response_rules,
        now=utcnow(),
    )
    return responses.view(row, feedback.response_rules.edit_window, with_comment=access.is_admin)


@router.patch("/responses/{response_id}", response_model=FeedbackView)
async def edit(
    response_id: str,
    body: EditFeedbackRequest,
    caller: CallerDep,
    uow: UowDep,
    feedback: FeedbackDep,
) -> FeedbackView:
    access = Access.of(caller)
    changes = body.model_dump(exclude_unset=True, exclude={"respondent_id"})
    row = await responses.edit(
        uow,
        caller.tenant_id,
        access.author,
        response_id,
        body.respondent_id,
        changes,
        feedback.response_rules,
        utcnow(),
    )
    return responses.view(row, feedback.response_rules.edit_window, with_comment=access.is_admin)


def _shown(row: FeedbackResponseRow, access: Access, feedback: FeedbackDep) -> FeedbackView | None:
    if not access.may_see_person(row.respondent_id):
        return None
    # Comments are for the tenant's admins only: never the other participant (nor, through
    # the API, a person at all: what an admin may read is what was said to the program).
    return responses.view(row, feedback.response_rules.edit_window, with_comment=access.is_admin)


@router.get("/responses/{response_id}", response_model=FeedbackView)
async def one_response(
    response_id: str, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> FeedbackView:
    row = await uow.session.get(FeedbackResponseRow, response_id)
    shown = None
    if row is not None and row.tenant_id == caller.tenant_id:
        shown = _shown(row, Access.of(caller), feedback)
    if shown is None:
        raise not_found("feedback")
    return shown


@router.post("/responses/batch", response_model=Items[FeedbackView])
async def responses_batch(
    body: ResponsesRequest, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> Items[FeedbackView]:
    rows = await uow.session.exec(
        select(FeedbackResponseRow).where(
            FeedbackResponseRow.tenant_id == caller.tenant_id,
            col(FeedbackResponseRow.id).in_(list(dict.fromkeys(body.ids))),
        )
    )
    access = Access.of(caller)
    shown = [_shown(r, access, feedback) for r in rows]
    return Items[FeedbackView](items=[s for s in shown if s is not None])


@router.get("/sessions/{session_id}/responses", response_model=Items[FeedbackView])
async def session_responses(
    session_id: str, caller: CallerDep, uow: UowDep, feedback: FeedbackDep
) -> Items[FeedbackView]:
    rows = await uow.session.exec(
        select(FeedbackResponseRow)
        .where(
            FeedbackResponseRow.tenant_id == caller.tenant_id,
            FeedbackResponseRow.session_id == session_id,
        )
        .order_by(col(FeedbackResponseRow.submitted_at), col(FeedbackResponseRow.id))
    )
    access = Access.of(caller)
    shown = [_shown(r, access, feedback) for r in rows]
    return Items[FeedbackView](items=[s for s in shown if s is not None])
