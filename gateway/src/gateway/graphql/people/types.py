"""People and the org graph, named as in api-sketch.graphql (a contract: add, never rename).

Each type is built from the contract model profiles answered with (`PersonView`, …), which it
keeps for its relations. `Person.matches` and `Person.enrollments` are served by the areas
that own those types, imported when first resolved (their types refer back to Person)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from contracts.internal.people import OrgChangeRejectionView, PersonChangeRecord
from contracts.internal.people import ReportEdge as ReportEdgeView
from contracts.pages import Connection as ConnectionView
from contracts.pages import Edge as EdgeView
from contracts.people import PersonView
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.enums import MatchStatus, PersonStatus
from gateway.graphql.ids import encode_id
from gateway.graphql.relay import (
    DEFAULT_PAGE,
    Connection,
    PageInfo,
    connection,
    page_info,
    page_size,
)

if TYPE_CHECKING:
    from gateway.graphql.feedback.types import FeedbackRequest
    from gateway.graphql.matching.types import Match
    from gateway.graphql.programs.types import Enrollment
    from gateway.graphql.sessions.types import Session, WorkingHours


@strawberry.type(description="One move in the org, as the HRIS dated it")
class PersonChange:
    field: str = strawberry.field(description="title, level, department or managerExternalId")
    from_: str | None = strawberry.field(name="from", description="Null: the first value")
    to: str | None
    effective_at: datetime
    source_version: int
    recorded_at: datetime

    @classmethod
    def of(cls, record: PersonChangeRecord) -> "PersonChange":
        return cls(
            field=record.field,
            from_=_text(record.from_value),
            to=_text(record.to_value),
            effective_at=record.effective_at,
            source_version=record.source_version,
            recorded_at=record.recorded_at,
        )


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)


@strawberry.type
class Person:
    view: strawberry.Private[PersonView]
    id: strawberry.ID
    external_id: str | None = strawberry.field(description="The HRIS employee id")
    email: str
    display_name: str
    given_name: str | None
    family_name: str | None
    title: str | None
    department: str | None
    location: str | None
    time_zone: str = strawberry.field(description="IANA time zone")
    level: int | None = strawberry.field(description="Seniority band; higher is more senior")
    status: PersonStatus
    skills: list[str]
    interests: list[str]
    languages: list[str]
    bio: str | None = strawberry.field(description="The person's own words about themselves")
    user_name: str | None = strawberry.field(
        description="The login name identity providers know the person by"
    )

    @classmethod
    def of(cls, view: PersonView) -> "Person":
        return cls(
            view=view,
            id=strawberry.ID(encode_id("Person", view.id)),
            external_id=view.external_id,
            email=view.email,
            display_name=view.display_name,
            given_name=view.given_name,
            family_name=view.family_name,
            title=view.title,
            department=view.department,
            location=view.location,
            time_zone=view.time_zone,
            level=view.level,
            status=view.status,
            skills=list(view.skills),
            interests=list(view.interests),
            languages=list(view.languages),
            bio=view.bio,
            user_name=view.user_name,
        )

    @strawberry.field(
        description="Every change of title, level, department and manager, oldest first "
        "(by when it took effect in the HRIS)"
    )
    async def history(self, info: Info[CairnContext, None]) -> list[PersonChange]:
        found = await info.context.loaders.history_of_person.load(self.view.id)
        return [PersonChange.of(record) for record in found]

    @strawberry.field(description="The chain of managers up to the top, nearest first")
    async def managers(self, info: Info[CairnContext, None]) -> list["Person"]:
        chain = await info.context.loaders.managers_of_person.load(self.view.id)
        return [Person.of(p) for p in (chain.items if chain else [])]

    @strawberry.field(
        description="Everyone below this person (or, recursive: false, their direct reports), "
        "by depth, then name"
    )
    async def reports(
        self,
        info: Info[CairnContext, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
        recursive: bool = True,
    ) -> "ReportConnection":
        size = page_size(first)
        answer: ConnectionView[ReportEdgeView] | None
        if after is None:  # the first page: one call for every person of the list
            answer = await info.context.loaders.reports_of_person.load(
                (self.view.id, size, recursive)
            )
        else:
            answer = await info.context.profiles.read(
                ConnectionView[ReportEdgeView],
                "/internal/people/{}/reports",
                self.view.id,
                params={"first": size, "after": after, "recursive": str(recursive).lower()},
            )
        if answer is None:  # no longer visible to this caller: nobody below
            return ReportConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None), total_count=0
            )
        return ReportConnection(
            edges=[
                ReportEdge(node=remembered(info.context, e.node), cursor=e.cursor, depth=e.depth)
                for e in answer.edges
            ],
            page_info=page_info(answer),
            total_count=answer.total_count,
        )

    @strawberry.field
    async def matches(
        self, info: Info[CairnContext, None], status: list[MatchStatus] | None = None
    ) -> list[Annotated["Match", strawberry.lazy("gateway.graphql.matching.types")]]:
        from gateway.graphql.matching.types import matches_of_person  # refers back to Person

        return await matches_of_person(info.context, self.view.id, status)

    @strawberry.field
    async def enrollments(
        self, info: Info[CairnContext, None]
    ) -> list[Annotated["Enrollment", strawberry.lazy("gateway.graphql.programs.types")]]:
        from gateway.graphql.programs.types import enrollments_of_person  # refers back to Person

        return await enrollments_of_person(info.context, self.view.id)

    @strawberry.field(
        description="The person's sessions starting in [from, to) (as host or attendee), by "
        "start, the first `first`"
    )
    async def sessions(
        self,
        info: Info[CairnContext, None],
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        first: int | None = DEFAULT_PAGE,
    ) -> list[Annotated["Session", strawberry.lazy("gateway.graphql.sessions.types")]]:
        from gateway.graphql.sessions.types import sessions_of_person  # refers back to Person

        return await sessions_of_person(info.context, self.view.id, from_, to, first)

    @strawberry.field(description="When the person may be booked (sessions are planned inside)")
    async def working_hours(
        self, info: Info[CairnContext, None]
    ) -> Annotated["WorkingHours", strawberry.lazy("gateway.graphql.sessions.types")] | None:
        from gateway.graphql.sessions.types import working_hours_of  # refers back to Person

        return await working_hours_of(info.context, self.view.id)

    @strawberry.field(
        description="What the person is asked to answer, newest due first; status: PENDING, "
        "ANSWERED, EXPIRED or WITHDRAWN (none: all)"
    )
    async def feedback_requests(
        self, info: Info[CairnContext, None], status: str | None = None
    ) -> list[Annotated["FeedbackRequest", strawberry.lazy("gateway.graphql.feedback.types")]]:
        from gateway.graphql.feedback.types import feedback_requests_of_person  # refers back

        return await feedback_requests_of_person(info.context, self.view.id, status)

    @strawberry.field
    async def manager(self, info: Info[CairnContext, None]) -> "Person | None":
        if not self.view.manager_external_id:
            return None
        found = await info.context.loaders.person_by_external_id.load(self.view.manager_external_id)
        return Person.of(found) if found else None

    @strawberry.field
    async def direct_reports(
        self,
        info: Info[CairnContext, None],
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection["Person"]:
        if after is not None:
            return await people_page(info.context, first=first, after=after, managerId=self.view.id)
        # The first page: one call for every person of the list.
        answer = await info.context.loaders.direct_reports_of_person.load(
            (self.view.id, page_size(first))
        )
        if answer is None:
            return Connection.empty()
        return connection(answer, lambda view: remembered(info.context, view))


def remembered(context: CairnContext, view: PersonView) -> Person:
    """A person an answer carried, kept for the request's later loads."""
    return Person.of(context.loaders.remember_person(view))


async def person_of(context: CairnContext, person_id: str) -> Person:
    """A person another object names (people are never deleted: a missing one is a fault)."""
    found = await context.loaders.person_by_id.load(person_id)
    if found is None:
        raise RuntimeError(f"person {person_id} is missing")
    return Person.of(found)


async def people_of(context: CairnContext, person_ids: list[str]) -> list[Person]:
    """The people another object names, in its order, loaded together."""
    found = await context.loaders.person_by_id.load_many(person_ids)
    missing = [key for key, person in zip(person_ids, found, strict=True) if person is None]
    if missing:
        raise RuntimeError(f"people {', '.join(missing)} are missing")
    return [Person.of(person) for person in found if person is not None]


async def people_page(
    context: CairnContext, *, first: int | None, after: str | None, **filters: Any
) -> Connection[Person]:
    answer = await context.profiles.read(
        ConnectionView[EdgeView[PersonView]],
        "/internal/people",
        params={"first": page_size(first), "after": after, **filters},
    )
    if answer is None:
        return Connection.empty()
    return connection(answer, lambda view: remembered(context, view))


@strawberry.type
class ReportEdge:
    node: Person
    cursor: str
    depth: int = strawberry.field(description="1 for a direct report, 2 for theirs, …")


@strawberry.type
class ReportConnection:
    edges: list[ReportEdge]
    page_info: PageInfo
    total_count: int


async def _rejection_person(
    root: "OrgChangeRejection", info: Info[CairnContext, None]
) -> Person | None:
    person_id = root.view.person_id
    found = await info.context.loaders.person_by_id.load(person_id) if person_id else None
    return Person.of(found) if found else None


@strawberry.type(description="A change the HRIS sent that Cairn refused, whole or in part")
class OrgChangeRejection:
    view: strawberry.Private[OrgChangeRejectionView]
    id: strawberry.ID
    change_id: str = strawberry.field(description="The change's id in the HRIS")
    type: str = strawberry.field(description="employee.hired, employee.updated, …")
    external_id: str = strawberry.field(description="The HRIS employee id the change was about")
    person: Person | None = strawberry.field(resolver=_rejection_person)
    source_version: int
    effective_at: datetime
    field: str | None = strawberry.field(
        description="The refused part (e.g. managerExternalId); null: all of it"
    )
    reason: str
    rejected_at: datetime

    @classmethod
    def of(cls, view: OrgChangeRejectionView) -> "OrgChangeRejection":
        return cls(
            view=view,
            id=strawberry.ID(encode_id("OrgChangeRejection", view.id)),
            change_id=view.change_id,
            type=view.change_type,
            external_id=view.external_id,
            source_version=view.source_version,
            effective_at=view.effective_at,
            field=view.field,
            reason=view.reason,
            rejected_at=view.rejected_at,
        )
