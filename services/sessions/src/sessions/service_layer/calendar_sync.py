"""The seam between sessions and people's connected calendars (S1 calls, S3 owns):

- `enqueue_pushes`: in the SAME transaction as a session change, one push row per attendee
  with a connected calendar; `calendar_delivery` delivers them with backoff.
- `busy_for`: connected calendars' free/busy through the provider adapters; a calendar that
  cannot be read is `Unknown` with the reason, never free.
- `sync_states`: where each session stands in each attendee's calendars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from contracts.sessions import CalendarSync, SessionKind, SessionSnapshot
from messaging.outbox import utcnow
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sessions.adapters.calendar_tables import calendar_connection as connections
from sessions.adapters.calendar_tables import calendar_push as pushes
from sessions.adapters.calendars.model import ProviderError, ProviderName, ProviderRejected
from sessions.adapters.calendars.oauth import OAuthTokens
from sessions.adapters.office_hours_tables import office_hours_rsvp as rsvps
from sessions.adapters.tables import roster
from sessions.domain.intervals import Interval
from sessions.domain.slots import Busy, Unknown
from sessions.service_layer.calendar_accounts import (
    CONNECTED,
    CalendarAccess,
    Connection,
    connections_of,
    credentials,
    installed,
    mark,
    store_tokens,
)


@dataclass(frozen=True)
class SyncRow:
    """One attendee's calendar and how the session stands there (SessionOut.sync)."""

    person_id: str
    provider: str
    state: CalendarSync
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "provider": self.provider,
            "state": self.state.value,
            "error": self.error,
        }


async def enqueue_pushes(
    db: AsyncSession,
    tenant_id: str,
    session: SessionSnapshot,
    attendee_ids: Sequence[str],
    cancel: bool,
) -> None:
    """Ask for `session` as it now stands (or, with `cancel`, its removal) in the connected
    calendars of `attendee_ids` (of office hours: and of the mentees holding a seat), in the
    caller's transaction: the change and its pushes commit together or not at all. A row's
    wanted state is replaced by a newer revision only (one arriving late changes nothing);
    the event handle already known is kept."""
    recipients = list(attendee_ids)
    if session.kind is SessionKind.OFFICE_HOURS:
        recipients += await _seated(db, tenant_id, session.id)
    await push_to(db, tenant_id, session, recipients, cancel)


async def _seated(db: AsyncSession, tenant_id: str, session_id: str) -> list[str]:
    rows = await db.execute(
        select(rsvps.c.person_id).where(
            rsvps.c.tenant_id == tenant_id,
            rsvps.c.session_id == session_id,
            rsvps.c.status == "CONFIRMED",
        )
    )
    return [r.person_id for r in rows]


def _as_shown_to(session: SessionSnapshot, person_id: str) -> SessionSnapshot:
    """Office hours list only the host and the person whose calendar it is: mentees do not
    see who else comes."""
    if session.kind is not SessionKind.OFFICE_HOURS:
        return session
    shown = [session.host_id] + ([person_id] if person_id != session.host_id else [])
    return session.model_copy(update={"attendee_ids": shown})


async def push_to(
    db: AsyncSession,
    tenant_id: str,
    session: SessionSnapshot,
    attendee_ids: Sequence[str],
    cancel: bool,
) -> None:
    """`enqueue_pushes` for exactly these people (one mentee's RSVP, say)."""
    conns = await connections_of(db, tenant_id, list(dict.fromkeys(attendee_ids)))
    if not conns:
        return
    existing = {
        r.connection_id: r.revision
        for r in await db.execute(
            select(pushes.c.connection_id, pushes.c.revision).where(
                pushes.c.tenant_id == tenant_id,
                pushes.c.session_id == session.id,
                pushes.c.connection_id.in_([c.id for c in conns]),
            )
        )
    }
    now = utcnow()
    wanted = {
        "revision": session.revision,
        "cancel": cancel,
        "state": CalendarSync.PENDING.value,
        "error": None,
        "attempts": 0,
        "next_attempt_at": now,
        "updated_at": now,
    }
    for conn in conns:
        shown = {"session": _as_shown_to(session, conn.person_id).model_dump(mode="json")}
        if conn.id in existing:
            await db.execute(
                update(pushes)
                .where(
                    pushes.c.tenant_id == tenant_id,
                    pushes.c.session_id == session.id,
                    pushes.c.connection_id == conn.id,
                    pushes.c.revision <= session.revision,
                )
                .values(**wanted, **shown)
            )
        elif not cancel:  # nothing was ever sent there: nothing to take back
            await db.execute(
                pushes.insert().values(
                    tenant_id=tenant_id,
                    session_id=session.id,
                    person_id=conn.person_id,
                    connection_id=conn.id,
                    handle=None,
                    create_sent=False,
                    delivered_revision=None,
                    delivered_cancel=False,
                    claimed_until=None,
                    **wanted,
                    **shown,
                )
            )


async def busy_for(
    db: AsyncSession,
    tenant_id: str,
    person_ids: Sequence[str],
    window: Interval,
    *,
    access: CalendarAccess | None = None,
) -> dict[str, Busy | Unknown]:
    """Each person's busy times in `window` from their connected calendars: `Busy(())` for a
    person with none (Cairn's own sessions are the caller's to add), `Unknown` with the reason
    when any of their calendars cannot be read. `access`: the process's when not given."""
    result: dict[str, Busy | Unknown] = {p: Busy(()) for p in person_ids}
    conns = await connections_of(db, tenant_id, list(result))
    access = access or installed()
    for conn in conns:
        found = await _availability(db, access, conn, window)
        result[conn.person_id] = _together(result[conn.person_id], found)
    return result


async def _availability(
    db: AsyncSession, access: CalendarAccess | None, conn: Connection, window: Interval
) -> Busy | Unknown:
    if access is None:
        return Unknown(f"{conn.provider} calendar: providers are not configured in this process")
    try:
        calendar = await _free_busy_calendar(db, conn)
        opened = await credentials(db, access.sealer, conn)

        async def store(tokens: OAuthTokens) -> None:
            await store_tokens(db, access, conn.id, tokens)

        async with access.open(conn, opened, store) as provider:
            answer = await provider.free_busy([calendar], window)
    except ProviderRejected as exc:
        await mark(db, conn, exc.message)
        return Unknown(f"{conn.provider} calendar: {exc.message}")
    except ProviderError as exc:
        return Unknown(f"{conn.provider} calendar: {exc.message}")
    if conn.state != CONNECTED:
        await mark(db, conn, None)
    found = answer.availability([calendar])
    if isinstance(found, Unknown):
        return Unknown(f"{conn.provider} calendar: {found.why}")
    return found


async def _free_busy_calendar(db: AsyncSession, conn: Connection) -> str:
    """Graph asks schedules by address: "me" is the person's email from the roster."""
    if conn.provider is not ProviderName.MICROSOFT or conn.calendar_id != "me":
        return conn.calendar_id
    snapshot = (
        await db.execute(
            select(roster.table.c.snapshot).where(
                roster.table.c.tenant_id == conn.tenant_id,
                roster.table.c.person_id == conn.person_id,
            )
        )
    ).scalar_one_or_none()
    if snapshot is None or not snapshot.get("email"):
        raise ProviderRejected(conn.provider, f"no email known for {conn.person_id} yet")
    return str(snapshot["email"])


def _together(a: Busy | Unknown, b: Busy | Unknown) -> Busy | Unknown:
    """Two calendars of one person: unknown if either is (both reasons), else both busy."""
    if isinstance(a, Unknown) and isinstance(b, Unknown):
        return Unknown(f"{a.why}; {b.why}")
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return a if isinstance(a, Unknown) else b
    return Busy(a.intervals + b.intervals)


async def sync_states(
    db: AsyncSession, tenant_id: str, session_ids: Sequence[str]
) -> dict[str, list[SyncRow]]:
    """Every session asked for (none synced: an empty list), its calendars by person."""
    out: dict[str, list[SyncRow]] = {s: [] for s in session_ids}
    if not out:
        return out
    rows = await db.execute(
        select(pushes.c.session_id, pushes.c.person_id, pushes.c.state, pushes.c.error)
        .add_columns(connections.c.provider)
        .join(connections, connections.c.id == pushes.c.connection_id)
        .where(pushes.c.tenant_id == tenant_id, pushes.c.session_id.in_(list(out)))
        .order_by(pushes.c.session_id, pushes.c.person_id, connections.c.provider)
    )
    for r in rows:
        out[r.session_id].append(SyncRow(r.person_id, r.provider, CalendarSync(r.state), r.error))
    return out
