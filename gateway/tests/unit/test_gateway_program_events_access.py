"""`Subscription.programEvents` goes through the access policy as queries do: end-user tokens
are refused (a program's events tell who enrolls and is matched), a key needs READ, and
nothing is asked of a service before that. A key with READ reaches the resolver, which finds
the program in the caller's tenant or answers NOT_FOUND."""

from typing import Any

import httpx
from gateway.access.principal import Principal, Scope
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.graphql.context import CairnContext
from gateway.graphql.ids import encode_id
from gateway.graphql.schema import schema
from gateway.live.broadcast import ProgramEventBroadcast
from service_auth.tokens import TokenMinter, generate_keypair

PRIVATE_KEY, _ = generate_keypair()
SUBSCRIBE = "subscription($id: ID!) { programEvents(programId: $id) }"
PROGRAM = encode_id("Program", "6f1c1d2e-8a0b-4c55-9d3e-1b2a3c4d5e6f")


async def first_answer(principal: Principal) -> tuple[list[str], list[str]]:
    """The error codes of the subscription's first answer, and the services' paths called."""
    called: list[str] = []

    def nobody(request: httpx.Request) -> httpx.Response:
        called.append(request.url.path)
        return httpx.Response(200, json={"items": []})

    async with httpx.AsyncClient(transport=httpx.MockTransport(nobody)) as http:
        minter = TokenMinter(PRIVATE_KEY)
        clients = {
            name: ServiceClient(http, f"http://{name}", name, minter)
            for name in ("profiles", "matching", "sessions", "feedback")
        }
        context = CairnContext(
            caller=principal.caller(),
            upstreams=Upstreams(**clients),
            principal=principal,
            program_events=ProgramEventBroadcast(),
        )
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
