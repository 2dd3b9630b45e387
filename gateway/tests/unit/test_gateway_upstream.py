"""Service calls: answers parsed once into contract models, a refusal into `Problem`, and what
each failure becomes in GraphQL (UNAVAILABLE; BAD_USER_INPUT for a query, the Problem for a
mutation). Every key put in a path stays one path segment."""

from collections.abc import AsyncIterator, Callable
from urllib.parse import unquote

import httpx
import pytest
from contracts.pages import Items
from contracts.people import PersonStatus, PersonView
from contracts.problems import Code, FieldError, Problem
from gateway.adapters.upstream import (
    ServiceClient,
    UpstreamAnswerUnreadable,
    UpstreamRejected,
    UpstreamUnavailable,
    path,
)
from gateway.graphql.errors import BadUserInput, Unavailable
from gateway.graphql.upstream import Service
from hypothesis import given
from hypothesis import strategies as st
from service_auth.tokens import Caller, TokenMinter, TokenVerifier, generate_keypair

CALLER = Caller("tenant-1", "apikey:1")
ADA = PersonView(
    id="p1",
    email="ada@example.com",
    display_name="Ada",
    time_zone="UTC",
    status=PersonStatus.ACTIVE,
)
REFUSAL = Problem(
    title="Conflict",
    status=409,
    detail="after: is not a cursor this list gave",
    errors=[FieldError(field="after", message="is not a cursor this list gave")],
    code=Code.CONFLICT,
)
KEYPAIR = generate_keypair()

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
async def answering() -> AsyncIterator[Callable[[Handler], ServiceClient]]:
    clients: list[httpx.AsyncClient] = []

    def client(handler: Handler) -> ServiceClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        clients.append(http)
        return ServiceClient(http, "http://profiles/", "profiles", TokenMinter(KEYPAIR[0]))

    yield client
    for http in clients:
        await http.aclose()


def respond(status: int, body: str = "", content_type: str = "application/json") -> Handler:
    return lambda _: httpx.Response(status, text=body, headers={"content-type": content_type})


async def test_an_answer_is_parsed_into_the_model_asked_for(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [ADA.model_dump(mode="json", by_alias=True)]})

    answer = await answering(handler).call(
        "GET", "/internal/people", CALLER, Items[PersonView], params={"first": 5, "after": None}
    )
    assert answer == Items[PersonView](items=[ADA])
    [request] = seen
    assert str(request.url) == "http://profiles/internal/people?first=5"  # None left out
    token = request.headers["authorization"].removeprefix("Bearer ")
    assert TokenVerifier(KEYPAIR[1], "profiles").verify(token).tenant_id == "tenant-1"


async def test_not_found_is_none(answering: Callable[[Handler], ServiceClient]) -> None:
    client = answering(respond(404, '{"title": "Not Found", "status": 404}'))
    assert await client.call("GET", "/internal/people/x", CALLER, PersonView) is None


async def test_a_refusal_is_its_problem(answering: Callable[[Handler], ServiceClient]) -> None:
    client = answering(respond(409, REFUSAL.model_dump_json(by_alias=True)))
    with pytest.raises(UpstreamRejected) as raised:
        await client.call("POST", "/internal/programs/x/close", CALLER, PersonView)
    assert raised.value.problem == REFUSAL
    assert str(raised.value) == REFUSAL.detail


async def test_a_refusal_that_is_no_problem_json_still_says_what_came(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    client = answering(respond(413, "body too large", "text/plain"))
    with pytest.raises(UpstreamRejected) as raised:
        await client.call("POST", "/internal/people/batch", CALLER, PersonView)
    problem = raised.value.problem
    assert (problem.status, problem.title, problem.detail, problem.code) == (
        413,
        "Request Entity Too Large",
        "body too large",
        None,
    )


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_failing_service_is_unavailable(
    answering: Callable[[Handler], ServiceClient], status: int
) -> None:
    with pytest.raises(UpstreamUnavailable):
        await answering(respond(status, "oops")).call("GET", "/x", CALLER, PersonView)


async def test_an_unreachable_service_is_unavailable(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(UpstreamUnavailable, match="profiles unreachable"):
        await answering(refuse).call("GET", "/x", CALLER, PersonView)


async def test_an_answer_outside_the_contract_is_a_fault_naming_the_call(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    client = answering(respond(200, '{"id": "p1", "email": "ada@example.com"}'))
    with pytest.raises(
        UpstreamAnswerUnreadable, match=r"GET /internal/people/p1 with no PersonView"
    ):
        await client.call("GET", "/internal/people/p1", CALLER, PersonView)


async def test_a_query_reports_a_refusal_as_bad_user_input_naming_the_field(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    service = Service(answering(respond(422, REFUSAL.model_dump_json(by_alias=True))), CALLER)
    with pytest.raises(BadUserInput) as raised:
        await service.read(Items[PersonView], "/internal/people")
    assert raised.value.message == "after: is not a cursor this list gave"
    assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_a_mutation_gets_the_refusal_itself(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    service = Service(answering(respond(409, REFUSAL.model_dump_json(by_alias=True))), CALLER)
    assert await service.change(PersonView, "POST", "/internal/x/{}", "k") == REFUSAL


@pytest.mark.parametrize("mutation", [False, True])
async def test_an_unavailable_service_is_unavailable_to_queries_and_mutations(
    answering: Callable[[Handler], ServiceClient], mutation: bool
) -> None:
    service = Service(answering(respond(503)), CALLER)
    with pytest.raises(Unavailable) as raised:
        if mutation:
            await service.change(PersonView, "POST", "/internal/people")
        else:
            await service.read(PersonView, "/internal/people")
    assert raised.value.extensions == {"code": "UNAVAILABLE"}
    assert raised.value.message == "profiles is unavailable; retry shortly"


async def test_every_key_is_sent_as_one_path_segment(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404)

    service = Service(answering(handler), CALLER)
    await service.read(PersonView, "/internal/people/{}/history", "../programs?x=1#top")
    await service.read(PersonView, "/internal/people/{}/history", "..")
    assert [r.url.raw_path for r in seen] == [
        b"/internal/people/%2E%2E%2Fprograms%3Fx%3D1%23top/history",
        b"/internal/people/%2E%2E/history",
    ]
    assert seen[0].url.params == httpx.QueryParams()


@given(key=st.text(min_size=1) | st.sampled_from([".", "..", "a/..", "%2E", "?", "#"]))
def test_a_quoted_key_is_one_segment_that_unquotes_to_the_key(key: str) -> None:
    built = path("/internal/people/{}/history", key)
    assert httpx.URL(f"http://profiles{built}").raw_path.decode() == built  # nothing normalized
    segments = built.split("/")
    assert segments[:3] == ["", "internal", "people"]
    assert segments[4:] == ["history"]
    assert not set("?#.") & set(segments[3])
    assert unquote(segments[3]) == key


async def test_the_client_builds_every_path_from_quoted_keys(
    answering: Callable[[Handler], ServiceClient],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404)

    client = answering(handler)
    # The attack of issue 9 (finding 3): an id decoding to a path into another resource.
    attack = "../enrollments/e1/withdraw?x="
    assert (
        await client.call("POST", "/internal/programs/{}/close", CALLER, PersonView, keys=[attack])
        is None
    )
    await client.send(
        "POST", "/internal/{}/x", CALLER, keys=["a/b"], content=b"", content_type="text/csv"
    )
    assert [r.url.raw_path for r in seen] == [
        b"/internal/programs/%2E%2E%2Fenrollments%2Fe1%2Fwithdraw%3Fx%3D/close",
        b"/internal/a%2Fb/x",
    ]
    assert [r.url.params for r in seen] == [httpx.QueryParams(), httpx.QueryParams()]
