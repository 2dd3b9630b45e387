"""A person's calendar feed (the internal provider): an unguessable token, shown once, whose
digest alone names tenant and person; rotating replaces it, revoking removes it. The feed is
every session the person attends that has a time (UNSCHEDULED ones have none yet), cancelled
ones included with STATUS:CANCELLED so subscribed calendars drop them; UID is the session's
and never changes, SEQUENCE is its revision, so every change replaces the copy before."""

from datetime import datetime
from zoneinfo import ZoneInfo

from contracts.internal.sessions import CalendarFeedView
from contracts.people import PersonSnapshot
from contracts.sessions import SessionStatus
from messaging.outbox import UnitOfWork
from runtime.refusals import Refused, not_found
from sqlmodel.ext.asyncio.session import AsyncSession

from sessions.adapters.calendars.feed_tokens import check_feed_token, issue_feed_token
from sessions.adapters.calendars.feed_tokens import feed_token_digest as digest_of
from sessions.adapters.calendars.ics import EventStatus, SessionEvent, person_feed, session_uid
from sessions.adapters.calendars.model import Participant, Partstat
from sessions.adapters.people import People, feed_owner
from sessions.adapters.replicas import Replicas
from sessions.adapters.sessions import Sessions
from sessions.domain.lifecycle import Session
from sessions.service_layer.availability import zone_of

NO_EMAIL = "unknown.invalid"


async def issue(uow: UnitOfWork, tenant_id: str, person_id: str, now: datetime) -> CalendarFeedView:
    """A new token for the person's feed; any earlier one stops working."""
    await _known(uow, tenant_id, person_id)
    issued = issue_feed_token()
    await People(uow.session, tenant_id).keep_feed_digest(person_id, issued.digest, now)
    return CalendarFeedView(token=issued.token, path=f"/calendar/{issued.token}.ics")


async def revoke(uow: UnitOfWork, tenant_id: str, person_id: str) -> None:
    await _known(uow, tenant_id, person_id)
    if not await People(uow.session, tenant_id).revoke_feed(person_id):
        raise not_found("calendar feed")


async def feed(db: AsyncSession, token: str) -> bytes:
    """The feed a token opens; any token that opens none (malformed, revoked, made up) is
    the same 404, so which feeds exist never leaks."""
    try:
        digest = digest_of(token)
    except Refused:
        raise not_found("calendar feed") from None
    owner = await feed_owner(db, digest)
    if owner is None:
        raise not_found("calendar feed")
    check_feed_token(token, digest)
    tenant_id, person_id = owner.tenant_id, owner.person_id
    sessions = (await Sessions(db, tenant_id).of_people([person_id], None, None))[person_id]
    shown = [s for s in sessions if s.status is not SessionStatus.UNSCHEDULED]
    everyone = list(dict.fromkeys(p for s in shown for p in s.attendee_ids))
    people = await Replicas(db, tenant_id).people([person_id, *everyone])
    zone = await zone_of(db, tenant_id, person_id)
    owner_person = people.get(person_id)
    name = owner_person.display_name if owner_person is not None else person_id
    return person_feed([_event(s, people, person_id, zone) for s in shown], owner_name=name)


def _event(s: Session, people: dict[str, PersonSnapshot], me: str, zone: ZoneInfo) -> SessionEvent:
    title = f"Mentoring: {s.module_title}" if s.module_title else "Mentoring session"
    return SessionEvent(
        uid=session_uid(s.id),
        sequence=s.revision,
        status=EventStatus.CANCELLED
        if s.status is SessionStatus.CANCELLED
        else EventStatus.CONFIRMED,
        title=title,
        start=s.starts_at,
        end=s.ends_at,
        organizer=_participant(people, s.host_id),
        attendees=tuple(
            (
                _participant(people, p),
                Partstat.ACCEPTED if p in (me, s.host_id) else Partstat.NEEDS_ACTION,
            )
            for p in s.attendee_ids
        ),
        stamp=s.updated_at,
        zone=zone,
        description=s.cancelled_reason or "",
        session_id=s.id,
    )


def _participant(people: dict[str, PersonSnapshot], person_id: str) -> Participant:
    person = people.get(person_id)
    if person is not None:
        try:
            return Participant(person.email, person.display_name)
        except Refused:  # an HR email the calendar format cannot carry
            pass
    return Participant(f"{person_id}@{NO_EMAIL}", None)


async def _known(uow: UnitOfWork, tenant_id: str, person_id: str) -> None:
    if not await Replicas(uow.session, tenant_id).people([person_id]):
        raise not_found("person")
