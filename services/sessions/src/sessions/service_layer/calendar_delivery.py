"""The worker that brings people's connected calendars to what `calendar_push` asks: it
creates the event (with an idempotency key, so a retry after a lost answer books nothing
twice), updates it (the provider raises its SEQUENCE), or cancels it; a failure leaves the
row FAILED with the provider's error and tries again after an exponential backoff (at least
the provider's Retry-After). Nothing is dropped: a row leaves the queue only as SYNCED.

No database transaction is held while a provider is called: rows are claimed (a lease, so
a crashed worker's rows are taken over), delivered, then recorded, each in a short one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contracts.people import PersonSnapshot
from contracts.sessions import CalendarSync, SessionKind, SessionSnapshot
from messaging.outbox import UnitOfWorkFactory, utcnow
from runtime.process import ServiceProcess
from runtime.refusals import Refused
from sqlalchemy import delete, or_, select, update

from sessions.adapters.calendar_tables import calendar_push as pushes
from sessions.adapters.calendars.model import (
    EventHandle,
    EventSpec,
    Participant,
    ProviderError,
    ProviderName,
    ProviderRejected,
    ProviderUnavailable,
)
from sessions.adapters.calendars.oauth import OAuthTokens
from sessions.adapters.tables import roster
from sessions.domain.intervals import Interval
from sessions.service_layer.calendar_accounts import (
    CONNECTED,
    CalendarAccess,
    Connection,
    connection,
    credentials,
    mark,
    store_tokens,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any delivery; a crashed worker's rows come back
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=6)
BATCH = 20
_MAX_ERROR = 500


def backoff(failures: int, retry_after: timedelta | None = None) -> timedelta:
    """How long to wait after the `failures`-th failure in a row: doubling from FIRST_RETRY,
    at most LAST_RETRY, never sooner than the provider asked."""
    doubled: timedelta = FIRST_RETRY * 2 ** min(max(failures, 1) - 1, 20)
    return max(min(doubled, LAST_RETRY), retry_after or timedelta(0))


class NotReady(Exception):
    """The event cannot be written yet (a person not in the roster): retried like a failure."""


def idempotency_key(tenant_id: str, session_id: str, connection_id: str) -> str:
    return f"cairn-{tenant_id}-{session_id}-{connection_id}"


def event_spec(session: SessionSnapshot, people: Mapping[str, PersonSnapshot]) -> EventSpec:
    """The session as a calendar event, shown in the host's zone, everyone invited."""
    missing = [p for p in [session.host_id, *session.attendee_ids] if p not in people]
    if missing:
        raise NotReady(f"not in the roster yet: {', '.join(sorted(set(missing)))}")
    host = people[session.host_id]
    try:
        attendees = tuple(
            Participant(people[p].email, people[p].display_name)
            for p in dict.fromkeys(session.attendee_ids)
        )
        titles = {
            SessionKind.ONE_ON_ONE: "Mentoring session",
            SessionKind.GROUP: "Mentoring circle",
            SessionKind.OFFICE_HOURS: "Office hours",
        }
        return EventSpec(
            session_id=session.id,
            title=titles[session.kind] + (f": {session.module}" if session.module else ""),
            when=Interval(session.starts_at, session.ends_at),
            zone=ZoneInfo(host.time_zone),
            organizer=Participant(host.email, host.display_name),
            attendees=attendees,
            description=f"Booked by Cairn (session {session.id}).",
        )
    except Refused as refused:  # an address the provider would refuse: say which
        raise NotReady(f"{refused.field}: {refused.message}") from None


@dataclass(frozen=True)
class _Claimed:
    id: int
    tenant_id: str
    session: SessionSnapshot
    revision: int
    cancel: bool
    attempts: int
    handle: EventHandle | None
    create_sent: bool
    delivered_cancel: bool
    connection_id: str


@dataclass(frozen=True)
class _Done:
    handle: EventHandle | None
    create_sent: bool
    delivered_cancel: bool


async def deliver_due(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    *,
    now: Callable[[], datetime] = utcnow,
    limit: int = BATCH,
) -> int:
    """Delivers the rows that are due (PENDING, or FAILED whose retry time came); answers how
    many it took."""
    claimed = await _claim(uow, now(), limit)
    for row in claimed:
        await _deliver(uow, access, row, now)
    return len(claimed)


async def _claim(uow: UnitOfWorkFactory, now: datetime, limit: int) -> list[_Claimed]:
    free = or_(pushes.c.claimed_until.is_(None), pushes.c.claimed_until < now)
    async with uow() as work:
        due = await work.session.execute(
            select(pushes)
            .where(
                pushes.c.state.in_([CalendarSync.PENDING.value, CalendarSync.FAILED.value]),
                pushes.c.next_attempt_at <= now,
                free,
            )
            .order_by(pushes.c.next_attempt_at, pushes.c.id)
            .limit(limit)
        )
        claimed = []
        for r in due.all():
            taken = await work.session.execute(
                update(pushes).where(pushes.c.id == r.id, free).values(claimed_until=now + LEASE)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(
                    _Claimed(
                        id=r.id,
                        tenant_id=r.tenant_id,
                        session=SessionSnapshot.model_validate(r.session),
                        revision=r.revision,
                        cancel=r.cancel,
                        attempts=r.attempts,
                        handle=_handle(r.handle),
                        create_sent=r.create_sent,
                        delivered_cancel=r.delivered_cancel,
                        connection_id=r.connection_id,
                    )
                )
        await work.commit()
    return claimed


async def _deliver(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    row: _Claimed,
    now: Callable[[], datetime],
) -> None:
    async with uow() as work:
        conn = await connection(work.session, row.tenant_id, row.connection_id)
        if conn is None:  # disconnected since: nothing left to write there
            await work.session.execute(delete(pushes).where(pushes.c.id == row.id))
            await work.commit()
            return
        try:
            opened = await credentials(work.session, access.sealer, conn)
        except ProviderRejected as exc:
            await work.commit()
            await _record_failure(uow, row, conn, exc, None, now())
            return
        people = await _people(work, row)
        await work.commit()
    done = _Done(row.handle, row.create_sent, row.delivered_cancel)
    try:
        lost_create = row.handle is None and row.create_sent and not row.delivered_cancel
        needs_spec = not row.cancel or lost_create
        spec = event_spec(row.session, people) if needs_spec else None
        done = await _bring_to(uow, access, conn, opened, row, spec, done)
    except (ProviderError, NotReady) as exc:
        await _record_failure(uow, row, conn, exc, done, now())
        return
    await _record_success(uow, row, conn, done, now())


async def _people(work: Any, row: _Claimed) -> dict[str, PersonSnapshot]:
    wanted = {row.session.host_id, *row.session.attendee_ids}
    found = await work.session.execute(
        select(roster.table.c.person_id, roster.table.c.snapshot).where(
            roster.table.c.tenant_id == row.tenant_id, roster.table.c.person_id.in_(wanted)
        )
    )
    return {r.person_id: PersonSnapshot.model_validate(r.snapshot) for r in found}


async def _bring_to(
    uow: UnitOfWorkFactory,
    access: CalendarAccess,
    conn: Connection,
    opened: dict[str, Any],
    row: _Claimed,
    spec: EventSpec | None,
    done: _Done,
) -> _Done:
    """Create, update or cancel, as the row asks; `done` grows as steps succeed, so a failure
    half way still records the handle it got."""

    async def store(tokens: OAuthTokens) -> None:
        async with uow() as work:
            await store_tokens(work.session, access, conn.id, tokens)
            await work.commit()

    key = idempotency_key(row.tenant_id, row.session.id, conn.id)
    handle = done.handle
    async with access.open(conn, opened, store) as provider:
        if row.cancel:
            if done.delivered_cancel or (handle is None and not done.create_sent):
                return _Done(handle, done.create_sent, True)  # nothing there to take back
            if handle is None:  # a create whose answer was lost: the key finds its event
                assert spec is not None
                handle = await provider.create_event(conn.calendar_id, spec, idempotency_key=key)
            await provider.cancel_event(handle, comment=_cancel_comment(row.session))
            return _Done(handle, True, True)
        assert spec is not None
        if handle is None or done.delivered_cancel:
            await _mark_create_sent(uow, row.id)
            # The same key answers the event already there (a cancelled one comes back).
            handle = await provider.create_event(conn.calendar_id, spec, idempotency_key=key)
        else:
            handle = await provider.update_event(handle, spec)
        return _Done(handle, True, False)


def _cancel_comment(session: SessionSnapshot) -> str:
    return "Cancelled in Cairn." if session.kind is not SessionKind.OFFICE_HOURS else "RSVP off."


async def _mark_create_sent(uow: UnitOfWorkFactory, push_id: int) -> None:
    """Before the create is sent: if its answer is lost, a later cancel still finds it."""
    async with uow() as work:
        await work.session.execute(
            update(pushes).where(pushes.c.id == push_id).values(create_sent=True)
        )
        await work.commit()


def _unchanged(row: _Claimed) -> Any:
    """The row still asks what was delivered (no newer change came in meanwhile)."""
    return (
        (pushes.c.id == row.id)
        & (pushes.c.revision == row.revision)
        & (pushes.c.cancel == row.cancel)
    )


def _progress(done: _Done | None, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"claimed_until": None, "updated_at": now}
    if done is not None:
        values |= {
            "handle": None if done.handle is None else _handle_json(done.handle),
            "create_sent": done.create_sent,
        }
    return values


async def _record_success(
    uow: UnitOfWorkFactory, row: _Claimed, conn: Connection, done: _Done, now: datetime
) -> None:
    async with uow() as work:
        synced = await work.session.execute(
            update(pushes)
            .where(_unchanged(row))
            .values(
                **_progress(done, now),
                state=CalendarSync.SYNCED.value,
                error=None,
                attempts=0,
                delivered_revision=row.revision,
                delivered_cancel=done.delivered_cancel,
            )
        )
        if synced.rowcount == 0:  # type: ignore[attr-defined]
            # Changed meanwhile: keep what exists there; the newer change stays PENDING.
            await work.session.execute(
                update(pushes)
                .where(pushes.c.id == row.id)
                .values(
                    **_progress(done, now),
                    delivered_revision=row.revision,
                    delivered_cancel=done.delivered_cancel,
                )
            )
        if conn.state is not CONNECTED:
            await mark(work.session, conn, None)
        await work.commit()


async def _record_failure(
    uow: UnitOfWorkFactory,
    row: _Claimed,
    conn: Connection,
    exc: ProviderError | NotReady,
    done: _Done | None,
    now: datetime,
) -> None:
    error = (exc.message if isinstance(exc, ProviderError) else str(exc))[:_MAX_ERROR]
    asked = exc.retry_after if isinstance(exc, ProviderUnavailable) else None
    wait = backoff(row.attempts + 1, asked)
    log.warning("calendar push %s (%s) failed: %s", row.id, conn.provider, error)
    async with uow() as work:
        failed = await work.session.execute(
            update(pushes)
            .where(_unchanged(row))
            .values(
                **_progress(done, now),
                state=CalendarSync.FAILED.value,
                error=f"{conn.provider}: {error}",
                attempts=row.attempts + 1,
                next_attempt_at=now + wait,
            )
        )
        if failed.rowcount == 0:  # type: ignore[attr-defined]
            await work.session.execute(
                update(pushes).where(pushes.c.id == row.id).values(**_progress(done, now))
            )
        if isinstance(exc, ProviderRejected) and "reconnect" in exc.message:
            await mark(work.session, conn, exc.message)
        await work.commit()


def _handle_json(handle: EventHandle) -> dict[str, Any]:
    return {**asdict(handle), "provider": handle.provider.value}


def _handle(data: dict[str, Any] | None) -> EventHandle | None:
    if data is None:
        return None
    return EventHandle(**{**data, "provider": ProviderName(data["provider"])})


def calendar_delivery(
    access: CalendarAccess, every: timedelta = timedelta(seconds=2)
) -> Callable[[ServiceProcess], Coroutine[Any, Any, None]]:
    """The process's worker: delivers what is due, then looks again after `every` when idle."""

    async def run(process: ServiceProcess) -> None:
        while True:
            try:
                delivered = await deliver_due(process.uow, access)
            except Exception:  # the database away for a moment: the next round tries again
                log.exception("calendar delivery round failed")
                delivered = 0
            if delivered == 0:
                await asyncio.sleep(every.total_seconds())

    return run
