"""The gateway's routes for a program's charts and exports, on a stub feedback behind an httpx
MockTransport: the file is proxied under the content type its extension names, with the
program's key in feedback's path; a foreign, malformed or unknown name is 404 before any call,
a bad grain 422 naming it, a caller without an API key 401 and one who is no admin 404; feedback
failing or unreachable is 503."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request
from gateway.adapters.upstream import ServiceClient, Upstreams
from gateway.entrypoints import insights_files
from gateway.graphql.ids import encode_id
from service_auth.tokens import Caller, TokenMinter, generate_keypair

PROGRAM = "7d4b5a2e-3f1c-4e8a-9b6d-0c2e4f6a8b1d"
PUBLIC_ID = encode_id("Program", PROGRAM)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><text>month (UTC)</text></svg>'
PNG = b"\x89PNG\r\n\x1a\n...."


@dataclass
class StubFeedback:
    status: int = 200
    body: bytes = SVG
    unreachable: bool = False
    calls: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if self.unreachable:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(self.status, content=self.body)


@pytest.fixture
async def served() -> AsyncIterator[tuple[StubFeedback, Callable[[str], None], httpx.AsyncClient]]:
    """The routes on an app; `as_caller(scopes)` decides who the API key is ("" none)."""
    stub = StubFeedback()
    minter = TokenMinter(generate_keypair()[0])
    who: dict[str, Caller | None] = {"caller": Caller("tenant-1", "apikey:1", ("*",))}

    async def caller(_: Request) -> Caller | None:
        return who["caller"]

    def as_caller(scopes: str) -> None:
        who["caller"] = Caller("tenant-1", "apikey:1", tuple(scopes.split())) if scopes else None

    app = FastAPI()
    app.include_router(insights_files.router)
    async with httpx.AsyncClient(transport=httpx.MockTransport(stub.handle)) as upstream:
        app.state.upstreams = Upstreams(
            profiles=ServiceClient(upstream, "http://profiles", "profiles", minter),
            matching=ServiceClient(upstream, "http://matching", "matching", minter),
            sessions=ServiceClient(upstream, "http://sessions", "sessions", minter),
            feedback=ServiceClient(upstream, "http://feedback", "feedback", minter),
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(insights_files, "api_key_caller", caller)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                yield stub, as_caller, client


Served = tuple[StubFeedback, Callable[[str], None], httpx.AsyncClient]


async def test_a_chart_is_proxied_as_svg_from_feedbacks_path(served: Served) -> None:
    stub, _, client = served
    answer = await client.get(f"/programs/{PUBLIC_ID}/charts/adoption.svg?grain=WEEK")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    assert answer.content == SVG
    assert answer.headers["cache-control"] == "private, no-store"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    [call] = stub.calls
    assert call.url.path == f"/internal/feedback/programs/{PROGRAM}/charts/adoption.svg"
    assert call.url.params["grain"] == "WEEK"
    assert call.headers["authorization"].startswith("Bearer ")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("charts/outcomes.png", "image/png"),
        ("charts/satisfaction.json", "application/json"),
        ("insights.csv", "text/csv; charset=utf-8"),
        ("insights.json", "application/json"),
    ],
)
async def test_each_file_has_the_content_type_of_its_extension(
    served: Served, path: str, content_type: str
) -> None:
    stub, _, client = served
    stub.body = PNG
    answer = await client.get(f"/programs/{PUBLIC_ID}/{path}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == content_type
    assert stub.calls[0].url.path == f"/internal/feedback/programs/{PROGRAM}/{path}"
    if path.startswith("insights"):
        assert answer.headers["content-disposition"].startswith("attachment; filename=")


@pytest.mark.parametrize(
    "path",
    [
        f"/programs/{PUBLIC_ID}/charts/secrets.svg",
        f"/programs/{PUBLIC_ID}/charts/adoption.gif",
        f"/programs/{PUBLIC_ID}/charts/adoption",
        f"/programs/{PUBLIC_ID}/charts/%2E%2E%2Fx.svg",
        f"/programs/{PROGRAM}/charts/adoption.svg",  # the raw key is no public id
        f"/programs/{encode_id('Person', PROGRAM)}/charts/adoption.svg",
        f"/programs/{encode_id('Program', '../../x')}/insights.csv",
    ],
)
async def test_anything_but_a_programs_chart_is_not_found_before_any_call(
    served: Served, path: str
) -> None:
    stub, _, client = served
    answer = await client.get(path)
    assert answer.status_code == 404
    assert stub.calls == []


async def test_a_bad_grain_is_refused_naming_it(served: Served) -> None:
    stub, _, client = served
    answer = await client.get(f"/programs/{PUBLIC_ID}/charts/adoption.svg?grain=DAY")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "grain", "message": "must be WEEK or MONTH"}]
    assert stub.calls == []


@pytest.mark.parametrize(("scopes", "status"), [("", 401), ("people:read", 404)])
async def test_only_the_tenants_admins_get_a_chart(
    served: Served, scopes: str, status: int
) -> None:
    stub, as_caller, client = served
    as_caller(scopes)
    answer = await client.get(f"/programs/{PUBLIC_ID}/charts/adoption.svg")
    assert answer.status_code == status
    assert stub.calls == []
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"


async def test_a_feedback_scoped_admin_key_gets_the_chart(served: Served) -> None:
    _, as_caller, client = served
    as_caller("feedback:admin")
    answer = await client.get(f"/programs/{PUBLIC_ID}/charts/adoption.svg")
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("status", "unreachable", "expected"),
    [(404, False, 404), (500, False, 503), (403, False, 503), (200, True, 503)],
)
async def test_feedbacks_answers_map_to_the_callers(
    served: Served, status: int, unreachable: bool, expected: int
) -> None:
    stub, _, client = served
    stub.status, stub.unreachable = status, unreachable
    stub.body = b'{"title": "x", "status": %d}' % status
    answer = await client.get(f"/programs/{PUBLIC_ID}/charts/outcomes.svg")
    assert answer.status_code == expected
    assert answer.headers["content-type"] == "application/problem+json"
