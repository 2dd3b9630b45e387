"""Matching's changes: match runs (and dry runs), a mentee's own choice, and a match's
decisions. Resolvers compose matching's internal API; every rule lives there. A mutation
answers what the caller can fix as userErrors (fields under `input`) and then has changed
nothing."""

import strawberry
from contracts.internal.matching import MatchRunView
from contracts.matches import MatchSnapshot
from contracts.problems import Problem
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import Code
from gateway.graphql.ids import decode_id
from gateway.graphql.matching.types import Match, MatchRun
from gateway.graphql.programs.mutations import MatchingPolicyInput
from gateway.graphql.upstream import request_body
from gateway.graphql.user_errors import INPUT, UserError, from_problem, not_found, user_error


@strawberry.input
class RunMatchingInput:
    program_id: strawberry.ID
    dry_run: bool | None = False
    policy: MatchingPolicyInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Dry runs only: try this policy instead of the program's (nothing is "
        "saved), to compare policies before publishing one",
    )


@strawberry.input
class ChooseMentorInput:
    program_id: strawberry.ID
    mentee_id: strawberry.ID
    mentor_id: strawberry.ID


@strawberry.input(
    description="An integrator key names the participant who decides (personId); endMatch "
    "without one is an admin's decision."
)
class MatchDecisionInput:
    match_id: strawberry.ID
    person_id: strawberry.ID | None = None
    reason: str | None = None


@strawberry.type
class MatchRunPayload:
    match_run: MatchRun | None
    user_errors: list[UserError]


@strawberry.type
class MatchPayload:
    match: Match | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, answer: MatchSnapshot | Problem | None, *, missing: str) -> "MatchPayload":
        """`missing`: the input's id field that named nothing when the answer is None."""
        if isinstance(answer, Problem):
            return cls(match=None, user_errors=from_problem(answer))
        if answer is None:
            return cls(match=None, user_errors=not_found(missing.removesuffix("Id"), missing))
        return cls(match=Match.of(answer), user_errors=[])


@strawberry.type
class MatchingMutation:
    @strawberry.mutation(
        description="Asynchronous: answers a RUNNING run at once; poll matchRun. dryRun: a "
        "preview that proposes nothing (compare policies before anyone is asked)."
    )
    async def run_matching(
        self, info: Info[CairnContext, None], input: RunMatchingInput
    ) -> MatchRunPayload:
        key = decode_id("Program", input.program_id)
        if key is None:
            return MatchRunPayload(match_run=None, user_errors=not_found("program", "programId"))
        body = {
            "dryRun": bool(input.dry_run),
            **({"policy": request_body(input.policy)} if input.policy else {}),
        }
        answer = await info.context.matching.change(
            MatchRunView, "POST", "/internal/matching/programs/{}/runs", key, json=body
        )
        if isinstance(answer, Problem):
            return MatchRunPayload(match_run=None, user_errors=from_problem(answer))
        if answer is None:
            return MatchRunPayload(
                match_run=None,
                user_errors=[
                    user_error(
                        "no such program open for matching (or it was published just now)",
                        Code.NOT_FOUND,
                        INPUT,
                        "programId",
                    )
                ],
            )
        return MatchRunPayload(match_run=MatchRun.of(answer), user_errors=[])

    @strawberry.mutation(description="Self-serve: the mentee asks a mentor (PROPOSED).")
    async def choose_mentor(
        self, info: Info[CairnContext, None], input: ChooseMentorInput
    ) -> MatchPayload:
        program = decode_id("Program", input.program_id)
        if program is None:
            return MatchPayload(match=None, user_errors=not_found("program", "programId"))
        mentee = decode_id("Person", input.mentee_id)
        if mentee is None:
            return MatchPayload(match=None, user_errors=not_found("person", "menteeId"))
        mentor = decode_id("Person", input.mentor_id)
        if mentor is None:
            return MatchPayload(match=None, user_errors=not_found("person", "mentorId"))
        answer = await info.context.matching.change(
            MatchSnapshot,
            "POST",
            "/internal/matching/programs/{}/choices",
            program,
            json={"menteeId": mentee, "mentorId": mentor},
        )
        return MatchPayload.of(answer, missing="programId")

    @strawberry.mutation(description="A participant accepts; ACCEPTED once both have.")
    async def accept_match(
        self, info: Info[CairnContext, None], input: MatchDecisionInput
    ) -> MatchPayload:
        return await _decide(info.context, "accept", input)

    @strawberry.mutation(description="A participant declines; the pair is never proposed again.")
    async def decline_match(
        self, info: Info[CairnContext, None], input: MatchDecisionInput
    ) -> MatchPayload:
        return await _decide(info.context, "decline", input)

    @strawberry.mutation(description="An open match ends, with a reason (required).")
    async def end_match(
        self, info: Info[CairnContext, None], input: MatchDecisionInput
    ) -> MatchPayload:
        return await _decide(info.context, "end", input)


async def _decide(context: CairnContext, action: str, input: MatchDecisionInput) -> MatchPayload:
    key = decode_id("Match", input.match_id)
    if key is None:
        return MatchPayload(match=None, user_errors=not_found("match", "matchId"))
    person: str | None = None
    if input.person_id is not None:
        person = decode_id("Person", input.person_id)
        if person is None:
            return MatchPayload(match=None, user_errors=not_found("person", "personId"))
    answer = await context.matching.change(
        MatchSnapshot,
        "POST",
        "/internal/matching/matches/{}/{}",
        key,
        action,
        json={"personId": person, "reason": input.reason},
    )
    return MatchPayload.of(answer, missing="matchId")
