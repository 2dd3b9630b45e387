"""The internal endpoint that shows what this service knows of a person."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from service_auth.dependencies import CallerDep

from roster.replica import Roster


def roster_router(roster: Roster) -> APIRouter:
    router = APIRouter(prefix="/internal/roster", tags=["roster"])

    @router.get("/{person_id}")
    async def known_person(person_id: str, caller: CallerDep, request: Request) -> dict[str, Any]:
        async with request.app.state.process.uow() as uow:
            person = await roster.get(uow, caller.tenant_id, person_id)
        if person is None:
            raise HTTPException(404, f"person {person_id} is not known here")
        # Self-identification is for matching and aggregates only, never shown to anyone.
        return person.model_dump(
            mode="json", by_alias=True, exclude={"underrepresented", "demographics"}
        )

    return router
