"""/internal/people… and /internal/org-changes…: what the gateway resolves GraphQL people,
the org graph and the HRIS's refused changes from."""

from typing import Annotated

from contracts.internal.people import (
    ManagerChain,
    OrgChangeRejectionView,
    PersonChangeRecord,
    PersonDirectReports,
    PersonHistory,
    PersonManagers,
    PersonReports,
    ReportEdge,
)
from contracts.pages import DEFAULT_PAGE, Connection, Edge, Items
from contracts.people import PersonView
from fastapi import APIRouter, Query
from persistence.pages import Page
from runtime.pages import After, First, decode_cursor, encode_cursor
from runtime.refusals import not_found
from runtime.units import UowDep
from service_auth.dependencies import CallerDep
from service_auth.tokens import Caller

from profiles.adapters.repository import PeopleRepository, Rejections
from profiles.adapters.tables import OrgChangeRejection, Person
from profiles.entrypoints.schemas import (
    DirectReportsBatch,
    PeopleBatchRequest,
    PersonIdsBatch,
    ProfileEdit,
    ReportsBatch,
    SelfIdentificationRequest,
)
from profiles.entrypoints.views import change_record, person_view, rejection_view
from profiles.service_layer.erasure import erase_person
from profiles.service_layer.org_chart import (
    Report,
    history_of,
    history_of_many,
    managers_of,
    managers_of_many,
    reports_of,
    reports_of_many,
)
from profiles.service_layer.profile_edits import edit_profile, record_self_identification

router = APIRouter(prefix="/internal", tags=["people"])


@router.get("/people")
async def list_people(
    caller: CallerDep,
    uow: UowDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    department: Annotated[str | None, Query(max_length=512)] = None,
    manager_id: Annotated[str | None, Query(alias="managerId", max_length=64)] = None,
    first: First = DEFAULT_PAGE,
    after: After = None,
) -> Connection[Edge[PersonView]]:
    """By display name, then id."""
    people = PeopleRepository(uow.session, caller.tenant_id)
    manager_external_id = None
    if manager_id is not None:
        manager = await people.get(manager_id)
        if manager is None:
            return Connection(edges=[], total_count=0, has_next_page=False)
        manager_external_id = manager.external_id
    page = await people.page(
        search=search,
        department=department,
        manager_external_id=manager_external_id,
        first=first,
        after=decode_cursor(after, str, str) if after else None,
    )
    return Connection(
        edges=[_person_edge(p) for p in page.items],
        total_count=page.total_count,
        has_next_page=page.has_more,
    )


@router.post("/people/batch")
async def batch_people(
    caller: CallerDep, uow: UowDep, body: PeopleBatchRequest
) -> Items[PersonView]:
    """Many people by id or external id in one call (the gateway's DataLoaders)."""
    people = PeopleRepository(uow.session, caller.tenant_id)
    rows = (
        await people.many(body.ids)
        + await people.by_external_ids(body.external_ids)
        + await people.by_emails(body.emails)
    )
    return Items(items=[person_view(p) for p in rows])


@router.post("/people/history/batch")
async def batch_history(
    caller: CallerDep, uow: UowDep, body: PersonIdsBatch
) -> Items[PersonHistory]:
    """Each person's history (as `/people/{id}/history`), for many people in one call."""
    found = await history_of_many(uow.session, caller.tenant_id, body.person_ids)
    return Items(
        items=[
            PersonHistory(person_id=person_id, items=[change_record(c) for c in changes])
            for person_id, changes in found.items()
        ]
    )


@router.post("/people/managers/batch")
async def batch_managers(
    caller: CallerDep, uow: UowDep, body: PersonIdsBatch
) -> Items[PersonManagers]:
    """Each person's chain of managers (as `/people/{id}/managers`), in one call."""
    found = await managers_of_many(uow.session, caller.tenant_id, body.person_ids)
    return Items(
        items=[
            PersonManagers(
                person_id=person_id,
                items=[person_view(p) for p in chain.managers],
                pending_manager_external_id=chain.pending_manager_external_id,
            )
            for person_id, chain in found.items()
        ]
    )


@router.post("/people/reports/batch")
async def batch_reports(caller: CallerDep, uow: UowDep, body: ReportsBatch) -> Items[PersonReports]:
    """Each person's first page of reports (as `/people/{id}/reports`), in one call."""
    found = await reports_of_many(
        uow.session, caller.tenant_id, body.person_ids, recursive=body.recursive, first=body.first
    )
    return Items(
        items=[
            PersonReports(
                person_id=person_id,
                edges=_report_edges(page),
                total_count=page.total_count,
                has_next_page=page.has_more,
            )
            for person_id, page in found.items()
        ]
    )


@router.post("/people/direct-reports/batch")
async def batch_direct_reports(
    caller: CallerDep, uow: UowDep, body: DirectReportsBatch
) -> Items[PersonDirectReports]:
    """Each person's first page of direct reports as `/people?managerId=` lists them (by name,
    with its cursors), in one call."""
    found = await reports_of_many(
        uow.session,
        caller.tenant_id,
        body.person_ids,
        recursive=False,
        first=body.first,
        direct_by_name=True,
    )
    return Items(
        items=[
            PersonDirectReports(
                person_id=person_id,
                edges=[_person_edge(r.person) for r in page.items],
                total_count=page.total_count,
                has_next_page=page.has_more,
            )
            for person_id, page in found.items()
        ]
    )


@router.get("/people/{person_id}")
async def get_person(person_id: str, caller: CallerDep, uow: UowDep) -> PersonView:
    row = await PeopleRepository(uow.session, caller.tenant_id).get(person_id)
    if row is None:
        raise not_found("person")
    return person_view(row)


@router.get("/people/{person_id}/history")
async def person_history(
    person_id: str, caller: CallerDep, uow: UowDep
) -> Items[PersonChangeRecord]:
    """Every change of title, level, department and manager, oldest first."""
    changes = await history_of(uow.session, caller.tenant_id, person_id)
    return Items(items=[change_record(c) for c in changes])


@router.get("/people/{person_id}/managers")
async def person_managers(person_id: str, caller: CallerDep, uow: UowDep) -> ManagerChain:
    """The chain of managers to the top, nearest first."""
    chain = await managers_of(uow.session, caller.tenant_id, person_id)
    return ManagerChain(
        items=[person_view(p) for p in chain.managers],
        pending_manager_external_id=chain.pending_manager_external_id,
    )


@router.get("/people/{person_id}/reports")
async def person_reports(
    person_id: str,
    caller: CallerDep,
    uow: UowDep,
    recursive: bool = False,
    first: First = DEFAULT_PAGE,
    after: After = None,
) -> Connection[ReportEdge]:
    """Direct reports, or (recursive) everyone below, by depth then name."""
    page = await reports_of(
        uow.session,
        caller.tenant_id,
        person_id,
        recursive=recursive,
        first=first,
        after=decode_cursor(after, int, str, str) if after else None,
    )
    return Connection(
        edges=_report_edges(page), total_count=page.total_count, has_next_page=page.has_more
    )


def _report_edges(page: Page[Report]) -> list[ReportEdge]:
    return [
        ReportEdge(
            cursor=encode_cursor(r.depth, r.person.display_name, r.person.id),
            depth=r.depth,
            node=person_view(r.person),
        )
        for r in page.items
    ]


@router.patch("/people/{person_id}/profile")
async def patch_profile(
    person_id: str, caller: CallerDep, uow: UowDep, body: ProfileEdit
) -> PersonView:
    """Skills, interests, languages, bio: absent stays, null clears."""
    _may_act_for(caller, person_id)
    return person_view(await edit_profile(uow, caller.tenant_id, person_id, body.values()))


@router.put("/people/{person_id}/self-identification")
async def put_self_identification(
    person_id: str, caller: CallerDep, uow: UowDep, body: SelfIdentificationRequest
) -> PersonView:
    """Stored for fair matching and aggregates; the answer is the person without it (no
    view has a field for self-identification)."""
    _may_act_for(caller, person_id)
    row = await record_self_identification(
        uow,
        caller.tenant_id,
        person_id,
        consented=body.consented,
        underrepresented=body.underrepresented,
        demographics=body.demographics,
    )
    return person_view(row)


@router.post("/people/{person_id}/erasure")
async def erase(person_id: str, caller: CallerDep, uow: UowDep) -> PersonView:
    """Forgets the person for good (tenant admins only; to anyone else there is no such
    person): the answer is the anonymised person; asking again changes nothing."""
    if not caller.is_tenant_admin:
        raise not_found("person")
    return person_view(await erase_person(uow, caller.tenant_id, person_id))


@router.get("/org-changes/rejections")
async def org_change_rejections(
    caller: CallerDep, uow: UowDep, first: First = DEFAULT_PAGE, after: After = None
) -> Connection[Edge[OrgChangeRejectionView]]:
    """What the HRIS sent that was refused, whole or in part, newest first."""
    (last_id,) = decode_cursor(after, int) if after else (None,)
    page = await Rejections(uow.session, caller.tenant_id).page(first=first, after=last_id)
    return Connection(
        edges=[_rejection_edge(r) for r in page.items],
        total_count=page.total_count,
        has_next_page=page.has_more,
    )


def _person_edge(row: Person) -> Edge[PersonView]:
    return Edge(cursor=encode_cursor(row.display_name, row.id), node=person_view(row))


def _rejection_edge(row: OrgChangeRejection) -> Edge[OrgChangeRejectionView]:
    assert row.id is not None  # a stored rejection has its serial id
    return Edge(cursor=encode_cursor(row.id), node=rejection_view(row))


def _may_act_for(caller: Caller, person_id: str) -> None:
    """An end user changes only their own profile; anyone else's does not exist for them."""
    if caller.principal.startswith("person:") and caller.principal != f"person:{person_id}":
        raise not_found("person")
