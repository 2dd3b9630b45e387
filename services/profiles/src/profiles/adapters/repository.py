"""Reads and writes of people, always inside one tenant."""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from profiles.adapters.tables import Person


@dataclass(frozen=True)
class Page:
    items: list[Person]
    cursors: list[str]  # where a page after each item would start
    total_count: int
    has_more: bool


class InvalidCursor(ValueError):
    pass


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
        first: int = 20,
        after: str | None = None,
    ) -> Page:
        """Ordered by display name, then id; the cursor is the last (name, id) seen."""
        query = self._scoped()
        if search:
            needle = f"%{search.lower()}%"
            query = query.where(
                or_(
                    func.lower(Person.display_name).like(needle),
                    func.lower(Person.email).like(needle),
                    func.lower(Person.external_id).like(needle),
                )
            )
        if department:
            query = query.where(Person.department == department)
        if manager_external_id:
            query = query.where(Person.manager_external_id == manager_external_id)
        total = (await self._session.exec(select(func.count()).select_from(query.subquery()))).one()
        if after:
            name, last_id = _decode_cursor(after)
            query = query.where(
                or_(
                    col(Person.display_name) > name,
                    and_(col(Person.display_name) == name, col(Person.id) > last_id),
                )
            )
        rows = list(
            (
                await self._session.exec(
                    query.order_by(col(Person.display_name), col(Person.id)).limit(first + 1)
                )
            ).all()
        )
        items = rows[:first]
        return Page(
            items=items,
            cursors=[_encode_cursor(p) for p in items],
            total_count=int(total),
            has_more=len(rows) > first,
        )

    def add(self, person: Person) -> None:
        self._session.add(person)


def _encode_cursor(person: Person) -> str:
    raw = json.dumps([person.display_name, person.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, last_id = json.loads(raw)
        if not isinstance(name, str) or not isinstance(last_id, str):
            raise ValueError
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(f"cursor {cursor!r} is not one this API issued") from exc
    return name, last_id
