"""People search matches the text it is given, nothing else: LIKE's wildcards (`%`, `_`) and
its escape character are plain characters in a search term (`"%"` finds only names with a
percent sign, never everyone), and a term is at most 200 characters. Against a real database
(SQLite, or PostgreSQL with TEST_DATABASE_URL), through the internal API."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.hris import HrisChange
from devstack.pytest_plugin import DatabaseFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from persistence.migrations import upgrade_async
from profiles import bootstrap
from profiles.config import ProfilesSettings
from profiles.entrypoints.api import create_app
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter, generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")

# (external id, display name): names with what LIKE would read as wildcards or escapes.
PEOPLE = [
    ("P1", "Ada Obi"),
    ("P2", "100% Grace"),
    ("P3", "Alan_Turing"),
    ("P4", "Back\\slash Barbara"),
    ("P5", "Abc Def"),
    ("P6", "a%c^d"),
]


@dataclass
class People:
    http: httpx.AsyncClient
    minter: TokenMinter
    tenant: str

    async def search(self, term: str) -> httpx.Response:
        token = self.minter.mint(Caller(tenant_id=self.tenant, principal="system"), "profiles")
        return await self.http.get(
            "/internal/people",
            params={"search": term, "first": 100},
            headers={"Authorization": f"Bearer {token}"},
        )

    async def found(self, term: str) -> set[str]:
        response = await self.search(term)
        assert response.status_code == 200, response.text
        return {edge["node"]["externalId"] for edge in response.json()["edges"]}


def hire(external_id: str, name: str) -> HrisChange:
    return HrisChange.model_validate(
        {
            "id": f"chg-{uuid.uuid4().hex}",
            "type": "employee.hired",
            "effectiveAt": datetime(2026, 1, 5, tzinfo=UTC).isoformat(),
            "sourceVersion": 1,
            "employee": {
                "externalId": external_id,
                "email": f"{external_id.lower()}@example.com",
                "displayName": name,
            },
        }
    )


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def people(database_factory: DatabaseFactory) -> AsyncIterator[People]:
    private, public = generate_keypair()
    url = await database_factory("profiles")
    await upgrade_async(bootstrap.MIGRATIONS, url)
    app = create_app(
        ProfilesSettings(database_url=url, service_token_public_key=public, run_workers=False)
    )
    process: ServiceProcess = app.state.process
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    for external_id, name in PEOPLE:
        async with process.uow() as uow:
            await apply_hris_change(uow, tenant, hire(external_id, name))
            await uow.commit()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as http:
        yield People(http, TokenMinter(private), tenant)
    await process.engine.dispose()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("%", {"P2", "P6"}),  # only the names with a percent sign, never everyone
        ("_", {"P3"}),
        ("a_c", set()),  # not "abc": `_` is no wildcard
        ("a%c", {"P6"}),  # not "Alan_Turing…c" nor "Abc": `%` is no wildcard
        ("\\", {"P4"}),
        ("k\\s", {"P4"}),
        ("0% g", {"P2"}),
        ("ada", {"P1"}),
        ("P", {external_id for external_id, _ in PEOPLE}),  # external ids: P1…P6
        ("^", {"P6"}),
    ],
)
async def test_a_search_term_is_matched_as_written(
    people: People, term: str, expected: set[str]
) -> None:
    assert await people.found(term) == expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(term=st.text(alphabet="%_\\^aAbBcCdDgG0 1", min_size=1, max_size=4))
async def test_any_term_finds_exactly_the_people_whose_fields_contain_it(
    people: People, term: str
) -> None:
    def fields(external_id: str, name: str) -> list[str]:
        return [external_id, name, f"{external_id.lower()}@example.com"]

    expected = {
        external_id
        for external_id, name in PEOPLE
        if any(term.lower() in field.lower() for field in fields(external_id, name))
    }
    assert await people.found(term) == expected


async def test_a_term_is_at_most_200_characters(people: People) -> None:
    assert (await people.search("a" * 200)).status_code == 200
    refused = await people.search("a" * 201)
    assert refused.status_code == 422
    body: dict[str, Any] = refused.json()
    assert [e["field"] for e in body["errors"]] == ["query.search"]
