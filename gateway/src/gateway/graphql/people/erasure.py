"""Forgetting a person (tenant admins only, `gateway.access.policy`): `forgetPerson` does the
gateway's part, then asks profiles, which anonymises the person and tells every service;
`personErasure` shows which services have confirmed."""

from datetime import datetime

import strawberry
from contracts.people import ERASING_SERVICES, PersonView
from contracts.problems import Problem
from strawberry.types import Info

from gateway.erasure.forgetting import ErasureStatus, erasure_status, forget_in_gateway
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import decode_id, encode_id
from gateway.graphql.user_errors import UserError, from_problem, not_found


@strawberry.type(description="A request to forget a person, and who has done it so far")
class PersonErasure:
    request_id: strawberry.ID
    person_id: strawberry.ID
    requested_at: datetime
    confirmed_by: list[str] = strawberry.field(
        description="The services that have forgotten the person (profiles, matching, …)"
    )
    waiting_for: list[str] = strawberry.field(description="The services yet to confirm")
    complete: bool = strawberry.field(description="Every service has forgotten the person")

    @classmethod
    def of(cls, status: ErasureStatus) -> "PersonErasure":
        waiting = [s for s in ERASING_SERVICES if s not in status.confirmed_by]
        return cls(
            request_id=strawberry.ID(status.request_id),
            person_id=strawberry.ID(encode_id("Person", status.person_id)),
            requested_at=status.requested_at,
            confirmed_by=list(status.confirmed_by),
            waiting_for=waiting,
            complete=not waiting,
        )


@strawberry.input
class ForgetPersonInput:
    person_id: strawberry.ID


@strawberry.type
class ForgetPersonPayload:
    request_id: strawberry.ID | None
    erasure: PersonErasure | None
    user_errors: list[UserError]


def _refused(errors: list[UserError]) -> ForgetPersonPayload:
    return ForgetPersonPayload(request_id=None, erasure=None, user_errors=errors)


@strawberry.type
class ErasureMutation:
    @strawberry.mutation(
        description="Forget a person for good: their names, email, HRIS ids and what they "
        "wrote are anonymised or deleted in every service; matches, sessions and answers stay "
        "as numbers under an id that names nobody. Irreversible. Tenant admins only."
    )
    async def forget_person(
        self, info: Info[CairnContext, None], input: ForgetPersonInput
    ) -> ForgetPersonPayload:
        context = info.context
        key = decode_id("Person", input.person_id)
        person = await context.loaders.person_by_id.load(key) if key else None
        if key is None or person is None:
            return _refused(not_found("person", "personId"))
        tenant_id = context.caller.tenant_id
        # The gateway's part first: if profiles fails, the person is still findable and the
        # admin asks again.
        status = await context.in_gateway_db(lambda uow: forget_in_gateway(uow, tenant_id, person))
        answer = await context.profiles.change(
            PersonView, "POST", "/internal/people/{}/erasure", key
        )
        if isinstance(answer, Problem):
            return _refused(from_problem(answer))
        if answer is None:
            return _refused(not_found("person", "personId"))
        return ForgetPersonPayload(
            request_id=strawberry.ID(status.request_id),
            erasure=PersonErasure.of(status),
            user_errors=[],
        )


@strawberry.type
class ErasureQuery:
    @strawberry.field(description="The request to forget a person, if one was made.")
    async def person_erasure(
        self, info: Info[CairnContext, None], person_id: strawberry.ID
    ) -> PersonErasure | None:
        context = info.context
        key = decode_id("Person", person_id)
        if key is None:
            return None
        tenant_id = context.caller.tenant_id
        status = await context.in_gateway_db(lambda uow: erasure_status(uow, tenant_id, key))
        return PersonErasure.of(status) if status else None
