"""Feedback's changes: answering a request (by its session, as the sketch's `submitFeedback`
does, or by the request itself, for pulses and close-out surveys) and editing an answer
within the program's edit window. Resolvers compose feedback's internal API; every rule (one
answer per request, ranges, the window, who may answer) lives there. A mutation answers what
the caller can fix as userErrors (fields under `input`) and then has changed nothing."""

from typing import Any

import strawberry
from contracts.internal.feedback import FeedbackView
from contracts.problems import Problem
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.feedback.types import Feedback
from gateway.graphql.ids import decode_id
from gateway.graphql.user_errors import UserError, from_problem, not_found

_ANSWER_FIELDS = ("rating", "recommend_score", "comment", "tags", "goal_progress")


@strawberry.input(
    description="An answer to the respondent's request after a session. An end-user token "
    "implies the respondent; an integrator key names them (respondentId)."
)
class FeedbackInput:
    session_id: strawberry.ID
    respondent_id: strawberry.ID | None = None
    rating: int = strawberry.field(description="How it went, 1..5")
    recommend_score: int | None = strawberry.field(
        default=None, description="How likely to recommend the program, 0..10"
    )
    comment: str | None = strawberry.field(
        default=None, description="At most 2,000 characters; shown to the tenant's admins only"
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="At most 10, each at most 40 characters"
    )
    goal_progress: int | None = strawberry.field(
        default=strawberry.UNSET, description="Progress on the respondent's goals, 1..5"
    )


@strawberry.input(description="An answer to any request: a session's, a pulse, a close-out.")
class AnswerFeedbackRequestInput:
    request_id: strawberry.ID
    respondent_id: strawberry.ID | None = None
    rating: int = strawberry.field(description="How it went, 1..5")
    recommend_score: int | None = None
    comment: str | None = None
    tags: list[str] | None = strawberry.UNSET
    goal_progress: int | None = strawberry.UNSET


@strawberry.input(
    description="Changes to an answer, within the edit window; fields left out keep their value."
)
class EditFeedbackInput:
    feedback_id: strawberry.ID
    respondent_id: strawberry.ID | None = None
    rating: int | None = strawberry.UNSET
    recommend_score: int | None = strawberry.UNSET
    comment: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    goal_progress: int | None = strawberry.UNSET


@strawberry.type
class FeedbackPayload:
    feedback: Feedback | None
    user_errors: list[UserError]


def _answer(value: Any) -> dict[str, Any]:
    """The answer's fields the caller gave, as feedback's camelCase body (UNSET left out)."""
    names = {
        "rating": "rating",
        "recommend_score": "recommendScore",
        "comment": "comment",
        "tags": "tags",
        "goal_progress": "goalProgress",
    }
    return {
        names[name]: getattr(value, name)
        for name in _ANSWER_FIELDS
        if getattr(value, name) is not strawberry.UNSET
    }


def _respondent(respondent_id: strawberry.ID | None) -> tuple[dict[str, str], bool]:
    """The body's respondent (none: the caller's own person), and whether the id was ours."""
    if respondent_id is None:
        return {}, True
    key = decode_id("Person", respondent_id)
    return ({"respondentId": key}, True) if key else ({}, False)


def _payload(
    context: CairnContext,
    answer: FeedbackView | Problem | None,
    missing: str,
    renamed: dict[str, str] | None = None,
) -> FeedbackPayload:
    if isinstance(answer, Problem):
        # Feedback names its own fields; a few are called otherwise in the input.
        names = renamed or {}
        errors = [
            e.model_copy(update={"field": names[e.field]}) if e.field in names else e
            for e in answer.errors
        ]
        problem = answer.model_copy(update={"errors": errors})
        return FeedbackPayload(feedback=None, user_errors=from_problem(problem))
    if answer is None:
        return FeedbackPayload(
            feedback=None, user_errors=not_found(missing.removesuffix("Id"), missing)
        )
    return FeedbackPayload(feedback=Feedback.of(answer, admin=context.is_admin), user_errors=[])


def _failed(what: str, field: str) -> FeedbackPayload:
    return FeedbackPayload(feedback=None, user_errors=not_found(what, field))


async def _respond(
    context: CairnContext,
    about: str,
    key: str,
    input: FeedbackInput | AnswerFeedbackRequestInput,
) -> FeedbackPayload:
    """A new answer, to a session's request (`sessionId`) or to any request (`requestId`)."""
    respondent, known = _respondent(input.respondent_id)
    if not known:
        return _failed("person", "respondentId")
    body = {about: key, **respondent, **_answer(input)}
    answer = await context.feedback.change(
        FeedbackView, "POST", "/internal/feedback/responses", json=body
    )
    return _payload(context, answer, about)


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(
        description="Answers the respondent's request after the session: once per request; "
        "out-of-range values, a late answer and a second one are refused (userErrors)."
    )
    async def submit_feedback(
        self, info: Info[CairnContext, None], input: FeedbackInput
    ) -> FeedbackPayload:
        session = decode_id("Session", input.session_id)
        if session is None:
            return _failed("session", "sessionId")
        return await _respond(info.context, "sessionId", session, input)

    @strawberry.mutation(
        description="Answers a feedback request of any kind (a pulse, a close-out survey), "
        "under the same rules as submitFeedback."
    )
    async def answer_feedback_request(
        self, info: Info[CairnContext, None], input: AnswerFeedbackRequestInput
    ) -> FeedbackPayload:
        request = decode_id("FeedbackRequest", input.request_id)
        if request is None:
            return _failed("feedback request", "requestId")
        return await _respond(info.context, "requestId", request, input)

    @strawberry.mutation(
        description="Changes an answer while its edit window is open (editableUntil); after "
        "that the answer stands and the change is refused."
    )
    async def edit_feedback(
        self, info: Info[CairnContext, None], input: EditFeedbackInput
    ) -> FeedbackPayload:
        key = decode_id("Feedback", input.feedback_id)
        if key is None:
            return _failed("feedback", "feedbackId")
        respondent, known = _respondent(input.respondent_id)
        if not known:
            return _failed("person", "respondentId")
        answer = await info.context.feedback.change(
            FeedbackView,
            "PATCH",
            "/internal/feedback/responses/{}",
            key,
            json={**respondent, **_answer(input)},
        )
        return _payload(info.context, answer, "feedbackId", {"responseId": "feedbackId"})
