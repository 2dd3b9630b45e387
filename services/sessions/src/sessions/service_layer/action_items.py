"""Action items: added in a session by anyone attending it (or an admin), owned by one of its
attendees, done once. The open ones appear on the agenda of the match's later sessions."""

import uuid
from datetime import date, datetime

from contracts.sessions import ActionItemCompleted, ActionItemCreated, ActionItemSnapshot
from messaging.outbox import UnitOfWork
from runtime.refusals import invalid, not_found

from sessions.adapters.action_items import ActionItems
from sessions.domain.lifecycle import Actor
from sessions.service_layer.scheduling import session_or_404

MAX_TEXT = 1000


async def add(
    uow: UnitOfWork,
    tenant_id: str,
    session_id: str,
    owner_id: str,
    text: str,
    due_on: date | None,
    actor: Actor,
    now: datetime,
) -> ActionItemSnapshot:
    session = await session_or_404(uow, tenant_id, session_id)
    if actor.person_id is not None and actor.person_id not in session.attendee_ids:
        raise invalid("actorId", "this person does not attend the session")
    if owner_id not in session.attendee_ids:
        raise invalid("ownerId", "the owner must attend the session")
    body = text.strip()
    if not body or len(body) > MAX_TEXT:
        raise invalid("text", f"say what is to be done, in 1 to {MAX_TEXT} characters")
    item = ActionItemSnapshot(
        id=f"ai_{uuid.uuid4().hex}",
        program_id=session.program_id,
        session_id=session.id,
        match_ids=list(session.match_ids),
        owner_id=owner_id,
        text=body,
        due_on=due_on,
        done=False,
        done_at=None,
        revision=1,
        updated_at=now,
    )
    await ActionItems(uow.session, tenant_id).add(item, now)
    await uow.emit(ActionItemCreated(action_item=item), tenant_id=tenant_id)
    return item


async def complete(
    uow: UnitOfWork, tenant_id: str, item_id: str, actor: Actor, now: datetime
) -> ActionItemSnapshot:
    """Done; completing it again changes nothing."""
    items = ActionItems(uow.session, tenant_id)
    item = await items.get(item_id)
    if item is None:
        raise not_found("action item")
    if actor.person_id is not None:
        session = await session_or_404(uow, tenant_id, item.session_id)
        if actor.person_id not in session.attendee_ids:
            raise invalid("actorId", "this person does not attend the item's session")
    if item.done:
        return item
    done = item.model_copy(
        update={"done": True, "done_at": now, "revision": item.revision + 1, "updated_at": now}
    )
    await items.save(done)
    await uow.emit(ActionItemCompleted(action_item=done), tenant_id=tenant_id)
    return done
