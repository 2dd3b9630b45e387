"""What schemathesis found on the services, one test each, in-process and quick: the errors
routing itself raises are problem+json like every other error, and every service's OpenAPI
documents the error answers its routes really give."""

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from devstack.pytest_plugin import DatabaseFactory
from fastapi import FastAPI
from feedback.config import FeedbackSettings
from feedback.entrypoints.api import create_app as feedback_app
from matching.config import MatchingSettings
from matching.entrypoints.api import create_app as matching_app
from persistence.migrations import upgrade_async
from profiles.bootstrap import MIGRATIONS as PROFILES_MIGRATIONS
from profiles.config import ProfilesSettings
from profiles.entrypoints.api import create_app as profiles_app
from runtime.problems import PROBLEM_JSON
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sessions.config import SessionsSettings
from sessions.entrypoints.api import create_app as sessions_app

on_session_loop = pytest.mark.asyncio(loop_scope="session")

PRIVATE, PUBLIC = generate_keypair()
DRAFT = {
    "name": "Fuzzed Leaders",
    "kind": "ONE_ON_ONE",
    "startsOn": "2027-01-04",
    "curriculum": {"cadence": "freq=weekly;count=4", "sessionMinutes": 45},
}
PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def service_apps(base: Path) -> dict[str, FastAPI]:
    """Each service's app as it is built for production (no database needed to document it)."""
    factories: dict[str, tuple[Callable[[Any], FastAPI], Any]] = {
        "profiles": (profiles_app, ProfilesSettings),
        "matching": (matching_app, MatchingSettings),
        "sessions": (sessions_app, SessionsSettings),
        "feedback": (feedback_app, FeedbackSettings),
    }
    return {
        name: create(
            settings(
                database_url=f"sqlite:///{base / name}.db",
                service_token_public_key=PUBLIC,
                run_workers=False,
                # A real database needs its sealing keys (sessions seals calendar credentials).
                sealing_keys=Fernet.generate_key().decode(),
            )
        )
        for name, (create, settings) in factories.items()
    }


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FastAPI]]:
    built = service_apps(tmp_path_factory.mktemp("apps"))
    yield built
    built["matching"].state.matching.pool.shutdown(wait=True)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def profiles(apps: dict[str, FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=apps["profiles"])
    async with httpx.AsyncClient(transport=transport, base_url="http://profiles") as http:
        yield http


def token_header() -> dict[str, str]:
    token = TokenMinter(PRIVATE).mint(Caller(tenant_id="t-fuzz", principal="system"), "profiles")
    return {"Authorization": f"Bearer {token}"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


@on_session_loop
async def test_an_undecodable_body_is_a_documented_400_problem(
    profiles: httpx.AsyncClient, apps: dict[str, FastAPI]
) -> None:
    # Found: `{"detail":"There was an error parsing the body"}` as application/json.
    response = await profiles.post(
        "/internal/enrollments/batch",
        content=b"%y\xff\x15N\xfe",
        headers={**token_header(), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "There was an error parsing the body",
    }
    documented = apps["profiles"].openapi()["paths"]["/internal/enrollments/batch"]["post"]
    assert documented["responses"]["400"]["content"] == PROBLEM_CONTENT


@on_session_loop
async def test_an_id_with_a_slash_is_a_documented_404_problem(
    profiles: httpx.AsyncClient, apps: dict[str, FastAPI]
) -> None:
    # Found: an id with `/` matches no route: `{"detail":"Not Found"}` as application/json.
    response = await profiles.get("/internal/people/a%2Fb", headers=token_header())
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Not Found"
    documented = apps["profiles"].openapi()["paths"]["/internal/people/{person_id}"]["get"]
    assert documented["responses"]["404"]["content"] == PROBLEM_CONTENT


@on_session_loop
async def test_a_missing_or_bad_token_is_a_documented_401_problem(
    profiles: httpx.AsyncClient, apps: dict[str, FastAPI]
) -> None:
    # Found: 401 answered, documented nowhere.
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await profiles.get("/internal/people", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["www-authenticate"] == "Bearer"
    documented = apps["profiles"].openapi()["paths"]["/internal/people"]["get"]
    assert documented["responses"]["401"]["content"] == PROBLEM_CONTENT
    assert "WWW-Authenticate" in documented["responses"]["401"]["headers"]


@on_session_loop
async def test_invalid_input_is_a_documented_422_problem(
    profiles: httpx.AsyncClient, apps: dict[str, FastAPI]
) -> None:
    # Found: 422 answered as problem+json, documented as FastAPI's HTTPValidationError JSON.
    response = await profiles.post(
        "/internal/people/batch", json={"ids": "nope"}, headers=token_header()
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"][0]["field"] == "ids"
    documented = apps["profiles"].openapi()["paths"]["/internal/people/batch"]["post"]
    assert documented["responses"]["422"]["content"] == PROBLEM_CONTENT


@pytest.mark.parametrize("service", ["profiles", "matching", "sessions", "feedback"])
def test_every_service_documents_its_error_answers(service: str, apps: dict[str, FastAPI]) -> None:
    document = apps[service].openapi()
    schemas = document["components"]["schemas"]
    assert schemas["Problem"]["required"] == ["title", "status"]
    assert "HTTPValidationError" not in schemas
    for method, path, operation in operations(document):
        responses = operation["responses"]
        label = f"{service} {method} {path}"
        if operation.get("security"):
            assert "401" in responses, label
        if "{" in path:
            assert "404" in responses, label
        if "requestBody" in operation:
            assert {"400", "422"} <= set(responses), label
        for status, response in responses.items():
            if status.startswith("4"):
                assert response["content"] == PROBLEM_CONTENT, f"{label} {status}"
    readiness = document["paths"]["/readyz"]["get"]["responses"]
    assert set(readiness) == {"200", "503"}
    assert readiness["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Readiness"
    }


@on_session_loop
async def test_a_refusal_in_the_resource_state_is_a_documented_409_problem(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory("profiles")
    await upgrade_async(PROFILES_MIGRATIONS, url)
    app = profiles_app(
        ProfilesSettings(database_url=url, service_token_public_key=PUBLIC, run_workers=False)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://profiles") as http:
        created = await http.post("/internal/programs", json=DRAFT, headers=token_header())
        assert created.status_code == 201, created.text
        close = f"/internal/programs/{created.json()['id']}/close"
        assert (await http.post(close, headers=token_header())).status_code == 200
        again = await http.post(close, headers=token_header())
    await app.state.process.engine.dispose()
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM_JSON
    assert again.json()["code"] == "NOT_ALLOWED_IN_STATE"
    documented = app.openapi()["paths"]["/internal/programs/{program_id}/close"]["post"]
    assert documented["responses"]["409"]["content"] == PROBLEM_CONTENT
