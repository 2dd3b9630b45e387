"""`Subscription.programEvents` goes through the access policy as queries do: end-user tokens
are refused (a program's events tell who enrolls and is matched), a key needs READ, and
nothing is asked of a service before that. A key with READ reaches the resolver, which finds
the program in the caller's tenant or answers NOT_FOUND, then streams its tenant's program's
events, until the subscriber falls a queue behind (SUBSCRIBER_TOO_SLOW)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from contracts.internal.programs import ProgramView
from contracts.pages import Items
from contracts.programs import (
    CurriculumSnapshot,
    EligibilitySnapshot,
    EnrollmentWindowSnapshot,
    MatchingPolicyTerms,
    ProgramKind,
    ProgramStatus,
)
from devstack.pytest_plugin import eventually
from gateway.access.principal import Principal, Scope
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import encode_id
from gateway.graphql.schema import schema
from gateway.live.broadcast import ProgramEventBroadcast
from gateway.live.events import ProgramEvent
from service_auth.tokens import TokenMinter, generate_keypair

PRIVATE_KEY, _ = generate_keypair()
SUBSCRIBE = "subscription($id: ID!) { programEvents(programId: $id) }"
KEY = "6f1c1d2e-8a0b-4c55-9d3e-1b2a3c4d5e6f"
PROGRAM = encode_id("Program", KEY)
READER = Principal("t1", key_id="k1", scopes=frozenset({Scope.READ}))
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def program(key: str) -> ProgramView:
    return ProgramView(
        id=key,
        name="Live Circle",
        kind=ProgramKind.ONE_ON_ONE,
        status=ProgramStatus.MATCHING,
        description=None,
        starts_on=None,
        ends_on=None,
        objectives=[],
        curriculum=CurriculumSnapshot(
            cadence="FREQ=WEEKLY;COUNT=6", session_minutes=45, modules=[]
        ),
        matching_policy=MatchingPolicyTerms().snapshot(),
        enrollment_window=EnrollmentWindowSnapshot(opens_at=None, closes_at=None),
        eligibility=EligibilitySnapshot(levels=[], departments=[], roles=[]),
        revision=1,
        updated_at=NOW,
        created_at=NOW,
    )


@asynccontextmanager
async def context_for(
    principal: Principal, called: list[str], programs: list[ProgramView] | None = None
) -> AsyncIterator[CairnContext]:
    """A context whose profiles knows `programs` (none by default) and logs what is called."""

    def profiles(request: httpx.Request) -> httpx.Response:
        called.append(request.url.path)
        return httpx.Response(
            200, content=Items[ProgramView](items=programs or []).model_dump_json(by_alias=True)
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(profiles)) as http:
        minter = TokenMinter(PRIVATE_KEY)
        clients = {
            name: ServiceClient(http, f"http://{name}", name, minter)
            for name in ("profiles", "matching", "sessions", "feedback")
        }
        yield CairnContext(
            caller=principal.caller(),
            upstreams=Upstreams(**clients),
            principal=principal,
            program_events=ProgramEventBroadcast(capacity=2),
        )


async def first_answer(principal: Principal) -> tuple[list[str], list[str]]:
    """The error codes of the subscription's first answer, and the services' paths called."""
    called: list[str] = []
    async with context_for(principal, called) as context:
        stream: Any = await schema.subscribe(
            SUBSCRIBE, variable_values={"id": PROGRAM}, context_value=context
        )
        if hasattr(stream, "__anext__"):
            result = await anext(stream)
            await stream.aclose()
        else:
            result = stream
    return [str((e.extensions or {}).get("code")) for e in result.errors or ()], called


async def test_end_user_tokens_are_refused_before_anything_is_asked() -> None:
    codes, called = await first_answer(Principal("t1", person_id="p1", issuer_id="i1"))
    assert codes == ["FORBIDDEN"] and called == []


async def test_a_key_needs_read() -> None:
    codes, called = await first_answer(
        Principal("t1", key_id="k1", scopes=frozenset({Scope.WRITE}))
    )
    assert codes == ["FORBIDDEN"] and called == []


async def test_a_program_the_tenant_does_not_have_is_not_found() -> None:
    codes, called = await first_answer(Principal("t1", key_id="k1", scopes=frozenset({Scope.READ})))
    assert codes == ["NOT_FOUND"]
    assert called and all(path.startswith("/internal/programs") for path in called)


def happened(tenant_id: str, n: int) -> ProgramEvent:
    return ProgramEvent(
        id=f"e{n}", type="program.updated", occurred_at=NOW, tenant_id=tenant_id, program_id=KEY
    )


async def test_the_programs_events_stream_until_the_subscriber_falls_behind() -> None:
    async with context_for(READER, [], [program(KEY)]) as context:
        stream: Any = await schema.subscribe(
            SUBSCRIBE, variable_values={"id": PROGRAM}, context_value=context
        )
        first = asyncio.ensure_future(anext(stream))
        broadcast = context.program_events
        assert broadcast is not None

        async def listening() -> bool:  # the program is looked up, then it listens
            return broadcast.subscribers() == 1

        await eventually(listening, timeout_s=5, every_s=0.01)
        broadcast.publish(happened("t2", 0))  # another tenant's program of the same key
        broadcast.publish(happened("t1", 1))
        result = await asyncio.wait_for(first, 5)
        assert result.errors is None
        assert result.data["programEvents"]["id"] == "e1"
        assert result.data["programEvents"]["programId"] == PROGRAM
        for n in range(2, 5):  # capacity 2: the third unread event drops it
            broadcast.publish(happened("t1", n))
        codes = []
        async for result in stream:
            codes += [e.extensions["code"] for e in result.errors or ()]
        assert codes == ["SUBSCRIBER_TOO_SLOW"]
        assert broadcast.subscribers() == 0
