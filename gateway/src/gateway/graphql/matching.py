"""Matching, named as in api-sketch.graphql (a contract: add, never rename): match runs and
their previews, self-serve suggestions, and a match's decisions.

Resolvers compose matching's internal API; every rule lives there. A mutation answers what the
caller can fix as userErrors (fields under `input`) and then has changed nothing.
`Program.matches` and `Person.matches` are wired by their owners to `matches_of_program` and
`matches_of_person` below."""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.adapters.upstream import UpstreamRejected, UpstreamUnavailable
from gateway.graphql.context import CairnContext, Refused
from gateway.graphql.errors import BadUserInput, Unavailable
from gateway.graphql.ids import decode_id, encode_id
from gateway.graphql.people import DEFAULT_PAGE, MAX_PAGE, PageInfo, Person
from gateway.graphql.programs import (
    MatchingPolicy,
    MatchingPolicyInput,
    Program,
    _loaders,
    input_json,
)
from gateway.graphql.user_errors import UserError, UserErrorCode, from_problem, user_error

Data = dict[str, Any]


async def _read(context: CairnContext, method: str, path: str, **kwargs: Any) -> Any | None:
    try:
        return await context.upstreams.matching.call(method, path, context.caller, **kwargs)
    except UpstreamUnavailable as exc:
        raise Unavailable("matching is unavailable; retry shortly") from exc
    except UpstreamRejected as exc:
        raise BadUserInput(str(exc)) from exc


async def _change(context: CairnContext, method: str, path: str, **kwargs: Any) -> Any | None:
    try:
        return await context.upstreams.matching.call(method, path, context.caller, **kwargs)
    except UpstreamUnavailable as exc:
        raise Unavailable("matching is unavailable; retry shortly") from exc
    except UpstreamRejected as exc:
        raise Refused(exc.problem) from exc


async def _person(context: CairnContext, person_id: str) -> Person:
    found = await context.person_by_id.load(person_id)
    if found is None:  # people are never deleted; a missing one is a fault upstream
        raise RuntimeError(f"person {person_id} of a match is missing")
    return Person(data=found)


async def _program(context: CairnContext, program_id: str) -> Program:
    found = await _loaders(context).program_by_id.load(program_id)
    if found is None:
        raise RuntimeError(f"program {program_id} of a match is missing")
    return Program(data=found)


@strawberry.enum
class MatchStatus(Enum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    ENDED = "ENDED"


@strawberry.type
class MatchReason:
    criterion: str
    contribution: float = strawberry.field(description="This criterion's share of the score")
    explanation: str

    @classmethod
    def of(cls, data: Data) -> "MatchReason":
        return cls(
            criterion=data["criterion"],
            contribution=data["contribution"],
            explanation=data["explanation"],
        )


@strawberry.type
class Match:
    data: strawberry.Private[Data]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Match", self.data["id"]))

    @strawberry.field
    async def program(self, info: Info[CairnContext, None]) -> Program:
        return await _program(info.context, self.data["programId"])

    @strawberry.field(description="PEER programs: the first peer")
    async def mentor(self, info: Info[CairnContext, None]) -> Person:
        return await _person(info.context, self.data["mentorId"])

    @strawberry.field(description="One, or several in GROUP programs; PEER: the other peer")
    async def mentees(self, info: Info[CairnContext, None]) -> list[Person]:
        return [await _person(info.context, p) for p in self.data["menteeIds"]]

    @strawberry.field(description="0..1")
    def score(self) -> float:
        return float(self.data["score"])

    @strawberry.field
    def reasons(self) -> list[MatchReason]:
        return [MatchReason.of(r) for r in self.data["reasons"]]

    @strawberry.field
    def status(self) -> MatchStatus:
        return MatchStatus(self.data["status"])

    @strawberry.field(description="ACCEPTED once every participant has accepted")
    async def accepted_by(self, info: Info[CairnContext, None]) -> list[Person]:
        return [await _person(info.context, p) for p in self.data["acceptedBy"]]

    @strawberry.field
    def proposed_at(self) -> datetime:
        return datetime.fromisoformat(self.data["proposedAt"])

    @strawberry.field(description="PROPOSED: when the proposal lapses without an answer")
    def expires_at(self) -> datetime | None:
        value = self.data.get("expiresAt")
        return datetime.fromisoformat(value) if value else None

    @strawberry.field(description="RUN, SELF_SERVE, or REOFFER (the next best after a lapse)")
    def origin(self) -> str:
        return str(self.data["origin"])

    @strawberry.field(description="Why it was declined or ended, or why it is flagged")
    def reason(self) -> str | None:
        return self.data.get("reason")

    @strawberry.field(description="The org changed under the pair (one now reports to the other)")
    def flagged_for_review(self) -> bool:
        return bool(self.data["flaggedForReview"])

    @strawberry.field(description="Sessions held so far; the first makes the match ACTIVE")
    def sessions_completed(self) -> int:
        return int(self.data.get("sessionsCompleted") or 0)

    @strawberry.field(description="When the latest held session ended")
    def last_session_at(self) -> datetime | None:
        value = self.data.get("lastSessionAt")
        return datetime.fromisoformat(value) if value else None


@strawberry.type
class MatchEdge:
    node: Match
    cursor: str


@strawberry.type
class MatchConnection:
    edges: list[MatchEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class MatchSuggestion:
    data: strawberry.Private[Data]

    @strawberry.field
    async def mentor(self, info: Info[CairnContext, None]) -> Person:
        return await _person(info.context, self.data["mentorId"])

    @strawberry.field(description="The pair's compatibility, 0..1")
    def score(self) -> float:
        return float(self.data["score"])

    @strawberry.field(description="The score damped by requests already waiting for the mentor")
    def rank_score(self) -> float:
        return float(self.data["rankScore"])

    @strawberry.field
    def reasons(self) -> list[MatchReason]:
        return [MatchReason.of(r) for r in self.data["reasons"]]


@strawberry.type
class ProposedPair:
    data: strawberry.Private[Data]

    @strawberry.field
    async def mentor(self, info: Info[CairnContext, None]) -> Person:
        return await _person(info.context, self.data["mentorId"])

    @strawberry.field
    async def mentees(self, info: Info[CairnContext, None]) -> list[Person]:
        return [await _person(info.context, p) for p in self.data["menteeIds"]]

    @strawberry.field
    def score(self) -> float:
        return float(self.data["score"])

    @strawberry.field
    def reasons(self) -> list[MatchReason]:
        return [MatchReason.of(r) for r in self.data["reasons"]]

    @strawberry.field(description="Pass as `after` for the pairs that follow this one")
    def cursor(self) -> str:
        return str(self.data["cursor"])


@strawberry.type
class UnmatchedMentee:
    data: strawberry.Private[Data]

    @strawberry.field
    async def mentee(self, info: Info[CairnContext, None]) -> Person:
        return await _person(info.context, self.data["personId"])

    @strawberry.field
    def reason(self) -> str:
        return str(self.data["reason"])


@strawberry.type
class MatchRun:
    data: strawberry.Private[Data]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("MatchRun", self.data["id"]))

    @strawberry.field
    async def program(self, info: Info[CairnContext, None]) -> Program:
        return await _program(info.context, self.data["programId"])

    @strawberry.field(description="A preview: nothing was proposed to anyone")
    def dry_run(self) -> bool:
        return bool(self.data["dryRun"])

    @strawberry.field(description="RUNNING, COMPLETED or FAILED")
    def status(self) -> str:
        return str(self.data["status"])

    @strawberry.field
    def matched_mentees(self) -> int:
        return int(self.data["matchedMentees"])

    @strawberry.field
    def unmatched_mentees(self) -> int:
        return int(self.data["unmatchedMentees"])

    @strawberry.field
    def mean_score(self) -> float | None:
        return self.data.get("meanScore")

    @strawberry.field(
        description="Match rate and mean score per group (department, level, "
        "underrepresented); groups under minimumGroupSize are left out and only counted"
    )
    def by_group(self) -> JSON | None:
        value = self.data.get("byGroup")
        return JSON(value) if value is not None else None

    @strawberry.field(description="Each mentee the run left unmatched, and why")
    def unmatched(self) -> list[UnmatchedMentee]:
        return [UnmatchedMentee(data=u) for u in self.data.get("unmatched", [])]

    @strawberry.field(description="FAILED: what went wrong")
    def error(self) -> str | None:
        return self.data.get("error")

    @strawberry.field(description="The policy it ran under: the program's, or a dry run's trial")
    def policy(self) -> MatchingPolicy | None:
        value = self.data.get("policy")
        return MatchingPolicy.of(value) if value else None

    @strawberry.field(description="What the run proposed (or, dry, would have), best first")
    async def pairs(
        self,
        info: Info[CairnContext, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> list[ProposedPair]:
        first = DEFAULT_PAGE if first is None else first
        if not 1 <= first <= MAX_PAGE:
            raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
        answer = await _read(
            info.context,
            "GET",
            f"/internal/matching/runs/{self.data['id']}/pairs",
            params={"first": first, "after": after},
        )
        return [ProposedPair(data=p) for p in (answer or {}).get("items", [])]

    @strawberry.field
    def started_at(self) -> datetime:
        return datetime.fromisoformat(self.data["startedAt"])

    @strawberry.field
    def finished_at(self) -> datetime | None:
        value = self.data.get("finishedAt")
        return datetime.fromisoformat(value) if value else None


# --- resolvers for types owned elsewhere -----------------------------------------------------


async def matches_of_program(
    context: CairnContext,
    program_id: str,
    status: list[MatchStatus] | None,
    first: int | None,
    after: str | None,
) -> MatchConnection:
    """For `Program.matches` (`program_id` is profiles' id, as in Program.data["id"])."""
    first = DEFAULT_PAGE if first is None else first
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    answer = await _read(
        context,
        "GET",
        f"/internal/matching/programs/{program_id}/matches",
        params={"status": [s.value for s in status or []] or None, "first": first, "after": after},
    )
    if answer is None:  # not published to matching yet: nothing matched
        return MatchConnection(
            edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), total_count=0
        )
    edges = [MatchEdge(node=Match(data=e["node"]), cursor=e["cursor"]) for e in answer["edges"]]
    return MatchConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=answer["hasNextPage"], end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=answer["totalCount"],
    )


async def matches_of_person(
    context: CairnContext, person_id: str, status: list[MatchStatus] | None
) -> list[Match]:
    """For `Person.matches` (`person_id` is profiles' id, as in Person.data["id"])."""
    answer = await _read(
        context,
        "GET",
        f"/internal/matching/people/{person_id}/matches",
        params={"status": [s.value for s in status or []] or None},
    )
    return [Match(data=m) for m in (answer or {}).get("items", [])]


# --- inputs and payloads ---------------------------------------------------------------------


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


def _not_found(what: str, *path: str) -> list[UserError]:
    return [user_error(f"no such {what}", UserErrorCode.NOT_FOUND, "input", *path)]


async def _match_change(
    context: CairnContext, path: str, body: Data, *, missing: tuple[str, str]
) -> MatchPayload:
    try:
        answer = await _change(context, "POST", path, json=body)
    except Refused as refused:
        return MatchPayload(match=None, user_errors=from_problem(refused.problem))
    if answer is None:
        return MatchPayload(match=None, user_errors=_not_found(*missing))
    return MatchPayload(match=Match(data=answer), user_errors=[])


async def _decide(context: CairnContext, action: str, input: MatchDecisionInput) -> MatchPayload:
    key = decode_id("Match", input.match_id)
    if key is None:
        return MatchPayload(match=None, user_errors=_not_found("match", "matchId"))
    person: str | None = None
    if input.person_id is not None:
        person = decode_id("Person", input.person_id)
        if person is None:
            return MatchPayload(match=None, user_errors=_not_found("person", "personId"))
    return await _match_change(
        context,
        f"/internal/matching/matches/{key}/{action}",
        {"personId": person, "reason": input.reason},
        missing=("match", "matchId"),
    )


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
            return MatchRunPayload(match_run=None, user_errors=_not_found("program", "programId"))
        try:
            answer = await _change(
                info.context,
                "POST",
                f"/internal/matching/programs/{key}/runs",
                json={
                    "dryRun": bool(input.dry_run),
                    **({"policy": input_json(input.policy)} if input.policy else {}),
                },
            )
        except Refused as refused:
            return MatchRunPayload(match_run=None, user_errors=from_problem(refused.problem))
        if answer is None:
            return MatchRunPayload(
                match_run=None,
                user_errors=[
                    user_error(
                        "no such program open for matching (or it was published just now)",
                        UserErrorCode.NOT_FOUND,
                        "input",
                        "programId",
                    )
                ],
            )
        return MatchRunPayload(match_run=MatchRun(data=answer), user_errors=[])

    @strawberry.mutation(description="Self-serve: the mentee asks a mentor (PROPOSED).")
    async def choose_mentor(
        self, info: Info[CairnContext, None], input: ChooseMentorInput
    ) -> MatchPayload:
        program = decode_id("Program", input.program_id)
        if program is None:
            return MatchPayload(match=None, user_errors=_not_found("program", "programId"))
        mentee = decode_id("Person", input.mentee_id)
        if mentee is None:
            return MatchPayload(match=None, user_errors=_not_found("person", "menteeId"))
        mentor = decode_id("Person", input.mentor_id)
        if mentor is None:
            return MatchPayload(match=None, user_errors=_not_found("person", "mentorId"))
        return await _match_change(
            info.context,
            f"/internal/matching/programs/{program}/choices",
            {"menteeId": mentee, "mentorId": mentor},
            missing=("program", "programId"),
        )

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


@strawberry.type
class MatchingQuery:
    @strawberry.field(description="One match of the caller's organization.")
    async def match(self, info: Info[CairnContext, None], id: strawberry.ID) -> Match | None:
        key = decode_id("Match", id)
        found = (
            await _read(info.context, "GET", f"/internal/matching/matches/{key}") if key else None
        )
        return Match(data=found) if found else None

    @strawberry.field(description="A match run, while it runs and after.")
    async def match_run(self, info: Info[CairnContext, None], id: strawberry.ID) -> MatchRun | None:
        key = decode_id("MatchRun", id)
        found = await _read(info.context, "GET", f"/internal/matching/runs/{key}") if key else None
        return MatchRun(data=found) if found else None

    @strawberry.field(
        description="A ranked shortlist of mentors for the mentee, with reasons; popular "
        "mentors are damped by the requests already waiting for them."
    )
    async def suggest_mentors(
        self,
        info: Info[CairnContext, None],
        program_id: strawberry.ID,
        mentee_id: strawberry.ID,
        first: int | None = 5,
    ) -> list[MatchSuggestion]:
        program = decode_id("Program", program_id)
        mentee = decode_id("Person", mentee_id)
        if program is None or mentee is None:
            return []
        answer = await _read(
            info.context,
            "GET",
            f"/internal/matching/programs/{program}/suggestions",
            params={"menteeId": mentee, "first": 5 if first is None else first},
        )
        return [MatchSuggestion(data=s) for s in (answer or {}).get("items", [])]
