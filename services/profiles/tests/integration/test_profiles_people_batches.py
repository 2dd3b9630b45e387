"""The batch endpoints the gateway's DataLoaders call for a page of people: each answers, for
every person asked about, exactly what the one-person endpoint answers (history, the chain of
managers, the first page of reports, the first page of direct reports as the people list
orders them), whatever the links (loops and unknown managers included); people the caller's
tenant does not have are left out; bad requests are refused naming the field."""

import json
import uuid
from collections.abc import AsyncIterator
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
from profiles.adapters.tables import Person
from profiles.config import ProfilesSettings
from profiles.entrypoints.api import create_app
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter, generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAST = datetime(2026, 1, 5, 9, tzinfo=UTC)
PEOPLE = [f"G{i}" for i in range(9)]
any_links = st.dictionaries(
    st.sampled_from(PEOPLE), st.none() | st.sampled_from([*PEOPLE, "GX"]), min_size=1
)


class Profiles:
    """The profiles service on a fresh database, one tenant per instance."""

    def __init__(self, process: ServiceProcess, http: httpx.AsyncClient, minter: TokenMinter):
        self.process = process
        self.http = http
        self.minter = minter
        self.tenant = f"t-{uuid.uuid4().hex[:8]}"

    def _headers(self) -> dict[str, str]:
        token = self.minter.mint(Caller(tenant_id=self.tenant, principal="system"), "profiles")
        return {"Authorization": f"Bearer {token}"}

    async def ok(self, path: str, **params: Any) -> Any:
        response = await self.http.get(path, params=params, headers=self._headers())
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.http.post(path, json=body, headers=self._headers())

    async def batch(self, path: str, **body: Any) -> dict[str, Any]:
        """The batch's answers by person id."""
        response = await self.post(path, body)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        by_person = {item.pop("personId"): item for item in items}
        assert len(by_person) == len(items)  # one answer per person
        return by_person

    async def apply(self, change: HrisChange) -> None:
        async with self.process.uow() as uow:
            await apply_hris_change(uow, self.tenant, change)
            await uow.commit()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(database_factory: DatabaseFactory) -> AsyncIterator[tuple[ServiceProcess, Any]]:
    private, public = generate_keypair()
    url = await database_factory("profiles")
    await upgrade_async(bootstrap.MIGRATIONS, url)
    app = create_app(
        ProfilesSettings(database_url=url, service_token_public_key=public, run_workers=False)
    )
    process: ServiceProcess = app.state.process
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as http:
        yield process, (http, TokenMinter(private))
    await process.engine.dispose()


@pytest.fixture
def profiles(service: tuple[ServiceProcess, Any]) -> Profiles:
    process, (http, minter) = service
    return Profiles(process, http, minter)


async def store(profiles: Profiles, links: dict[str, str | None]) -> dict[str, str]:
    """The links as person rows written straight to the table (loops included, as racing
    writers could leave them); person id by external id."""
    now = datetime.now(UTC)
    ids = {external_id: str(uuid.uuid4()) for external_id in links}
    async with profiles.process.uow() as uow:
        for external_id, manager in links.items():
            uow.session.add(
                Person(
                    id=ids[external_id],
                    tenant_id=profiles.tenant,
                    external_id=external_id,
                    email=f"{external_id}@example.com",
                    display_name=f"Name {external_id[::-1]}",
                    time_zone="UTC",
                    manager_external_id=manager,
                    status="ACTIVE",
                    source_version=1,
                    revision=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        await uow.commit()
    return ids


def hire(external_id: str, version: int = 1, **employee: Any) -> HrisChange:
    return HrisChange.model_validate(
        {
            "id": f"chg-{uuid.uuid4().hex}",
            "type": "employee.hired" if version == 1 else "employee.updated",
            "effectiveAt": PAST.isoformat(),
            "sourceVersion": version,
            "employee": {
                "externalId": external_id,
                "email": f"{external_id.lower()}@example.com",
                "displayName": f"Person {external_id}",
                **employee,
            },
        }
    )


async def assert_batches_agree_with_single_calls(
    profiles: Profiles, person_ids: list[str], first: int
) -> None:
    asked = [*person_ids, str(uuid.uuid4())]  # and someone nobody has
    managers = await profiles.batch("/internal/people/managers/batch", personIds=asked)
    history = await profiles.batch("/internal/people/history/batch", personIds=asked)
    direct = await profiles.batch(
        "/internal/people/direct-reports/batch", personIds=asked, first=first
    )
    reports = {
        recursive: await profiles.batch(
            "/internal/people/reports/batch", personIds=asked, first=first, recursive=recursive
        )
        for recursive in (False, True)
    }
    for answers in (managers, history, direct, *reports.values()):
        assert set(answers) == set(person_ids)
    for person_id in person_ids:
        one = f"/internal/people/{person_id}"
        assert managers[person_id] == await profiles.ok(f"{one}/managers")
        assert history[person_id] == await profiles.ok(f"{one}/history")
        for recursive, answers in reports.items():
            page = await profiles.ok(f"{one}/reports", recursive=str(recursive), first=first)
            assert answers[person_id] == page
        listed = await profiles.ok("/internal/people", managerId=person_id, first=first)
        assert direct[person_id] == listed


async def test_a_page_of_people_in_one_call_each(profiles: Profiles) -> None:
    for external_id, manager in [
        ("E1", None),
        ("E2", "E1"),
        ("E3", "E1"),
        ("E4", "E3"),
        ("E5", "E3"),
        ("E6", "E5"),
        ("E7", "E99"),  # a manager not known yet
    ]:
        await profiles.apply(hire(external_id, managerExternalId=manager, title="Engineer"))
    await profiles.apply(hire("E4", 2, title="Lead", managerExternalId="E2"))
    people = (await profiles.ok("/internal/people", first=100))["edges"]
    ids = {p["node"]["externalId"]: p["node"]["id"] for p in people}

    await assert_batches_agree_with_single_calls(profiles, list(ids.values()), first=100)
    await assert_batches_agree_with_single_calls(profiles, list(ids.values()), first=1)

    top = (await profiles.batch("/internal/people/reports/batch", personIds=[ids["E1"]]))[ids["E1"]]
    assert (top["totalCount"], top["hasNextPage"]) == (2, False)  # direct reports by default
    chain = (await profiles.batch("/internal/people/managers/batch", personIds=[ids["E7"]]))[
        ids["E7"]
    ]
    assert (chain["items"], chain["pendingManagerExternalId"]) == ([], "E99")
    moves = (await profiles.batch("/internal/people/history/batch", personIds=[ids["E4"]]))[
        ids["E4"]
    ]["items"]
    assert [(m["field"], m["toValue"]) for m in moves][-2:] == [
        ("title", "Lead"),
        ("managerExternalId", "E2"),
    ]


async def test_another_tenants_people_are_left_out(
    profiles: Profiles, service: tuple[ServiceProcess, Any]
) -> None:
    await profiles.apply(hire("O1"))
    [mine] = (await profiles.ok("/internal/people", first=10))["edges"]
    process, (http, minter) = service
    other = Profiles(process, http, minter)
    for path in ("managers", "history", "reports", "direct-reports"):
        answer = await other.batch(f"/internal/people/{path}/batch", personIds=[mine["node"]["id"]])
        assert answer == {}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("managers", {"personIds": ["p"] * 501}, "personIds"),
        ("history", {}, "personIds"),
        ("history", {"personIds": ["x" * 65]}, "personIds.0"),
        ("reports", {"personIds": ["p"], "first": 0}, "first"),
        ("reports", {"personIds": ["p"], "first": 101}, "first"),
        ("direct-reports", {"personIds": ["p"], "after": "c"}, "after"),
    ],
)
async def test_a_bad_batch_is_refused_naming_the_field(
    profiles: Profiles, path: str, body: dict[str, Any], field: str
) -> None:
    response = await profiles.post(f"/internal/people/{path}/batch", body)
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(links=any_links, first=st.sampled_from([1, 2, 100]))
async def test_the_batches_agree_with_the_single_calls_whatever_the_links(
    service: tuple[ServiceProcess, Any], links: dict[str, str | None], first: int
) -> None:
    process, (http, minter) = service
    profiles = Profiles(process, http, minter)  # a fresh tenant for each example
    ids = await store(profiles, links)
    await assert_batches_agree_with_single_calls(profiles, list(ids.values()), first)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": ["ok", "\x00+zo`L"]}, "ids.1"),
        ({"externalIds": ["gc\udb0e"]}, "externalIds.0"),
        ({"emails": ["P"], "ids": [], "x\x00": 1}, "x\x00"),
    ],
)
async def test_text_no_database_stores_is_refused_naming_the_field(
    profiles: Profiles, body: dict[str, Any], field: str
) -> None:
    """NUL reached PostgreSQL (and a lone surrogate the driver's encoder): a 500, found by
    schemathesis. Now a 422 naming the field, on both databases."""
    response = await profiles.http.post(
        "/internal/people/batch",
        content=json.dumps(body).encode(),
        headers={**profiles._headers(), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
