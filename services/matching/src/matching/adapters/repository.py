"""Reading and writing matching's tables within one unit of work, always for one tenant."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from matching.adapters.tables import (
    HeldSession,
    KnownEnrollment,
    KnownProgram,
    MatchRow,
    MatchRunPair,
    MatchRunRow,
    MenteeRating,
    roster,
)

OPEN = ("PROPOSED", "ACCEPTED", "ACTIVE")
# Pairs that went wrong are never proposed again (flagged ones too, whatever their status).
WENT_WRONG = ("DECLINED", "ENDED")
# Why a match ends when its program closes: nothing went wrong with the pair.
PROGRAM_CLOSED = "the program closed"


class _OfTenant:
    """Reads and writes of one tenant's rows, within the caller's unit of work."""

    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id


class Replicas(_OfTenant):
    """What matching knows of other services' state."""

    async def program(self, program_id: str) -> KnownProgram | None:
        return await self.session.get(KnownProgram, (self.tenant_id, program_id))

    async def active_enrollments(self, program_id: str) -> Sequence[KnownEnrollment]:
        rows = await self.session.execute(
            select(KnownEnrollment)
            .where(
                col(KnownEnrollment.tenant_id) == self.tenant_id,
                col(KnownEnrollment.program_id) == program_id,
                col(KnownEnrollment.status) == "ACTIVE",
            )
            .order_by(col(KnownEnrollment.enrollment_id))
        )
        return rows.scalars().all()

    async def people(self) -> dict[str, dict[str, Any]]:
        """Every person of the tenant (snapshots): the reporting lines need the whole org."""
        rows = await self.session.execute(
            select(roster.table.c.person_id, roster.table.c.snapshot).where(
                roster.table.c.tenant_id == self.tenant_id
            )
        )
        return {r.person_id: r.snapshot for r in rows}


class Matches(_OfTenant):
    async def get(self, match_id: str, *, lock: bool = False) -> MatchRow | None:
        stmt = select(MatchRow).where(
            col(MatchRow.tenant_id) == self.tenant_id,
            col(MatchRow.id) == match_id,
        )
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalars().first()

    def add(self, match: MatchRow) -> None:
        self.session.add(match)

    async def of_program(self, program_id: str) -> Sequence[MatchRow]:
        rows = await self.session.execute(
            select(MatchRow).where(
                col(MatchRow.tenant_id) == self.tenant_id,
                col(MatchRow.program_id) == program_id,
            )
        )
        return rows.scalars().all()

    async def page_of_program(
        self,
        program_id: str,
        statuses: Sequence[str],
        first: int,
        after: tuple[datetime, str] | None,
    ) -> tuple[Sequence[MatchRow], int, bool]:
        """A page in proposal order, the total, and whether more follow."""
        where = [
            col(MatchRow.tenant_id) == self.tenant_id,
            col(MatchRow.program_id) == program_id,
        ]
        if statuses:
            where.append(col(MatchRow.status).in_(statuses))
        total = (
            await self.session.execute(select(func.count()).select_from(MatchRow).where(*where))
        ).scalar_one()
        stmt = select(MatchRow).where(*where)
        if after is not None:
            at, key = after
            stmt = stmt.where(
                or_(
                    col(MatchRow.proposed_at) > at,
                    and_(col(MatchRow.proposed_at) == at, col(MatchRow.id) > key),
                )
            )
        stmt = stmt.order_by(col(MatchRow.proposed_at), col(MatchRow.id)).limit(first + 1)
        rows = (await self.session.execute(stmt)).scalars().all()
        return rows[:first], int(total), len(rows) > first

    async def of_person(self, person_id: str, statuses: Sequence[str] = ()) -> Sequence[MatchRow]:
        stmt = select(MatchRow).where(
            col(MatchRow.tenant_id) == self.tenant_id,
            or_(col(MatchRow.mentor_id) == person_id, col(MatchRow.mentee_id) == person_id),
        )
        if statuses:
            stmt = stmt.where(col(MatchRow.status).in_(statuses))
        stmt = stmt.order_by(col(MatchRow.proposed_at), col(MatchRow.id))
        return (await self.session.execute(stmt)).scalars().all()

    async def open(self) -> Sequence[MatchRow]:
        rows = await self.session.execute(
            select(MatchRow).where(
                col(MatchRow.tenant_id) == self.tenant_id,
                col(MatchRow.status).in_(OPEN),
            )
        )
        return rows.scalars().all()

    async def blocked_pairs(self) -> frozenset[tuple[str, str]]:
        """(mentor, mentee) pairs that went wrong anywhere in the tenant: never again."""
        rows = await self.session.execute(
            select(col(MatchRow.mentor_id), col(MatchRow.mentee_id)).where(
                col(MatchRow.tenant_id) == self.tenant_id,
                or_(
                    and_(
                        col(MatchRow.status).in_(WENT_WRONG),
                        or_(col(MatchRow.reason).is_(None), col(MatchRow.reason) != PROGRAM_CLOSED),
                    ),
                    col(MatchRow.flagged_for_review).is_(True),
                ),
            )
        )
        return frozenset((r.mentor_id, r.mentee_id) for r in rows)


class HeldSessions(_OfTenant):
    async def counted(self, match_id: str, session_id: str, ended_at: datetime) -> bool:
        """Records the session as held for the match; False when it was counted before."""
        key = (self.tenant_id, match_id, session_id)
        if await self.session.get(HeldSession, key) is not None:
            return False
        self.session.add(
            HeldSession(
                tenant_id=self.tenant_id,
                match_id=match_id,
                session_id=session_id,
                ended_at=ended_at,
            )
        )
        return True


class Ratings(_OfTenant):
    async def record(self, response_id: str, mentor_id: str, rating: int, revision: int) -> None:
        """Keeps the newest revision of each response's rating."""
        known = await self.session.get(MenteeRating, (self.tenant_id, response_id))
        if known is None:
            self.session.add(
                MenteeRating(
                    tenant_id=self.tenant_id,
                    response_id=response_id,
                    mentor_id=mentor_id,
                    rating=rating,
                    revision=revision,
                )
            )
        elif known.revision < revision:
            known.rating = rating
            known.revision = revision

    async def of_mentors(self) -> dict[str, tuple[float, int]]:
        """Each rated mentor's mean rating and how many ratings it rests on."""
        rows = await self.session.execute(
            select(
                col(MenteeRating.mentor_id),
                func.avg(col(MenteeRating.rating)),
                func.count(),
            )
            .where(col(MenteeRating.tenant_id) == self.tenant_id)
            .group_by(col(MenteeRating.mentor_id))
        )
        return {mentor: (float(mean), int(count)) for mentor, mean, count in rows.all()}


def due_for_expiry_query(now: datetime, limit: int) -> Any:
    """Proposals past their time, across tenants (the expiry worker serves them all)."""
    return (
        select(col(MatchRow.tenant_id), col(MatchRow.id))
        .where(
            col(MatchRow.status) == "PROPOSED",
            col(MatchRow.expires_at) <= now,
        )
        .order_by(col(MatchRow.expires_at))
        .limit(limit)
    )


class Runs(_OfTenant):
    async def get(self, run_id: str) -> MatchRunRow | None:
        row = await self.session.get(MatchRunRow, run_id)
        return row if row is not None and row.tenant_id == self.tenant_id else None

    async def running(self, program_id: str, *, dry_run: bool) -> MatchRunRow | None:
        rows = await self.session.execute(
            select(MatchRunRow).where(
                col(MatchRunRow.tenant_id) == self.tenant_id,
                col(MatchRunRow.program_id) == program_id,
                col(MatchRunRow.status) == "RUNNING",
                col(MatchRunRow.dry_run) == dry_run,
            )
        )
        return rows.scalars().first()

    async def pairs(
        self, run_id: str, first: int, after: int
    ) -> tuple[Sequence[MatchRunPair], bool]:
        rows = await self.session.execute(
            select(MatchRunPair)
            .where(col(MatchRunPair.run_id) == run_id, col(MatchRunPair.position) > after)
            .order_by(col(MatchRunPair.position))
            .limit(first + 1)
        )
        found = rows.scalars().all()
        return found[:first], len(found) > first


async def claim_run(session: AsyncSession, run_id: str, now: datetime) -> bool:
    """Takes a waiting run for this worker; False when another took it first."""
    result = await session.execute(
        update(MatchRunRow)
        .where(col(MatchRunRow.id) == run_id, col(MatchRunRow.claimed_at).is_(None))
        .values(claimed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def waiting_runs_query(limit: int) -> Any:
    return (
        select(col(MatchRunRow.id))
        .where(col(MatchRunRow.status) == "RUNNING", col(MatchRunRow.claimed_at).is_(None))
        .order_by(col(MatchRunRow.started_at))
        .limit(limit)
    )


def abandoned_runs_query(claimed_before: datetime) -> Any:
    """Runs taken by a worker before `claimed_before` and still RUNNING, across tenants."""
    return (
        select(MatchRunRow)
        .where(
            col(MatchRunRow.status) == "RUNNING",
            col(MatchRunRow.claimed_at) < claimed_before,
        )
        .with_for_update(skip_locked=True)
    )
