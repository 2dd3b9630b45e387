"""Programs' subscription: a program's events as they happen (graphql-transport-ws).

The program is looked up as `Query.program` looks it up (the caller's tenant, through
profiles), so a program the caller may not see is NOT_FOUND; events are then taken from the
gateway's broadcast for that tenant and program only (`gateway.live`)."""

from collections.abc import AsyncGenerator

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.graphql.context import CairnContext
from gateway.graphql.errors import NotFound, SubscriberTooSlow, Unavailable
from gateway.graphql.ids import decode_id
from gateway.live.broadcast import TooSlow

DESCRIPTION = (
    "A program's events as they happen, while subscribed (graphql-transport-ws; the key or "
    "token in connection_init's payload, {authorization: 'Bearer …'}). Each is "
    "{id, type, occurredAt, programId, data: {enrollmentId, matchId, matchRunId, sessionId, "
    "actionItemId}}: the ids of what it concerns (null where it does not apply), never the "
    "people's details; query them by id. A subscriber that falls too far behind is ended "
    "with SUBSCRIBER_TOO_SLOW."
)


@strawberry.type
class ProgramsSubscription:
    @strawberry.subscription(description=DESCRIPTION)
    async def program_events(
        self, info: Info[CairnContext, None], program_id: strawberry.ID
    ) -> AsyncGenerator[JSON, None]:
        context = info.context
        key = decode_id("Program", program_id)
        found = await context.loaders.program_by_id.load(key) if key else None
        if key is None or found is None:
            raise NotFound("no such program", field="programId")
        if context.program_events is None:
            raise Unavailable("live events are not available on this gateway")
        with context.program_events.subscribe(context.caller.tenant_id, key) as events:
            try:
                async for event in events:
                    yield JSON(event.public())
            except TooSlow as exc:
                raise SubscriberTooSlow(f"the subscriber {exc}: subscribe again to go on") from exc
