"""Reads and writes of people, their org moves, held and refused changes, always inside one
tenant."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.hris import HrisChange
from persistence.pages import Page, keyset_page
from sqlalchemy import CTE, Integer, delete, func, literal, or_, tuple_
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from profiles.adapters.tables import HeldChange, OrgChangeRejection, Person, PersonChange

# LIKE's escape character, named in every LIKE (SQLite has none by default).
_ESCAPE = "\\"


def _literal(term: str) -> str:
    """`term` as LIKE reads it literally: its wildcards and the escape character escaped."""
    return (
        term.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    )


@dataclass(frozen=True)
class BelowPage:
    people: list[tuple[Person, int]]  # with their depth under the manager
    total_count: int


class PeopleRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def _scoped(self) -> SelectOfScalar[Person]:
        return select(Person).where(Person.tenant_id == self._tenant_id)

    async def get(self, person_id: str) -> Person | None:
        result = await self._session.exec(self._scoped().where(Person.id == person_id))
        return result.first()

    async def by_external_id(self, external_id: str) -> Person | None:
        result = await self._session.exec(self._scoped().where(Person.external_id == external_id))
        return result.first()

    async def many(self, ids: Sequence[str]) -> list[Person]:
        if not ids:
            return []
        result = await self._session.exec(self._scoped().where(col(Person.id).in_(ids)))
        return list(result.all())

    async def by_external_ids(self, external_ids: Sequence[str]) -> list[Person]:
        if not external_ids:
            return []
        result = await self._session.exec(
            self._scoped().where(col(Person.external_id).in_(external_ids))
        )
        return list(result.all())

    async def by_emails(self, emails: Sequence[str]) -> list[Person]:
        if not emails:
            return []
        lowered = [email.lower() for email in emails]
        result = await self._session.exec(
            self._scoped().where(func.lower(col(Person.email)).in_(lowered))
        )
        return list(result.all())

    async def reports_of(self, external_id: str) -> list[Person]:
        result = await self._session.exec(
            self._scoped().where(Person.manager_external_id == external_id)
        )
        return list(result.all())

    async def page(
        self,
        *,
        search: str | None = None,
        department: str | None = None,
        manager_external_id: str | None = None,
        first: int,
        after: tuple[str, str] | None = None,
    ) -> Page[Person]:
        """Ordered by display name, then id, after the (name, id) given."""
        query = self._scoped()
        if search:
            needle = f"%{_literal(search.lower())}%"
            query = query.where(
                or_(
                    func.lower(Person.display_name).like(needle, escape=_ESCAPE),
                    func.lower(Person.email).like(needle, escape=_ESCAPE),
                    func.lower(Person.external_id).like(needle, escape=_ESCAPE),
                )
            )
        if department:
            query = query.where(Person.department == department)
        if manager_external_id:
            query = query.where(Person.manager_external_id == manager_external_id)
        order = (col(Person.display_name), col(Person.id))
        return await keyset_page(self._session, query, order, first, after)

    def add(self, person: Person) -> None:
        self._session.add(person)

    # --- the org graph: one recursive query each way over the indexed manager link -------

    async def manager_links_up(self, external_id: str) -> dict[str, str | None]:
        """external id → manager's external id, for `external_id` and everyone above.

        UNION (not UNION ALL) drops rows already produced, so a loop in the data (writers
        racing past the loop check) ends the walk instead of running forever."""
        person = Person.__table__.alias("person")  # type: ignore[attr-defined]
        above = Person.__table__.alias("above")  # type: ignore[attr-defined]
        up: CTE = (
            core_select(person.c.external_id, person.c.manager_external_id)
            .where(person.c.tenant_id == self._tenant_id, person.c.external_id == external_id)
            .cte("up", recursive=True)
        )
        up = up.union(
            core_select(above.c.external_id, above.c.manager_external_id).where(
                above.c.tenant_id == self._tenant_id,
                above.c.external_id == up.c.manager_external_id,
            )
        )
        rows = await self._session.execute(core_select(up.c.external_id, up.c.manager_external_id))
        return {external: manager for external, manager in rows}

    async def manager_links_up_many(
        self, external_ids: Sequence[str]
    ) -> dict[str, dict[str, str | None]]:
        """`manager_links_up` for each of `external_ids`, in one recursive query: each row
        keeps the start it came from (UNION still ends a loop: a row repeats)."""
        if not external_ids:
            return {}
        person = Person.__table__.alias("person")  # type: ignore[attr-defined]
        above = Person.__table__.alias("above")  # type: ignore[attr-defined]
        up: CTE = (
            core_select(
                person.c.external_id.label("root"),
                person.c.external_id,
                person.c.manager_external_id,
            )
            .where(person.c.tenant_id == self._tenant_id, person.c.external_id.in_(external_ids))
            .cte("up_many", recursive=True)
        )
        up = up.union(
            core_select(up.c.root, above.c.external_id, above.c.manager_external_id).where(
                above.c.tenant_id == self._tenant_id,
                above.c.external_id == up.c.manager_external_id,
            )
        )
        rows = await self._session.execute(
            core_select(up.c.root, up.c.external_id, up.c.manager_external_id)
        )
        links: dict[str, dict[str, str | None]] = {}
        for root, external, manager in rows:
            links.setdefault(root, {})[external] = manager
        return links

    def below_query(self, external_id: str, *, recursive: bool) -> CTE:
        """(external_id, depth, display_name, id) of everyone below `external_id`
        (recursive) or reporting to them directly.

        Walking down needs no visited set: each person has one manager, so the only way back
        to someone already reached is through the start itself, which is never walked into
        (a loop through the start, or someone managing themselves, ends there). The name and
        id ride along: the walk reads each row anyway, and ordering needs no second lookup."""
        person = Person.__table__.alias("person")  # type: ignore[attr-defined]
        direct = core_select(
            person.c.external_id,
            literal(1, Integer).label("depth"),
            person.c.display_name,
            person.c.id,
        ).where(
            person.c.tenant_id == self._tenant_id,
            person.c.manager_external_id == external_id,
            person.c.external_id != external_id,
        )
        if not recursive:
            return direct.cte("below")
        below = direct.cte("below", recursive=True)
        report = Person.__table__.alias("report")  # type: ignore[attr-defined]
        return below.union_all(
            core_select(
                report.c.external_id, below.c.depth + 1, report.c.display_name, report.c.id
            ).where(
                report.c.tenant_id == self._tenant_id,
                report.c.manager_external_id == below.c.external_id,
                report.c.external_id != external_id,
            )
        )

    async def below(
        self,
        external_id: str,
        *,
        recursive: bool,
        first: int,
        after: tuple[int, str, str] | None = None,
    ) -> BelowPage:
        """Up to `first` people below, ordered by depth, name, id (after the one given), and
        how many there are in all: one statement, so the walk runs once."""
        below = self.below_query(external_id, recursive=recursive)
        order = (below.c.depth, below.c.display_name, below.c.id)
        total = core_select(func.count()).select_from(below).scalar_subquery()
        query = core_select(below.c.id, below.c.depth, total).order_by(*order).limit(first)
        if after is not None:
            query = query.where(tuple_(*order) > tuple_(*after))
        rows = list(await self._session.execute(query))
        if not rows:
            # Past the last page the count still matters; ask for it alone.
            return BelowPage(
                [], int((await self._session.execute(core_select(total))).scalar_one())
            )
        people = {p.id: p for p in await self.many([person_id for person_id, _, _ in rows])}
        return BelowPage([(people[i], int(depth)) for i, depth, _ in rows], int(rows[0][2]))

    async def below_many(
        self, external_ids: Sequence[str], *, recursive: bool, first: int
    ) -> dict[str, BelowPage]:
        """For each of `external_ids` with anyone below: the first `first` of them (by depth,
        name, id) and how many there are in all. One statement for them all: the walk of
        `below_query`, from every start at once, each row keeping the start it came from."""
        if not external_ids:
            return {}
        person = Person.__table__.alias("person")  # type: ignore[attr-defined]
        direct = core_select(
            person.c.manager_external_id.label("root"),
            person.c.external_id,
            literal(1, Integer).label("depth"),
            person.c.display_name,
            person.c.id,
        ).where(
            person.c.tenant_id == self._tenant_id,
            person.c.manager_external_id.in_(external_ids),
            person.c.external_id != person.c.manager_external_id,
        )
        below: CTE
        if recursive:
            below = direct.cte("below_many", recursive=True)
            report = Person.__table__.alias("report")  # type: ignore[attr-defined]
            below = below.union_all(
                core_select(
                    below.c.root,
                    report.c.external_id,
                    below.c.depth + 1,
                    report.c.display_name,
                    report.c.id,
                ).where(
                    report.c.tenant_id == self._tenant_id,
                    report.c.manager_external_id == below.c.external_id,
                    report.c.external_id != below.c.root,
                )
            )
        else:
            below = direct.cte("below_many")
        order = (below.c.depth, below.c.display_name, below.c.id)
        ranked = core_select(
            below.c.root,
            below.c.id,
            below.c.depth,
            func.row_number().over(partition_by=below.c.root, order_by=order).label("position"),
            func.count().over(partition_by=below.c.root).label("total"),
        ).subquery("ranked")
        rows = list(
            await self._session.execute(
                core_select(ranked.c.root, ranked.c.id, ranked.c.depth, ranked.c.total)
                .where(ranked.c.position <= first)
                .order_by(ranked.c.root, ranked.c.position)
            )
        )
        people = {p.id: p for p in await self.many(list({row.id for row in rows}))}
        pages: dict[str, BelowPage] = {}
        for root, person_id, depth, total in rows:
            page = pages.setdefault(root, BelowPage([], int(total)))
            page.people.append((people[person_id], int(depth)))
        return pages

    async def reporting_to_many(
        self, external_ids: Sequence[str], *, first: int
    ) -> dict[str, BelowPage]:
        """For each of `external_ids` with direct reports: the first `first` of them as `page`
        lists them (by name, then id; depth 1) and how many there are. One statement."""
        if not external_ids:
            return {}
        manager = col(Person.manager_external_id)
        ranked = (
            core_select(
                manager.label("root"),
                col(Person.id),
                func.row_number()
                .over(partition_by=manager, order_by=(col(Person.display_name), col(Person.id)))
                .label("position"),
                func.count().over(partition_by=manager).label("total"),
            )
            .where(col(Person.tenant_id) == self._tenant_id, manager.in_(external_ids))
            .subquery("ranked")
        )
        rows = list(
            await self._session.execute(
                core_select(ranked.c.root, ranked.c.id, ranked.c.total)
                .where(ranked.c.position <= first)
                .order_by(ranked.c.root, ranked.c.position)
            )
        )
        people = {p.id: p for p in await self.many(list({row.id for row in rows}))}
        pages: dict[str, BelowPage] = {}
        for root, person_id, total in rows:
            pages.setdefault(root, BelowPage([], int(total))).people.append((people[person_id], 1))
        return pages


class PersonHistory:
    """The org moves of people, as the HRIS dated them."""

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def add(self, change: PersonChange) -> None:
        assert change.tenant_id == self._tenant_id
        self._session.add(change)

    async def of_many(self, person_ids: Sequence[str]) -> dict[str, list[PersonChange]]:
        """`of` for each of `person_ids` (those with no moves left out), in one query."""
        if not person_ids:
            return {}
        result = await self._session.exec(
            select(PersonChange)
            .where(
                PersonChange.tenant_id == self._tenant_id,
                col(PersonChange.person_id).in_(person_ids),
            )
            .order_by(
                col(PersonChange.effective_at),
                col(PersonChange.source_version),
                col(PersonChange.id),
            )
        )
        found: dict[str, list[PersonChange]] = {}
        for change in result.all():
            found.setdefault(change.person_id, []).append(change)
        return found

    async def of(self, person_id: str) -> list[PersonChange]:
        """Oldest first: by effective time, then version, then when recorded."""
        result = await self._session.exec(
            select(PersonChange)
            .where(PersonChange.tenant_id == self._tenant_id, PersonChange.person_id == person_id)
            .order_by(
                col(PersonChange.effective_at),
                col(PersonChange.source_version),
                col(PersonChange.id),
            )
        )
        return list(result.all())


class Rejections:
    """What Cairn refused of what the HRIS sent, newest first."""

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def add(self, rejection: OrgChangeRejection) -> None:
        assert rejection.tenant_id == self._tenant_id
        self._session.add(rejection)

    async def page(self, *, first: int, after: int | None = None) -> Page[OrgChangeRejection]:
        """Newest first (by id), after the id given."""
        query = select(OrgChangeRejection).where(OrgChangeRejection.tenant_id == self._tenant_id)
        newest = col(OrgChangeRejection.id)
        key = None if after is None else (after, after)
        return await keyset_page(
            self._session, query, (newest, newest), first, key, descending=True
        )


class HeldChanges:
    """Changes effective in the future, across tenants (the worker releases them when due)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def hold(self, tenant_id: str, change: HrisChange, now: datetime) -> None:
        # A redelivered change replaces its held copy: one change id, held once.
        await self._session.merge(
            HeldChange(
                tenant_id=tenant_id,
                change_id=change.id,
                external_id=change.employee.external_id,
                source_version=change.source_version,
                effective_at=change.effective_at,
                change=change.model_dump(mode="json", by_alias=True, exclude_unset=True),
                held_at=now,
            )
        )

    async def due(self, now: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(tenant id, change id) of the changes due by `now`, earliest first."""
        result = await self._session.exec(
            select(HeldChange.tenant_id, HeldChange.change_id)
            .where(col(HeldChange.effective_at) <= now)
            .order_by(col(HeldChange.effective_at), col(HeldChange.source_version))
            .limit(limit)
        )
        return [(tenant, change) for tenant, change in result.all()]

    async def take(self, tenant_id: str, change_id: str) -> HrisChange | None:
        """The held change, removed in this transaction; None if another worker has it or
        already applied it (PostgreSQL skips rows locked by another replica; SQLite
        serializes writers)."""
        where = (
            col(HeldChange.tenant_id) == tenant_id,
            col(HeldChange.change_id) == change_id,
        )
        held = (
            await self._session.exec(
                select(HeldChange).where(*where).with_for_update(skip_locked=True)
            )
        ).first()
        if held is None:
            return None
        await self._session.exec(delete(HeldChange).where(*where))
        return HrisChange.model_validate(held.change)

    async def of_tenant(self, tenant_id: str) -> list[HeldChange]:
        result = await self._session.exec(
            select(HeldChange)
            .where(HeldChange.tenant_id == tenant_id)
            .order_by(col(HeldChange.effective_at), col(HeldChange.source_version))
        )
        return list(result.all())
