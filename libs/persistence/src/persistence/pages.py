"""Keyset pagination: one page of a query ordered by (sort column, unique id), starting after
the key the previous page's last item had. Cursors themselves are `runtime.pages`'."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, func, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total_count: int  # of the whole query, every page
    has_more: bool


async def keyset_page(
    session: AsyncSession,
    query: SelectOfScalar[T],
    order: tuple[Any, Any],
    first: int,
    after: tuple[Any, Any] | None,
    *,
    descending: bool = False,
) -> Page[T]:
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    sort, unique = order
    if after is not None:
        if descending:
            query = query.where(or_(sort < after[0], and_(sort == after[0], unique < after[1])))
        else:
            query = query.where(or_(sort > after[0], and_(sort == after[0], unique > after[1])))
    ordering = (sort.desc(), unique.desc()) if descending else (sort, unique)
    rows = list((await session.exec(query.order_by(*ordering).limit(first + 1))).all())
    return Page(items=rows[:first], total_count=int(total), has_more=len(rows) > first)
