"""Matching's queries: one match, one match run, and mentors suggested to a mentee."""

import strawberry
from contracts.internal.matching import MatchRunView, MentorSuggestion
from contracts.matches import MatchSnapshot
from contracts.pages import Items
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.ids import decode_id
from gateway.graphql.matching.types import Match, MatchRun, MatchSuggestion


@strawberry.type
class MatchingQuery:
    @strawberry.field(description="One match of the caller's organization.")
    async def match(self, info: Info[CairnContext, None], id: strawberry.ID) -> Match | None:
        key = decode_id("Match", id)
        if key is None:
            return None
        found = await info.context.matching.read(
            MatchSnapshot, "/internal/matching/matches/{}", key
        )
        return Match.of(found) if found else None

    @strawberry.field(description="A match run, while it runs and after.")
    async def match_run(self, info: Info[CairnContext, None], id: strawberry.ID) -> MatchRun | None:
        key = decode_id("MatchRun", id)
        if key is None:
            return None
        found = await info.context.matching.read(MatchRunView, "/internal/matching/runs/{}", key)
        return MatchRun.of(found) if found else None

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
        answer = await info.context.matching.read(
            Items[MentorSuggestion],
            "/internal/matching/programs/{}/suggestions",
            program,
            params={"menteeId": mentee, "first": 5 if first is None else first},
        )
        return [MatchSuggestion.of(s) for s in (answer.items if answer else [])]
