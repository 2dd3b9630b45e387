"""Sessions as the domain sees them (`domain.lifecycle.Session`), stored with who attends and
which matches they serve. Reads and writes within the caller's unit of work, for one tenant;
a change decided on a stale read is refused (CONFLICT), never lost."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.problems import Code
from contracts.sessions import AttendanceStatus, SessionKind, SessionStatus
from persistence.pages import Page, keyset_page
from runtime.refusals import Refused
from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sessions.adapters.tables import ReminderSent, SessionAttendee, SessionMatch, SessionRow
from sessions.domain.intervals import Interval
from sessions.domain.lifecycle import Outcome, Session

# What still lies ahead of a session that has not happened.
OPEN = (SessionStatus.SCHEDULED.value, SessionStatus.UNSCHEDULED.value)


@dataclass(frozen=True)
class SessionFilter:
    person_id: str | None = None
    program_id: str | None = None
    match_id: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    statuses: Sequence[SessionStatus] = ()


class Sessions:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def get(self, session_id: str, *, lock: bool = False) -> Session | None:
        stmt = select(SessionRow).where(
            col(SessionRow.id) == session_id, col(SessionRow.tenant_id) == self.tenant_id
        )
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.session.exec(stmt)).first()
        return None if row is None else session_of_row(row)

    async def add(self, s: Session, now: datetime) -> None:
        self.session.add(
            SessionRow(
                id=s.id,
                tenant_id=self.tenant_id,
                program_id=s.program_id,
                kind=s.kind.value,
                match_ids=list(s.match_ids),
                group_id=s.group_id,
                host_id=s.host_id,
                attendee_ids=list(s.attendee_ids),
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                status=s.status.value,
                sequence=s.sequence,
                module_index=s.module_index,
                module_title=s.module_title,
                final=s.final,
                unscheduled_reason=s.unscheduled_reason,
                capacity=s.capacity,
                revision=s.revision,
                held_at=s.held_at,
                cancelled_reason=s.cancelled_reason,
                cancelled_by=s.cancelled_by,
                created_at=now,
                updated_at=s.updated_at,
            )
        )
        for person_id in dict.fromkeys(s.attendee_ids):
            self.session.add(
                SessionAttendee(session_id=s.id, person_id=person_id, tenant_id=self.tenant_id)
            )
        for match_id in dict.fromkeys(s.match_ids):
            self.session.add(
                SessionMatch(session_id=s.id, match_id=match_id, tenant_id=self.tenant_id)
            )

    async def save(self, outcome: Outcome) -> None:
        """Writes what an action changed; refused when someone changed it meanwhile."""
        if not outcome.changed:
            return
        s = outcome.session
        written = await self.session.execute(
            update(SessionRow)
            .where(
                col(SessionRow.id) == s.id,
                col(SessionRow.tenant_id) == self.tenant_id,
                col(SessionRow.revision) == s.revision - 1,
            )
            .values(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                status=s.status.value,
                unscheduled_reason=s.unscheduled_reason,
                revision=s.revision,
                held_at=s.held_at,
                cancelled_reason=s.cancelled_reason,
                cancelled_by=s.cancelled_by,
                updated_at=s.updated_at,
            )
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            raise Refused(Code.CONFLICT, None, "the session changed meanwhile; try again")
        for person_id, status in outcome.attendance.items():
            await self.session.execute(
                update(SessionAttendee)
                .where(
                    col(SessionAttendee.session_id) == s.id,
                    col(SessionAttendee.person_id) == person_id,
                )
                .values(attendance=status.value)
            )

    async def of_ids(self, session_ids: Sequence[str]) -> list[Session]:
        if not session_ids:
            return []
        rows = await self.session.exec(
            select(SessionRow).where(
                col(SessionRow.tenant_id) == self.tenant_id, col(SessionRow.id).in_(session_ids)
            )
        )
        found = {r.id: session_of_row(r) for r in rows.all()}
        return [found[i] for i in dict.fromkeys(session_ids) if i in found]

    async def of_matches(self, match_ids: Sequence[str]) -> dict[str, list[Session]]:
        """Each match's series in order (everyone asked gets a list)."""
        out: dict[str, list[Session]] = {m: [] for m in match_ids}
        if not match_ids:
            return out
        rows = await self.session.exec(
            select(SessionMatch.match_id, SessionRow)
            .join(SessionRow, col(SessionRow.id) == col(SessionMatch.session_id))
            .where(
                col(SessionMatch.tenant_id) == self.tenant_id,
                col(SessionMatch.match_id).in_(match_ids),
            )
            .order_by(col(SessionRow.sequence), col(SessionRow.starts_at), col(SessionRow.id))
        )
        for match_id, row in rows.all():
            out[match_id].append(session_of_row(row))
        return out

    async def of_people(
        self, person_ids: Sequence[str], start: datetime | None, end: datetime | None
    ) -> dict[str, list[Session]]:
        """Each person's sessions starting in [start, end), by start."""
        out: dict[str, list[Session]] = {p: [] for p in person_ids}
        if not person_ids:
            return out
        stmt = (
            select(SessionAttendee.person_id, SessionRow)
            .join(SessionRow, col(SessionRow.id) == col(SessionAttendee.session_id))
            .where(
                col(SessionAttendee.tenant_id) == self.tenant_id,
                col(SessionAttendee.person_id).in_(person_ids),
            )
            .order_by(col(SessionRow.starts_at), col(SessionRow.id))
        )
        if start is not None:
            stmt = stmt.where(col(SessionRow.starts_at) >= start)
        if end is not None:
            stmt = stmt.where(col(SessionRow.starts_at) < end)
        for person_id, row in (await self.session.exec(stmt)).all():
            out[person_id].append(session_of_row(row))
        return out

    async def page(
        self, where: SessionFilter, first: int, after: tuple[datetime, str] | None
    ) -> Page[Session]:
        query = select(SessionRow).where(col(SessionRow.tenant_id) == self.tenant_id)
        if where.person_id is not None:
            query = query.where(
                col(SessionRow.id).in_(
                    select(SessionAttendee.session_id).where(
                        col(SessionAttendee.tenant_id) == self.tenant_id,
                        col(SessionAttendee.person_id) == where.person_id,
                    )
                )
            )
        if where.match_id is not None:
            query = query.where(
                col(SessionRow.id).in_(
                    select(SessionMatch.session_id).where(
                        col(SessionMatch.tenant_id) == self.tenant_id,
                        col(SessionMatch.match_id) == where.match_id,
                    )
                )
            )
        if where.program_id is not None:
            query = query.where(col(SessionRow.program_id) == where.program_id)
        if where.starts_from is not None:
            query = query.where(col(SessionRow.starts_at) >= where.starts_from)
        if where.starts_before is not None:
            query = query.where(col(SessionRow.starts_at) < where.starts_before)
        if where.statuses:
            query = query.where(col(SessionRow.status).in_([s.value for s in where.statuses]))
        page = await keyset_page(
            self.session, query, (col(SessionRow.starts_at), col(SessionRow.id)), first, after
        )
        return Page([session_of_row(r) for r in page.items], page.total_count, page.has_more)

    async def ahead(
        self, now: datetime, *, person_id: str | None = None, match_id: str | None = None
    ) -> list[Session]:
        """The sessions still to happen (SCHEDULED or UNSCHEDULED, starting after `now`) of a
        person or a match, by start."""
        stmt = select(SessionRow).where(
            col(SessionRow.tenant_id) == self.tenant_id,
            col(SessionRow.status).in_(OPEN),
            col(SessionRow.starts_at) > now,
        )
        if person_id is not None:
            stmt = stmt.where(
                col(SessionRow.id).in_(
                    select(SessionAttendee.session_id).where(
                        col(SessionAttendee.tenant_id) == self.tenant_id,
                        col(SessionAttendee.person_id) == person_id,
                    )
                )
            )
        if match_id is not None:
            stmt = stmt.where(
                col(SessionRow.id).in_(
                    select(SessionMatch.session_id).where(
                        col(SessionMatch.tenant_id) == self.tenant_id,
                        col(SessionMatch.match_id) == match_id,
                    )
                )
            )
        rows = await self.session.exec(stmt.order_by(col(SessionRow.starts_at), col(SessionRow.id)))
        return [session_of_row(r) for r in rows.all()]

    async def booked(
        self, person_ids: Sequence[str], window: Interval, exclude: Sequence[str] = ()
    ) -> dict[str, list[Interval]]:
        """The times each person is booked in Cairn (SCHEDULED sessions overlapping
        `window`), besides the sessions in `exclude` (the ones being moved)."""
        out: dict[str, list[Interval]] = {p: [] for p in person_ids}
        if not person_ids:
            return out
        stmt = (
            select(SessionAttendee.person_id, SessionRow.starts_at, SessionRow.ends_at)
            .join(SessionRow, col(SessionRow.id) == col(SessionAttendee.session_id))
            .where(
                col(SessionAttendee.tenant_id) == self.tenant_id,
                col(SessionAttendee.person_id).in_(person_ids),
                col(SessionRow.status) == SessionStatus.SCHEDULED.value,
                col(SessionRow.starts_at) < window.end,
                col(SessionRow.ends_at) > window.start,
            )
        )
        if exclude:
            stmt = stmt.where(col(SessionRow.id).not_in(exclude))
        for person_id, starts_at, ends_at in (await self.session.exec(stmt)).all():
            out[person_id].append(Interval(starts_at, ends_at))
        return out

    async def attendance(
        self, session_ids: Sequence[str]
    ) -> dict[str, dict[str, AttendanceStatus | None]]:
        out: dict[str, dict[str, AttendanceStatus | None]] = {s: {} for s in session_ids}
        if not session_ids:
            return out
        rows = await self.session.exec(
            select(SessionAttendee).where(
                col(SessionAttendee.tenant_id) == self.tenant_id,
                col(SessionAttendee.session_id).in_(session_ids),
            )
        )
        for r in rows.all():
            out[r.session_id][r.person_id] = (
                None if r.attendance is None else AttendanceStatus(r.attendance)
            )
        return out

    async def forget_reminders(self, session_id: str) -> None:
        """A session that moved is reminded of again, at its new time."""
        await self.session.execute(
            delete(ReminderSent).where(col(ReminderSent.session_id) == session_id)
        )


def session_of_row(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        program_id=row.program_id,
        kind=SessionKind(row.kind),
        match_ids=tuple(row.match_ids),
        group_id=row.group_id,
        host_id=row.host_id,
        attendee_ids=tuple(row.attendee_ids),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=SessionStatus(row.status),
        sequence=row.sequence,
        module_index=row.module_index,
        module_title=row.module_title,
        final=row.final,
        unscheduled_reason=row.unscheduled_reason,
        capacity=row.capacity,
        revision=row.revision,
        held_at=row.held_at,
        cancelled_reason=row.cancelled_reason,
        cancelled_by=row.cancelled_by,
        updated_at=row.updated_at,
    )
