"""/graphql as the gateway serves it, driven over ASGI: a query over its budget is refused
before any service is called (and its turn kept a while, slowing down a tenant that insists);
a query past its deadline, or whose client went away, has its service calls cancelled; a
tenant over its concurrency waits briefly, then gets RATE_LIMITED with Retry-After, while
another tenant is served. The services are stubs behind an httpx
MockTransport; the router, context, schema and service clients are the real ones."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from contracts.pages import Connection, Edge
from contracts.people import PersonView
from fastapi import FastAPI, Request
from gateway.access.principal import ALL_SCOPES, Principal
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.config import GatewaySettings
from gateway.entrypoints.graphql_route import authenticated_caller, graphql_router
from service_auth.tokens import TokenMinter, generate_keypair

PRIVATE_KEY, _ = generate_keypair()
BOMB = (
    "{"
    + " ".join(
        f"a{i}: people(first:100){{edges{{node{{history{{field}} managers{{id}} matches{{id}} "
        f"reports(first:100){{totalCount}}}}}}}}"
        for i in range(30)
    )
    + "}"
)


@dataclass
class SlowProfiles:
    """profiles answering /internal/people after `delay_s` (or when released)."""

    delay_s: float = 0.0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    calls: int = 0
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Queue[None] = field(default_factory=asyncio.Queue)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.arrived.put_nowait(None)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            else:
                await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        empty = Connection[Edge[PersonView]](edges=[], total_count=0, has_next_page=False)
        return httpx.Response(200, content=empty.model_dump_json(by_alias=True))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., FastAPI]]:
    clients: list[httpx.AsyncClient] = []

    def app(profiles: SlowProfiles, **settings: Any) -> FastAPI:
        http = httpx.AsyncClient(transport=httpx.MockTransport(profiles.handle))
        clients.append(http)
        minter = TokenMinter(PRIVATE_KEY)
        served = FastAPI()
        served.include_router(graphql_router())
        served.state.settings = GatewaySettings(service_token_private_key=PRIVATE_KEY, **settings)
        served.state.upstreams = Upstreams(
            profiles=ServiceClient(http, "http://profiles", "profiles", minter),
            matching=ServiceClient(http, "http://matching", "matching", minter),
            sessions=ServiceClient(http, "http://sessions", "sessions", minter),
            feedback=ServiceClient(http, "http://feedback", "feedback", minter),
        )

        async def caller(request: Request) -> Principal:  # the API key check, in short
            return Principal(request.headers["x-tenant"], key_id="1", scopes=ALL_SCOPES)

        served.dependency_overrides[authenticated_caller] = caller
        return served

    yield app
    for http in clients:
        await http.aclose()


async def post(
    app: FastAPI, query: str, *, tenant: str = "t1", leave_after_s: float | None = None
) -> Answer:
    """One POST /graphql over ASGI; the client disconnects after `leave_after_s` if given."""
    body = json.dumps({"query": query}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-tenant", tenant.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    gone = asyncio.Event()
    if leave_after_s is not None:
        asyncio.get_running_loop().call_later(leave_after_s, gone.set)
    delivered = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(
        status=start["status"],
        headers={k.decode(): v.decode() for k, v in start["headers"]},
        body=json.loads(content),
    )


async def test_the_cost_bomb_is_refused_before_any_service_is_called(
    serve: Callable[..., FastAPI],
) -> None:
    profiles = SlowProfiles(delay_s=0.01)
    answer = await post(serve(profiles), BOMB)
    [error] = answer.body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 393_000, "budget": 10_000}
    assert "393000" in error["message"]
    assert answer.body["data"] is None
    assert answer.body["extensions"]["cost"] == {"requestedQueryCost": 393_000, "budget": 10_000}
    assert profiles.calls == 0


async def test_the_budget_is_a_setting_and_answers_report_their_cost(
    serve: Callable[..., FastAPI],
) -> None:
    profiles = SlowProfiles(delay_s=0.001)
    app = serve(profiles, graphql_max_cost=5)
    refused = await post(app, "{ people(first: 6) { totalCount } }")
    assert refused.body["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": 6,
        "budget": 5,
    }
    answered = await post(app, "{ people(first: 5) { totalCount } }")
    assert answered.body == {
        "data": {"people": {"totalCount": 0}},
        "extensions": {"cost": {"requestedQueryCost": 5, "budget": 5}},
    }
    assert profiles.calls == 1


async def test_a_query_past_its_deadline_is_stopped_and_its_calls_cancelled(
    serve: Callable[..., FastAPI],
) -> None:
    profiles = SlowProfiles(delay_s=30)
    app = serve(profiles, graphql_deadline_s=0.2)
    started = asyncio.get_running_loop().time()
    answer = await post(app, "{ people(first: 5) { totalCount } }")
    assert asyncio.get_running_loop().time() - started < 2
    [error] = answer.body["errors"]
    assert error["extensions"] == {"code": "UNAVAILABLE"}
    assert "did not finish within 0.2 s" in error["message"]
    assert answer.status == 200
    assert profiles.cancelled.is_set()


async def test_a_query_whose_client_went_away_is_stopped_and_its_calls_cancelled(
    serve: Callable[..., FastAPI],
) -> None:
    profiles = SlowProfiles(delay_s=30)
    app = serve(profiles, graphql_deadline_s=30)
    started = asyncio.get_running_loop().time()
    await post(app, "{ people(first: 5) { totalCount } }", leave_after_s=0.1)
    assert asyncio.get_running_loop().time() - started < 2
    assert profiles.cancelled.is_set()


async def test_a_tenant_over_its_concurrency_is_rate_limited_and_others_are_served(
    serve: Callable[..., FastAPI],
) -> None:
    profiles = SlowProfiles()  # answers when released
    app = serve(profiles, graphql_tenant_concurrency=2, graphql_tenant_queue_s=0.05)
    busy = [
        asyncio.create_task(post(app, "{ people(first: 1) { totalCount } }", tenant="busy"))
        for _ in range(2)
    ]
    for _ in busy:  # both are running: their calls arrived
        await profiles.arrived.get()

    refused = await post(app, "{ __typename }", tenant="busy")
    assert refused.status == 429
    assert refused.headers["retry-after"] == "1"
    [error] = refused.body["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
    assert "2 queries at once" in error["message"]

    other = await post(app, "{ __typename }", tenant="other")
    assert other.body["data"] == {"__typename": "Query"}

    profiles.release.set()
    for answer in await asyncio.gather(*busy):
        assert answer.body["data"] == {"people": {"totalCount": 0}}
    again = await post(app, "{ __typename }", tenant="busy")
    assert again.status == 200


async def test_a_tenant_sending_refused_queries_is_slowed_down_not_others(
    serve: Callable[..., FastAPI],
) -> None:
    app = serve(
        SlowProfiles(delay_s=0.001),
        graphql_tenant_concurrency=2,
        graphql_tenant_queue_s=0.05,
        # Long enough that a loaded machine answers the three requests within it (0.3 s failed
        # at random on a busy CI machine).
        graphql_refusal_hold_s=2.0,
    )
    for _ in range(2):  # each refusal answers at once, and keeps its turn
        refused = await post(app, BOMB, tenant="bomber")
        assert refused.body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    third = await post(app, BOMB, tenant="bomber")
    assert third.status == 429
    assert third.body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (await post(app, "{ __typename }", tenant="other")).status == 200
    await asyncio.sleep(2.1)  # the kept turns are given back
    assert (await post(app, "{ __typename }", tenant="bomber")).status == 200


async def test_a_subscription_over_http_is_sent_to_the_websocket(
    serve: Callable[..., FastAPI],
) -> None:
    profiles = SlowProfiles(delay_s=0.01)
    query = 'subscription { programEvents(programId: "x") }'
    answer = await post(serve(profiles), query)
    [error] = answer.body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "websocket" in error["message"]
    assert profiles.calls == 0


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ('{ person(externalId: "a\\u0000b") { id } }', "externalId"),
    ],
)
async def test_text_no_database_stores_in_a_literal_is_refused_naming_the_argument(
    serve: Callable[..., FastAPI], query: str, named: str
) -> None:
    """Schemathesis sent `createApiKey(input: {name: "ZL\\u0000…"})`: clean JSON around a
    GraphQL escape, which reached PostgreSQL as a 500. Refused before any call now."""
    profiles = SlowProfiles(delay_s=0.001)
    answer = await post(serve(profiles), query)
    [error] = answer.body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"].startswith(f"{named}: must not contain")
    assert profiles.calls == 0
