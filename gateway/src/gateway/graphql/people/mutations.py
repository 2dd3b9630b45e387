"""Self-service: a person's profile and their opt-in self-identification."""

from typing import Any

import strawberry
from contracts.people import PersonView
from contracts.problems import Problem
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.ids import decode_id
from gateway.graphql.people.types import Person, remembered
from gateway.graphql.upstream import request_body
from gateway.graphql.user_errors import UserError, from_problem, not_found


@strawberry.input(description="Absent fields stay as they are; null clears one.")
class UpdateProfileInput:
    person_id: strawberry.ID
    skills: list[str] | None = strawberry.UNSET
    interests: list[str] | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    bio: str | None = strawberry.UNSET


@strawberry.input(
    description="Opt-in self-identification, used only for fair matching and aggregate "
    "reporting; never shown by this API. consented: false withdraws and clears it."
)
class UpdateSelfIdentificationInput:
    person_id: strawberry.ID
    consented: bool
    underrepresented: bool | None = None
    demographics: JSON | None = None


@strawberry.type
class PersonPayload:
    person: Person | None
    user_errors: list[UserError]


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="A person's skills, interests, languages and bio.")
    async def update_profile(
        self, info: Info[CairnContext, None], input: UpdateProfileInput
    ) -> PersonPayload:
        body = request_body(input, skip=("person_id",))
        return await _change_person(
            info.context, input.person_id, "PATCH", "/internal/people/{}/profile", body
        )

    @strawberry.mutation(description="Record or withdraw a person's self-identification.")
    async def update_self_identification(
        self, info: Info[CairnContext, None], input: UpdateSelfIdentificationInput
    ) -> PersonPayload:
        body = request_body(input, skip=("person_id",))
        return await _change_person(
            info.context, input.person_id, "PUT", "/internal/people/{}/self-identification", body
        )


async def _change_person(
    context: CairnContext, person_id: strawberry.ID, method: str, template: str, body: Any
) -> PersonPayload:
    key = decode_id("Person", person_id)
    answer = (
        await context.profiles.change(PersonView, method, template, key, json=body)
        if key is not None
        else None
    )
    if isinstance(answer, Problem):
        return PersonPayload(person=None, user_errors=from_problem(answer))
    if answer is None:
        return PersonPayload(person=None, user_errors=not_found("person", "personId"))
    return PersonPayload(person=remembered(context, answer), user_errors=[])
