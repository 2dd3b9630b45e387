"""The services' confirmations, from the gateway's one consumer: `person.erased` is profiles'
(it is emitted in the transaction that anonymised the person), `person.erasure_confirmed` each
other service's. Both are public events too, so each is also fanned out to webhooks."""

from contracts.people import PersonErased, PersonErasureConfirmed
from messaging.consumer import Handler, Received
from messaging.outbox import UnitOfWork

from gateway.erasure.forgetting import confirm
from gateway.webhooks.fanout import on_public_event

ERASURE_EVENT_TYPES = frozenset({PersonErased.event_type, PersonErasureConfirmed.event_type})


async def on_erasure_event(uow: UnitOfWork, received: Received) -> None:
    await on_public_event(uow, received)
    event = received.event
    if isinstance(event, PersonErased):
        await confirm(uow, received.tenant_id, event.person_id, "profiles")
    elif isinstance(event, PersonErasureConfirmed):
        await confirm(uow, received.tenant_id, event.person_id, event.service)


def erasure_handlers() -> dict[str, Handler]:
    return dict.fromkeys(sorted(ERASURE_EVENT_TYPES), on_erasure_event)
