"""Reading the org: a person's managers up to the top, everyone below them, and their history.
Each walk is one recursive query (see `PeopleRepository`); the people come with it or from
one more query."""

from collections.abc import Sequence
from dataclasses import dataclass

from persistence.pages import Page
from runtime.refusals import not_found
from sqlmodel.ext.asyncio.session import AsyncSession

from profiles.adapters.repository import PeopleRepository, PersonHistory
from profiles.adapters.tables import Person, PersonChange
from profiles.domain.org_graph import chain_up


@dataclass(frozen=True)
class ManagersAbove:
    managers: list[Person]  # nearest first, up to the top or to the first one not known yet
    pending_manager_external_id: str | None  # named in the chain, not known yet


@dataclass(frozen=True)
class Report:
    person: Person
    depth: int  # 1: a direct report


async def managers_of(session: AsyncSession, tenant_id: str, person_id: str) -> ManagersAbove:
    people = PeopleRepository(session, tenant_id)
    person = await _existing(people, person_id)
    chain = chain_up(person.external_id, await people.manager_links_up(person.external_id))
    found = {p.external_id: p for p in await people.by_external_ids(chain)}
    return _above(chain, found)


def _above(chain: tuple[str, ...], found: dict[str, Person]) -> ManagersAbove:
    managers: list[Person] = []
    for external_id in chain:
        if external_id not in found:
            # Only the last link can name someone unknown: the walk stops there.
            return ManagersAbove(managers, external_id)
        managers.append(found[external_id])
    return ManagersAbove(managers, None)


# --- for many people at once (a page of them): a few queries, however many people ----------
# Each answers for the people of `person_ids` the tenant has; anyone else is left out.


async def managers_of_many(
    session: AsyncSession, tenant_id: str, person_ids: Sequence[str]
) -> dict[str, ManagersAbove]:
    people = PeopleRepository(session, tenant_id)
    persons = await people.many(person_ids)
    links = await people.manager_links_up_many([p.external_id for p in persons])
    chains = {p.id: chain_up(p.external_id, links.get(p.external_id, {})) for p in persons}
    named = {external_id for chain in chains.values() for external_id in chain}
    found = {p.external_id: p for p in await people.by_external_ids(sorted(named))}
    return {person_id: _above(chain, found) for person_id, chain in chains.items()}


async def reports_of_many(
    session: AsyncSession,
    tenant_id: str,
    person_ids: Sequence[str],
    *,
    recursive: bool,
    first: int,
    direct_by_name: bool = False,
) -> dict[str, Page[Report]]:
    """The first page of `reports_of` for each person; `direct_by_name`: their direct reports
    as the people list orders them (by name, then id) instead."""
    people = PeopleRepository(session, tenant_id)
    persons = await people.many(person_ids)
    roots = [p.external_id for p in persons]
    found = (
        await people.reporting_to_many(roots, first=first)
        if direct_by_name
        else await people.below_many(roots, recursive=recursive, first=first)
    )
    pages: dict[str, Page[Report]] = {}
    for person in persons:
        below = found.get(person.external_id)
        if below is None:
            pages[person.id] = Page(items=[], total_count=0, has_more=False)
            continue
        pages[person.id] = Page(
            items=[Report(report, depth) for report, depth in below.people],
            total_count=below.total_count,
            has_more=below.total_count > len(below.people),
        )
    return pages


async def history_of_many(
    session: AsyncSession, tenant_id: str, person_ids: Sequence[str]
) -> dict[str, list[PersonChange]]:
    persons = await PeopleRepository(session, tenant_id).many(person_ids)
    changes = await PersonHistory(session, tenant_id).of_many([p.id for p in persons])
    return {p.id: changes.get(p.id, []) for p in persons}


async def reports_of(
    session: AsyncSession,
    tenant_id: str,
    person_id: str,
    *,
    recursive: bool,
    first: int,
    after: tuple[int, str, str] | None,
) -> Page[Report]:
    """Ordered by depth, then name, then id, after the (depth, name, id) given."""
    people = PeopleRepository(session, tenant_id)
    person = await _existing(people, person_id)
    found = await people.below(
        person.external_id, recursive=recursive, first=first + 1, after=after
    )
    return Page(
        items=[Report(report, depth) for report, depth in found.people[:first]],
        total_count=found.total_count,
        has_more=len(found.people) > first,
    )


async def history_of(session: AsyncSession, tenant_id: str, person_id: str) -> list[PersonChange]:
    await _existing(PeopleRepository(session, tenant_id), person_id)
    return await PersonHistory(session, tenant_id).of(person_id)


async def _existing(people: PeopleRepository, person_id: str) -> Person:
    """The person, or Refused(NOT_FOUND): another tenant's person is not found either."""
    person = await people.get(person_id)
    if person is None:
        raise not_found("person")
    return person
