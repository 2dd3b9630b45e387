"""GET /internal/people…: what the gateway resolves GraphQL people from."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from service_auth.dependencies import CallerDep

from profiles.adapters.repository import InvalidCursor, PeopleRepository
from profiles.entrypoints.schemas import (
    PeopleBatch,
    PeopleBatchRequest,
    PeoplePage,
    PersonEdge,
    PersonPublic,
)

router = APIRouter(prefix="/internal/people", tags=["people"])


@router.get("", response_model=PeoplePage, response_model_by_alias=True)
async def list_people(
    caller: CallerDep,
    request: Request,
    search: Annotated[str | None, Query(max_length=200)] = None,
    department: Annotated[str | None, Query(max_length=512)] = None,
    manager_id: Annotated[str | None, Query(alias="managerId", max_length=64)] = None,
    first: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=1024)] = None,
) -> PeoplePage:
    async with request.app.state.process.uow() as uow:
        people = PeopleRepository(uow.session, caller.tenant_id)
        manager_external_id = None
        if manager_id is not None:
            manager = await people.get(manager_id)
            if manager is None:
                return PeoplePage(edges=[], total_count=0, has_next_page=False)
            manager_external_id = manager.external_id
        try:
            page = await people.page(
                search=search,
                department=department,
                first=first,
                after=after,
                manager_external_id=manager_external_id,
            )
        except InvalidCursor as exc:
            raise HTTPException(422, f"after: {exc}") from None
    return PeoplePage(
        edges=[
            PersonEdge(cursor=c, node=PersonPublic.of(p))
            for p, c in zip(page.items, page.cursors, strict=True)
        ],
        total_count=page.total_count,
        has_next_page=page.has_more,
    )


@router.post("/batch", response_model=PeopleBatch, response_model_by_alias=True)
async def batch_people(
    caller: CallerDep, request: Request, body: PeopleBatchRequest
) -> PeopleBatch:
    """Many people by id or external id in one call (the gateway's DataLoaders)."""
    async with request.app.state.process.uow() as uow:
        people = PeopleRepository(uow.session, caller.tenant_id)
        rows = await people.many(body.ids) + await people.by_external_ids(body.external_ids)
    return PeopleBatch(items=[PersonPublic.of(p) for p in rows])


@router.get("/{person_id}", response_model=PersonPublic, response_model_by_alias=True)
async def get_person(person_id: str, caller: CallerDep, request: Request) -> PersonPublic:
    async with request.app.state.process.uow() as uow:
        row = await PeopleRepository(uow.session, caller.tenant_id).get(person_id)
    if row is None:
        raise HTTPException(404, f"person {person_id} not found")
    return PersonPublic.of(row)
