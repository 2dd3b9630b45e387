"""The internal endpoint that shows what this service knows of a person."""

from contracts.people import PersonSnapshot
from fastapi import APIRouter
from runtime.refusals import not_found
from runtime.units import UowDep
from service_auth.dependencies import CallerDep

from roster.replica import Roster

# Self-identification is for matching and aggregates only: never shown to anyone.
SENSITIVE = {"underrepresented", "demographics"}


def roster_router(roster: Roster) -> APIRouter:
    router = APIRouter(prefix="/internal/roster", tags=["roster"])

    @router.get(
        "/{person_id}",
        response_model=PersonSnapshot,
        response_model_by_alias=True,
        response_model_exclude=SENSITIVE,
    )
    async def known_person(person_id: str, caller: CallerDep, uow: UowDep) -> PersonSnapshot:
        person = await roster.get(uow, caller.tenant_id, person_id)
        if person is None:
            raise not_found("person")
        return person

    return router
