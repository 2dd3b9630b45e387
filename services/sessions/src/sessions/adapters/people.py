"""A person's own settings in sessions: their working hours (and zone, when it is not their HR
one) and the digest of their calendar feed's token."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sessions.adapters.tables import FeedTokenRow, WorkingHoursRow
from sessions.domain.working_hours import DEFAULT_HOURS, WorkingHours


@dataclass(frozen=True)
class OwnHours:
    hours: WorkingHours
    time_zone: str | None  # None: the person's zone from HR
    customized: bool


DEFAULT = OwnHours(DEFAULT_HOURS, None, customized=False)


@dataclass(frozen=True)
class FeedOwner:
    tenant_id: str
    person_id: str


class People:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def hours(self, person_ids: Sequence[str]) -> dict[str, OwnHours]:
        """Each person's hours (the default for whoever set none)."""
        out = dict.fromkeys(person_ids, DEFAULT)
        if not person_ids:
            return out
        rows = await self.session.exec(
            select(WorkingHoursRow).where(
                col(WorkingHoursRow.tenant_id) == self.tenant_id,
                col(WorkingHoursRow.person_id).in_(person_ids),
            )
        )
        for r in rows.all():
            out[r.person_id] = OwnHours(WorkingHours.parse(r.weekly), r.time_zone, True)
        return out

    async def keep_hours(
        self, person_id: str, hours: WorkingHours, time_zone: str | None, now: datetime
    ) -> None:
        row = await self.session.get(WorkingHoursRow, (self.tenant_id, person_id))
        if row is None:
            self.session.add(
                WorkingHoursRow(
                    tenant_id=self.tenant_id,
                    person_id=person_id,
                    time_zone=time_zone,
                    weekly=hours.as_mapping(),
                    updated_at=now,
                )
            )
        else:
            row.time_zone = time_zone
            row.weekly = hours.as_mapping()
            row.updated_at = now
            self.session.add(row)

    async def keep_feed_digest(self, person_id: str, digest: str, now: datetime) -> None:
        """The person's feed now opens with this digest's token only (a rotation)."""
        row = await self.session.get(FeedTokenRow, (self.tenant_id, person_id))
        if row is None:
            self.session.add(
                FeedTokenRow(
                    tenant_id=self.tenant_id, person_id=person_id, digest=digest, issued_at=now
                )
            )
        else:
            row.digest = digest
            row.issued_at = now
            self.session.add(row)

    async def revoke_feed(self, person_id: str) -> bool:
        gone = await self.session.execute(
            delete(FeedTokenRow).where(
                col(FeedTokenRow.tenant_id) == self.tenant_id,
                col(FeedTokenRow.person_id) == person_id,
            )
        )
        return bool(gone.rowcount)  # type: ignore[attr-defined]


async def feed_owner(session: AsyncSession, digest: str) -> FeedOwner | None:
    """Whose feed a token's digest opens: the digest alone names tenant and person."""
    row = (
        await session.exec(select(FeedTokenRow).where(col(FeedTokenRow.digest) == digest))
    ).first()
    return None if row is None else FeedOwner(row.tenant_id, row.person_id)
