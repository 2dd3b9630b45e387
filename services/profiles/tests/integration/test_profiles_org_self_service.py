"""Profile self-service and self-identification against a real database, through the internal
REST API: clean values in, clear errors naming the field for bad ones (and nothing written),
`person.updated` out; self-identification stored and carried in events, never answered."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.hris import HrisChange
from devstack.pytest_plugin import DatabaseFactory
from persistence.migrations import upgrade_async
from profiles import bootstrap
from profiles.adapters.repository import PeopleRepository
from profiles.config import ProfilesSettings
from profiles.entrypoints.api import create_app
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sqlalchemy import select

pytestmark = pytest.mark.asyncio(loop_scope="session")

SENSITIVE = ("underrepresented", "demographics", "selfIdentification")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(
    database_factory: DatabaseFactory,
) -> AsyncIterator[tuple[ServiceProcess, httpx.AsyncClient, TokenMinter]]:
    private, public = generate_keypair()
    url = await database_factory("profiles")
    await upgrade_async(bootstrap.MIGRATIONS, url)
    app = create_app(
        ProfilesSettings(database_url=url, service_token_public_key=public, run_workers=False)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as http:
        yield app.state.process, http, TokenMinter(private)
    await app.state.process.engine.dispose()


class Tenant:
    def __init__(self, service: tuple[ServiceProcess, httpx.AsyncClient, TokenMinter]) -> None:
        self.process, self.http, self.minter = service
        self.id = f"t-{uuid.uuid4().hex[:8]}"

    async def hire(self, external_id: str, **employee: Any) -> str:
        change = HrisChange.model_validate(
            {
                "id": f"chg-{uuid.uuid4().hex}",
                "type": "employee.hired",
                "effectiveAt": "2026-01-05T09:00:00Z",
                "sourceVersion": 1,
                "employee": {
                    "externalId": external_id,
                    "email": f"{external_id.lower()}@example.com",
                    "displayName": f"Person {external_id}",
                    **employee,
                },
            }
        )
        async with self.process.uow() as uow:
            await apply_hris_change(uow, self.id, change)
            await uow.commit()
        async with self.process.uow() as uow:
            row = await PeopleRepository(uow.session, self.id).by_external_id(external_id)
        assert row is not None
        return row.id

    async def call(
        self, method: str, path: str, body: Any = None, principal: str = "system"
    ) -> httpx.Response:
        token = self.minter.mint(Caller(tenant_id=self.id, principal=principal), "profiles")
        return await self.http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        )

    async def stored(self, person_id: str) -> Any:
        async with self.process.uow() as uow:
            return await PeopleRepository(uow.session, self.id).get(person_id)

    async def events(self) -> list[dict[str, Any]]:
        outbox = self.process.tables.outbox
        async with self.process.uow() as uow:
            rows = await uow.session.execute(
                select(outbox.c.event_type, outbox.c.data)
                .where(outbox.c.tenant_id == self.id)
                .order_by(outbox.c.id)
            )
            return [{"type": t, **d} for t, d in rows]


@pytest.fixture
def tenant(service: tuple[ServiceProcess, httpx.AsyncClient, TokenMinter]) -> Tenant:
    return Tenant(service)


# --- profile -------------------------------------------------------------------------------


async def test_a_profile_edit_is_cleaned_stored_and_announced(tenant: Tenant) -> None:
    person_id = await tenant.hire("P1", languages=["en"])
    response = await tenant.call(
        "PATCH",
        f"/internal/people/{person_id}/profile",
        {
            "skills": ["  Go ", "Python", "go", "Kubernetes"],
            "interests": ["Coaching", "coaching "],
            "bio": "  Platform engineer; mentors new leads.  ",
        },
    )
    assert response.status_code == 200, response.text
    person = response.json()
    assert person["skills"] == ["Go", "Python", "Kubernetes"]
    assert person["interests"] == ["Coaching"]
    assert person["bio"] == "Platform engineer; mentors new leads."
    assert person["languages"] == ["en"]  # absent: unchanged

    updated = (await tenant.events())[-1]
    assert updated["type"] == "person.updated"
    assert updated["changedFields"] == ["bio", "interests", "skills"]
    assert updated["person"]["skills"] == ["Go", "Python", "Kubernetes"]
    assert updated["person"]["bio"] == "Platform engineer; mentors new leads."
    assert updated["person"]["revision"] == 2

    again = await tenant.call("GET", f"/internal/people/{person_id}")
    assert again.json()["skills"] == ["Go", "Python", "Kubernetes"]


async def test_null_clears_and_the_same_values_change_nothing(tenant: Tenant) -> None:
    person_id = await tenant.hire("P2")
    path = f"/internal/people/{person_id}/profile"
    await tenant.call("PATCH", path, {"skills": ["SQL"], "bio": "Hi", "languages": ["de"]})
    before = len(await tenant.events())
    same = await tenant.call("PATCH", path, {"skills": [" SQL", "sql"], "languages": ["de"]})
    assert same.status_code == 200
    assert same.json()["skills"] == ["SQL"]
    assert len(await tenant.events()) == before  # nothing changed, nothing announced

    cleared = await tenant.call("PATCH", path, {"skills": None, "bio": None, "languages": []})
    assert cleared.status_code == 200
    body = cleared.json()
    assert (body["skills"], body["bio"], body["languages"]) == ([], None, [])
    assert (await tenant.events())[-1]["changedFields"] == ["bio", "languages", "skills"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"skills": ["Go", "  "]}, "skills.1", "at least 1 character"),
        ({"skills": ["x" * 101]}, "skills.0", "at most 100 characters"),
        ({"interests": [f"i{n}" for n in range(51)]}, "interests", "at most 50 items"),
        ({"languages": ["en", "english!"]}, "languages.1", "should match pattern"),
        ({"bio": "b" * 2001}, "bio", "at most 2000 characters"),
        ({"skils": ["Go"]}, "skils", "Extra inputs are not permitted"),
        ({"skills": "Go"}, "skills", "valid list"),
    ],
)
async def test_bad_profile_input_names_the_field_and_changes_nothing(
    tenant: Tenant, body: dict[str, Any], field: str, message: str
) -> None:
    person_id = await tenant.hire("P3")
    before = await tenant.stored(person_id)
    events_before = len(await tenant.events())
    # One good field beside the bad one: nothing is half written.
    response = await tenant.call(
        "PATCH", f"/internal/people/{person_id}/profile", {"bio": "ok", **body}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    assert message in errors[0]["message"]
    after = await tenant.stored(person_id)
    assert (after.skills, after.interests, after.languages, after.bio, after.revision) == (
        before.skills,
        before.interests,
        before.languages,
        before.bio,
        before.revision,
    )
    assert len(await tenant.events()) == events_before


async def test_someone_unknown_or_another_persons_profile_is_not_found(tenant: Tenant) -> None:
    person_id = await tenant.hire("P4")
    other_id = await tenant.hire("P5")
    missing = await tenant.call("PATCH", f"/internal/people/{uuid.uuid4()}/profile", {})
    assert missing.status_code == 404
    # An end user edits only their own profile.
    foreign = await tenant.call(
        "PATCH", f"/internal/people/{other_id}/profile", {"bio": "x"}, f"person:{person_id}"
    )
    assert foreign.status_code == 404
    assert (await tenant.stored(other_id)).bio is None
    own = await tenant.call(
        "PATCH", f"/internal/people/{person_id}/profile", {"bio": "me"}, f"person:{person_id}"
    )
    assert own.status_code == 200
    assert own.json()["bio"] == "me"


# --- self-identification -------------------------------------------------------------------


def assert_nothing_sensitive(answer: Any) -> None:
    text = json.dumps(answer)
    for name in SENSITIVE:
        assert name not in text, name
    assert "disability-secret" not in text


async def test_self_identification_is_stored_carried_in_events_and_never_answered(
    tenant: Tenant,
) -> None:
    manager_id = await tenant.hire("S0")
    person_id = await tenant.hire("S1", managerExternalId="S0")
    answers = {
        "consented": True,
        "underrepresented": True,
        "demographics": {"disability": "disability-secret"},
    }
    response = await tenant.call(
        "PUT", f"/internal/people/{person_id}/self-identification", answers
    )
    assert response.status_code == 200, response.text
    assert_nothing_sensitive(response.json())

    row = await tenant.stored(person_id)
    assert (row.self_identification_consent, row.underrepresented, row.demographics) == (
        True,
        True,
        {"disability": "disability-secret"},
    )
    event = (await tenant.events())[-1]
    assert event["type"] == "person.updated"
    assert event["person"]["underrepresented"] is True
    assert event["person"]["demographics"] == {"disability": "disability-secret"}
    assert set(event["changedFields"]) == {
        "demographics",
        "selfIdentificationConsent",
        "underrepresented",
    }

    # Every read of the API, for every caller, leaves it out.
    for principal in ("system", f"person:{person_id}"):
        for method, path, body in [
            ("GET", f"/internal/people/{person_id}", None),
            ("GET", "/internal/people?search=S1", None),
            ("POST", "/internal/people/batch", {"ids": [person_id]}),
            ("GET", f"/internal/people/{manager_id}/reports?recursive=true", None),
            ("GET", f"/internal/people/{person_id}/history", None),
            ("PATCH", f"/internal/people/{person_id}/profile", {"bio": "hello"}),
        ]:
            answer = await tenant.call(method, path, body, principal)
            assert answer.status_code == 200, (path, answer.text)
            assert_nothing_sensitive(answer.json())


async def test_withdrawing_consent_clears_it_and_the_hris_cannot_set_it_again(
    tenant: Tenant,
) -> None:
    person_id = await tenant.hire("S2", underrepresented=False)
    path = f"/internal/people/{person_id}/self-identification"
    await tenant.call("PUT", path, {"consented": True, "underrepresented": True})
    withdrawn = await tenant.call("PUT", path, {"consented": False})
    assert withdrawn.status_code == 200
    row = await tenant.stored(person_id)
    assert (row.self_identification_consent, row.underrepresented, row.demographics) == (
        False,
        None,
        None,
    )
    event = (await tenant.events())[-1]
    assert event["person"]["underrepresented"] is None
    assert event["person"]["demographics"] is None

    # The HRIS sends its own answer later: the withdrawal outranks it; other fields apply.
    late = HrisChange.model_validate(
        {
            "id": "chg-late",
            "type": "employee.updated",
            "effectiveAt": "2026-02-01T09:00:00Z",
            "sourceVersion": 5,
            "employee": {"externalId": "S2", "underrepresented": True, "title": "Lead"},
        }
    )
    async with tenant.process.uow() as uow:
        await apply_hris_change(uow, tenant.id, late)
        await uow.commit()
    row = await tenant.stored(person_id)
    assert (row.underrepresented, row.title) == (None, "Lead")


async def test_answers_without_consent_are_refused(tenant: Tenant) -> None:
    person_id = await tenant.hire("S3")
    response = await tenant.call(
        "PUT",
        f"/internal/people/{person_id}/self-identification",
        {"consented": False, "underrepresented": True},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["underrepresented"]
    assert "consented is false" in errors[0]["message"]
    row = await tenant.stored(person_id)
    assert row.self_identification_consent is None

    too_many = {"consented": True, "demographics": {f"k{n}": n for n in range(21)}}
    bad = await tenant.call("PUT", f"/internal/people/{person_id}/self-identification", too_many)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "demographics"
    nested = {"consented": True, "demographics": {"a": {"b": 1}}}
    bad = await tenant.call("PUT", f"/internal/people/{person_id}/self-identification", nested)
    assert bad.status_code == 422
    assert (await tenant.stored(person_id)).demographics is None


async def test_hris_self_identification_arrives_while_never_answered_here(
    tenant: Tenant,
) -> None:
    person_id = await tenant.hire("S4", underrepresented=True)
    row = await tenant.stored(person_id)
    assert (row.self_identification_consent, row.underrepresented) == (None, True)
    assert (await tenant.events())[-1]["person"]["underrepresented"] is True
