"""Matching, named as in api-sketch.graphql (a contract: add, never rename): matches, match
runs and their previews, and self-serve suggestions.

Each type is built from the contract model matching answered with (`MatchSnapshot`,
`MatchRunView`, …). The people a match or a pair names are loaded together, in one batch
for the whole request. `matches_of_program` and `matches_of_person` serve `Program.matches`
and `Person.matches`."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from contracts.internal.matching import MatchRunView, MentorSuggestion
from contracts.internal.matching import ProposedPair as PairView
from contracts.internal.matching import UnmatchedMentee as Left
from contracts.matches import MatchReasonSnapshot, MatchSnapshot
from contracts.pages import Connection as ConnectionView
from contracts.pages import Edge as EdgeView
from contracts.pages import Items
from contracts.programs import MatchingPolicySnapshot
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import MatchStatus, Optimality
from gateway.graphql.ids import encode_id
from gateway.graphql.people.types import Person, people_of, person_of
from gateway.graphql.programs.types import MatchingPolicy, Program, program_of
from gateway.graphql.relay import DEFAULT_PAGE, Connection, connection, page_size

if TYPE_CHECKING:
    from gateway.graphql.feedback.types import MatchFlag
    from gateway.graphql.sessions.types import Session


@strawberry.type
class MatchReason:
    criterion: str
    contribution: float = strawberry.field(description="This criterion's share of the score")
    explanation: str

    @classmethod
    def of(cls, reason: MatchReasonSnapshot) -> "MatchReason":
        return cls(
            criterion=reason.criterion,
            contribution=reason.contribution,
            explanation=reason.explanation,
        )


def _reasons(reasons: list[MatchReasonSnapshot]) -> list[MatchReason]:
    return [MatchReason.of(r) for r in reasons]


# --- resolvers of the people and programs the types below name -------------------------------


async def _program(root: "Match | MatchRun", info: Info[CairnContext, None]) -> Program:
    return await program_of(info.context, root.view.program_id)


async def _mentor(
    root: "Match | ProposedPair | MatchSuggestion", info: Info[CairnContext, None]
) -> Person:
    return await person_of(info.context, root.view.mentor_id)


async def _mentees(root: "Match | ProposedPair", info: Info[CairnContext, None]) -> list[Person]:
    return await people_of(info.context, root.view.mentee_ids)


async def _accepted_by(root: "Match", info: Info[CairnContext, None]) -> list[Person]:
    return await people_of(info.context, root.view.accepted_by)


async def _mentee(root: "UnmatchedMentee", info: Info[CairnContext, None]) -> Person:
    return await person_of(info.context, root.view.person_id)


# --- matches ---------------------------------------------------------------------------------


@strawberry.type
class Match:
    view: strawberry.Private[MatchSnapshot]
    id: strawberry.ID
    program: Program = strawberry.field(resolver=_program)
    mentor: Person = strawberry.field(resolver=_mentor, description="PEER programs: the first peer")
    mentees: list[Person] = strawberry.field(
        resolver=_mentees, description="One, or several in GROUP programs; PEER: the other peer"
    )
    score: float = strawberry.field(description="0..1")
    reasons: list[MatchReason]
    status: MatchStatus
    accepted_by: list[Person] = strawberry.field(
        resolver=_accepted_by, description="ACCEPTED once every participant has accepted"
    )
    proposed_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="PROPOSED: when the proposal lapses without an answer"
    )
    origin: str = strawberry.field(
        description="RUN, SELF_SERVE, or REOFFER (the next best after a lapse)"
    )
    reason: str | None = strawberry.field(
        description="Why it was declined or ended, or why it is flagged"
    )
    flagged_for_review: bool = strawberry.field(
        description="The org changed under the pair (one now reports to the other)"
    )
    sessions_completed: int = strawberry.field(
        description="Sessions held so far; the first makes the match ACTIVE"
    )
    last_session_at: datetime | None = strawberry.field(
        description="When the latest held session ended"
    )

    @strawberry.field(description="Its sessions, the series in order")
    async def sessions(
        self, info: Info[CairnContext, None]
    ) -> list[Annotated["Session", strawberry.lazy("gateway.graphql.sessions.types")]]:
        from gateway.graphql.sessions.types import sessions_of_match  # refers back to Match

        return await sessions_of_match(info.context, self.view.id)

    @strawberry.field(
        description="Early warning's flags on the match, with their evidence, oldest first: "
        "the tenant's admins only (null for anyone else)"
    )
    async def flags(
        self, info: Info[CairnContext, None]
    ) -> list[Annotated["MatchFlag", strawberry.lazy("gateway.graphql.feedback.types")]] | None:
        from gateway.graphql.feedback.types import flags_of_match  # refers back to Match

        return await flags_of_match(info.context, self.view.program_id, self.view.id)

    @classmethod
    def of(cls, view: MatchSnapshot) -> "Match":
        return cls(
            view=view,
            id=strawberry.ID(encode_id("Match", view.id)),
            score=view.score,
            reasons=_reasons(view.reasons),
            status=view.status,
            proposed_at=view.proposed_at,
            expires_at=view.expires_at,
            origin=view.origin.value,
            reason=view.reason,
            flagged_for_review=view.flagged_for_review,
            sessions_completed=view.sessions_completed,
            last_session_at=view.last_session_at,
        )


async def matches_of_program(
    context: CairnContext,
    program_id: str,
    status: list[MatchStatus] | None,
    first: int | None,
    after: str | None,
) -> Connection[Match]:
    """For `Program.matches` (`program_id` is profiles' id)."""
    answer = await context.matching.read(
        ConnectionView[EdgeView[MatchSnapshot]],
        "/internal/matching/programs/{}/matches",
        program_id,
        params={"status": _values(status), "first": page_size(first), "after": after},
    )
    if answer is None:  # not published to matching yet: nothing matched
        return Connection.empty()
    return connection(answer, Match.of)


async def matches_of_person(
    context: CairnContext, person_id: str, status: list[MatchStatus] | None
) -> list[Match]:
    """For `Person.matches` (`person_id` is profiles' id), batched across the request."""
    statuses = tuple(sorted(_values(status) or ()))
    found = await context.loaders.matches_of_person.load((person_id, statuses))
    return [Match.of(m) for m in found]


def _values(status: list[MatchStatus] | None) -> list[str] | None:
    return [s.value for s in status] if status else None


# --- suggestions -----------------------------------------------------------------------------


@strawberry.type
class MatchSuggestion:
    view: strawberry.Private[MentorSuggestion]
    mentor: Person = strawberry.field(resolver=_mentor)
    score: float = strawberry.field(description="The pair's compatibility, 0..1")
    rank_score: float = strawberry.field(
        description="The score damped by requests already waiting for the mentor"
    )
    reasons: list[MatchReason]

    @classmethod
    def of(cls, view: MentorSuggestion) -> "MatchSuggestion":
        return cls(
            view=view, score=view.score, rank_score=view.rank_score, reasons=_reasons(view.reasons)
        )


# --- match runs ------------------------------------------------------------------------------


@strawberry.type
class ProposedPair:
    view: strawberry.Private[PairView]
    mentor: Person = strawberry.field(resolver=_mentor)
    mentees: list[Person] = strawberry.field(resolver=_mentees)
    score: float
    reasons: list[MatchReason]
    cursor: str = strawberry.field(description="Pass as `after` for the pairs that follow this one")

    @classmethod
    def of(cls, view: PairView) -> "ProposedPair":
        return cls(view=view, score=view.score, reasons=_reasons(view.reasons), cursor=view.cursor)


@strawberry.type
class UnmatchedMentee:
    view: strawberry.Private[Left]
    mentee: Person = strawberry.field(resolver=_mentee)
    reason: str

    @classmethod
    def of(cls, view: Left) -> "UnmatchedMentee":
        return cls(view=view, reason=view.reason)


async def _pairs(
    root: "MatchRun",
    info: Info[CairnContext, None],
    first: int | None = DEFAULT_PAGE,
    after: str | None = None,
) -> list[ProposedPair]:
    answer = await info.context.matching.read(
        Items[PairView],
        "/internal/matching/runs/{}/pairs",
        root.view.id,
        params={"first": page_size(first), "after": after},
    )
    return [ProposedPair.of(p) for p in (answer.items if answer else [])]


@strawberry.type
class MatchRun:
    view: strawberry.Private[MatchRunView]
    id: strawberry.ID
    program: Program = strawberry.field(resolver=_program)
    dry_run: bool = strawberry.field(description="A preview: nothing was proposed to anyone")
    status: str = strawberry.field(description="RUNNING, COMPLETED or FAILED")
    matched_mentees: int
    unmatched_mentees: int
    mean_score: float | None
    by_group: JSON | None = strawberry.field(
        description="Per group (department, level, underrepresented): mentees, matchable (an "
        "allowed mentor with an open place exists), matchRate (matched / mentees), "
        "matchableRate (matched / matchable) and meanScore; groups under minimumGroupSize "
        "are left out and only counted. fairness: whether under-represented mentees had the "
        "first claim on first mentors, and how many any assignment can match at once"
    )
    unmatched: list[UnmatchedMentee] = strawberry.field(
        description="Each mentee the run left unmatched, and why"
    )
    error: str | None = strawberry.field(description="FAILED: what went wrong")
    policy: MatchingPolicy | None = strawberry.field(
        description="The policy it ran under: the program's, or a dry run's trial"
    )
    pairs: list[ProposedPair] = strawberry.field(
        resolver=_pairs, description="What the run proposed (or, dry, would have), best first"
    )
    started_at: datetime
    finished_at: datetime | None
    optimality: Optimality | None = strawberry.field(
        description="PROVEN: no assignment under the same rules scores higher; BEST_FOUND: "
        "the best found, optimalityGap bounding how much better the optimum can be"
    )
    optimality_gap: float | None = strawberry.field(
        description="BEST_FOUND: the most the optimum's total score can exceed this run's"
    )

    @classmethod
    def of(cls, view: MatchRunView) -> "MatchRun":
        # Runs keep the policy as they were given it; older runs kept none ({}).
        policy = MatchingPolicySnapshot.model_validate(view.policy) if view.policy else None
        return cls(
            view=view,
            id=strawberry.ID(encode_id("MatchRun", view.id)),
            dry_run=view.dry_run,
            status=view.status.value,
            matched_mentees=view.matched_mentees,
            unmatched_mentees=view.unmatched_mentees,
            mean_score=view.mean_score,
            by_group=JSON(view.by_group) if view.by_group is not None else None,
            unmatched=[UnmatchedMentee.of(u) for u in view.unmatched],
            error=view.error,
            policy=MatchingPolicy.of(policy) if policy else None,
            started_at=view.started_at,
            finished_at=view.finished_at,
            optimality=view.optimality,
            optimality_gap=view.optimality_gap,
        )
