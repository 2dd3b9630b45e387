"""Feedback, named as in api-sketch.graphql (a contract: add, never rename): the requests
people are asked to answer, their answers, and the early-warning flags raised on matches.

Each type is built from the contract model feedback answered with (`FeedbackRequestView`,
`FeedbackView`, `FlagView`). A comment is shown to the tenant's admins only, never to another
participant: feedback leaves it out of any other caller's answer, and the type checks again.
The people, programs and matches these name are loaded in batches for the whole request (a
match through its participant's matches, which matching answers for a page of people in one
call). `feedback_requests_of_person` serves `Person.feedbackRequests`, `flags_of_match`
`Match.flags`; `session` on a request or an answer is the sessions area's `Session`, loaded
through its batched `session_by_id`."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from contracts.feedback import FlagEvidence as EvidenceView
from contracts.internal.feedback import (
    FeedbackRequestStatus,
    FeedbackRequestView,
    FeedbackView,
    FlagView,
)
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import EvidenceKind, FeedbackRequestKind, FlagReason
from gateway.graphql.errors import BadUserInput
from gateway.graphql.ids import KEY_FORMS, encode_id
from gateway.graphql.people.types import Person, person_of
from gateway.graphql.programs.types import Program, program_of

if TYPE_CHECKING:
    from gateway.graphql.matching.types import Match
    from gateway.graphql.sessions.types import Session

MatchType = Annotated["Match", strawberry.lazy("gateway.graphql.matching.types")]
SessionType = Annotated["Session", strawberry.lazy("gateway.graphql.sessions.types")]


async def _match_of(context: CairnContext, person_id: str, match_id: str | None) -> "Match | None":
    """The match a request or an answer is about, found among its respondent's matches (one
    call for every person of the request); None when there is none or it is not visible."""
    if match_id is None:
        return None
    from gateway.graphql.matching.types import Match  # refers back to these types

    found = await context.loaders.matches_of_person.load((person_id, ()))
    return next((Match.of(m) for m in found if m.id == match_id), None)


async def _session_of(context: CairnContext, session_id: str | None) -> "Session | None":
    """The session a request or an answer follows, through the sessions area's batched loader
    (a page of requests is one call to sessions); None for a pulse or a close-out (no session),
    or a session the caller cannot see."""
    if session_id is None:
        return None
    from gateway.graphql.sessions.types import Session  # refers back to Match and Person

    found = await context.loaders.session_by_id.load(session_id)
    return Session.of(found) if found else None


# --- answers ---------------------------------------------------------------------------------


async def _respondent(root: "Feedback", info: Info[CairnContext, None]) -> Person:
    return await person_of(info.context, root.view.respondent_id)


async def _feedback_program(root: "Feedback", info: Info[CairnContext, None]) -> Program:
    return await program_of(info.context, root.view.program_id)


async def _feedback_match(root: "Feedback", info: Info[CairnContext, None]) -> MatchType | None:
    return await _match_of(info.context, root.view.respondent_id, root.view.match_id)


async def _feedback_session(root: "Feedback", info: Info[CairnContext, None]) -> SessionType | None:
    return await _session_of(info.context, root.view.session_id)


async def _feedback_request(
    root: "Feedback", info: Info[CairnContext, None]
) -> "FeedbackRequest | None":
    if root.parent is not None:  # reached from its request: no need to load it again
        return root.parent
    found = await info.context.feedback.read(
        FeedbackRequestView, "/internal/feedback/requests/{}", root.view.request_id
    )
    return FeedbackRequest.of(found) if found else None


@strawberry.type(description="One person's answer to a feedback request.")
class Feedback:
    view: strawberry.Private[FeedbackView]
    parent: strawberry.Private["FeedbackRequest | None"]
    id: strawberry.ID
    respondent: Person = strawberry.field(resolver=_respondent)
    rating: int = strawberry.field(description="How it went, 1..5")
    recommend_score: int | None = strawberry.field(
        description="How likely to recommend the program, 0..10 (for NPS)"
    )
    comment: str | None = strawberry.field(
        description="The respondent's words: shown to the tenant's admins only, null to anyone "
        "else (never to the other participant)"
    )
    submitted_at: datetime
    kind: FeedbackRequestKind
    goal_progress: int | None = strawberry.field(
        description="Progress on the respondent's goals, 1..5"
    )
    tags: list[str]
    revision: int = strawberry.field(description="Grows with every edit")
    updated_at: datetime
    editable_until: datetime = strawberry.field(
        description="editFeedback is refused after this (the program's edit window)"
    )
    program: Program = strawberry.field(resolver=_feedback_program)
    match: MatchType | None = strawberry.field(
        resolver=_feedback_match, description="The match the answer is about, if any"
    )
    session: SessionType | None = strawberry.field(
        resolver=_feedback_session,
        description="The session it is about (null for a pulse or a close-out, which follow "
        "no session)",
    )
    request: "FeedbackRequest | None" = strawberry.field(
        resolver=_feedback_request, description="The request it answered"
    )

    @classmethod
    def of(
        cls, view: FeedbackView, *, admin: bool, request: "FeedbackRequest | None" = None
    ) -> "Feedback":
        return cls(
            view=view,
            parent=request,
            id=strawberry.ID(encode_id("Feedback", view.id)),
            rating=view.rating,
            recommend_score=view.recommend_score,
            comment=view.comment if admin else None,
            submitted_at=view.submitted_at,
            kind=view.kind,
            goal_progress=view.goal_progress,
            tags=list(view.tags),
            revision=view.revision,
            updated_at=view.updated_at,
            editable_until=view.editable_until,
        )


# --- requests --------------------------------------------------------------------------------


async def _asked(root: "FeedbackRequest", info: Info[CairnContext, None]) -> Person:
    return await person_of(info.context, root.view.respondent_id)


async def _request_program(root: "FeedbackRequest", info: Info[CairnContext, None]) -> Program:
    return await program_of(info.context, root.view.program_id)


async def _request_match(
    root: "FeedbackRequest", info: Info[CairnContext, None]
) -> MatchType | None:
    return await _match_of(info.context, root.view.respondent_id, root.view.match_id)


async def _request_session(
    root: "FeedbackRequest", info: Info[CairnContext, None]
) -> SessionType | None:
    return await _session_of(info.context, root.view.session_id)


async def _answer(root: "FeedbackRequest", info: Info[CairnContext, None]) -> Feedback | None:
    if root.view.response_id is None:
        return None
    found = await info.context.loaders.feedback_by_id.load(root.view.response_id)
    return Feedback.of(found, admin=info.context.is_admin, request=root) if found else None


@strawberry.type(description="A few short questions someone is asked after an interaction.")
class FeedbackRequest:
    view: strawberry.Private[FeedbackRequestView]
    id: strawberry.ID
    session: SessionType | None = strawberry.field(
        resolver=_request_session,
        description="The held session it asks about (SESSION requests; null otherwise)",
    )
    match: MatchType | None = strawberry.field(resolver=_request_match)
    person: Person = strawberry.field(resolver=_asked, description="Who is asked")
    kind: str = strawberry.field(
        description="SESSION (after a held session), PULSE (30 days into a match, then every "
        "60) or CLOSE_OUT (when a match completes or ends)"
    )
    due_at: datetime
    status: str = strawberry.field(
        description="PENDING, ANSWERED, EXPIRED, or WITHDRAWN (the person left the "
        "organization before answering)"
    )
    program: Program = strawberry.field(resolver=_request_program)
    requested_at: datetime
    expires_at: datetime = strawberry.field(description="Answers are refused after this")
    feedback: Feedback | None = strawberry.field(
        resolver=_answer, description="The answer, once ANSWERED"
    )

    @classmethod
    def of(cls, view: FeedbackRequestView) -> "FeedbackRequest":
        return cls(
            view=view,
            id=strawberry.ID(encode_id("FeedbackRequest", view.id)),
            kind=view.kind.value,
            due_at=view.due_at,
            status=view.status.value,
            requested_at=view.requested_at,
            expires_at=view.expires_at,
        )


def request_statuses(status: str | None) -> tuple[str, ...]:
    """`Person.feedbackRequests(status:)` as feedback's filter: one status, or all (None)."""
    if status is None:
        return ()
    try:
        return (FeedbackRequestStatus(status.strip().upper()).value,)
    except ValueError:
        allowed = ", ".join(s.value for s in FeedbackRequestStatus)
        raise BadUserInput(f"status must be one of {allowed}", field="status") from None


async def feedback_requests_of_person(
    context: CairnContext, person_id: str, status: str | None
) -> list[FeedbackRequest]:
    """For `Person.feedbackRequests` (`person_id` is profiles' id), newest due first; batched
    across the request (a page of people is one call to feedback)."""
    found = await context.loaders.feedback_requests_of_person.load(
        (person_id, request_statuses(status))
    )
    return [FeedbackRequest.of(r) for r in found]


# --- early warning ---------------------------------------------------------------------------


@strawberry.type(description="What a flag rests on: a rating, a session, the last contact.")
class FlagEvidence:
    kind: EvidenceKind
    ref_id: str | None = strawberry.field(
        description="feedback's id of the response, or the session, it points at"
    )
    at: datetime
    detail: str = strawberry.field(description="A rating, a status; never a comment")

    @classmethod
    def of(cls, evidence: EvidenceView) -> "FlagEvidence":
        return cls(
            kind=evidence.kind, ref_id=evidence.ref_id, at=evidence.at, detail=evidence.detail
        )


@strawberry.type(description="Early warning: a relationship that seems to be going wrong.")
class MatchFlag:
    view: strawberry.Private[FlagView]
    id: strawberry.ID
    reason_code: FlagReason
    reason: str
    flagged_at: datetime
    evidence: list[FlagEvidence]

    @strawberry.field(description="The participant who raised it; null: early warning did")
    async def flagged_by(self, info: Info[CairnContext, None]) -> Person | None:
        if not KEY_FORMS["Person"].fullmatch(self.view.flagged_by):
            return None  # early warning's own flags name no person
        found = await info.context.loaders.person_by_id.load(self.view.flagged_by)
        return Person.of(found) if found else None

    @classmethod
    def of(cls, view: FlagView) -> "MatchFlag":
        return cls(
            view=view,
            id=strawberry.ID(encode_id("MatchFlag", view.id)),
            reason_code=view.reason_code,
            reason=view.reason,
            flagged_at=view.flagged_at,
            evidence=[FlagEvidence.of(e) for e in view.evidence],
        )


async def flags_of_match(
    context: CairnContext, program_id: str, match_id: str
) -> list[MatchFlag] | None:
    """For `Match.flags`: None unless the caller is one of the tenant's admins. A page of a
    program's matches is one call to feedback (the program's flags)."""
    if not context.is_admin:
        return None
    found = await context.loaders.flags_of_program.load(program_id)
    return [MatchFlag.of(f) for f in found if f.match_id == match_id]
