"""The walking skeleton end to end: HRIS webhook → gateway → Kafka → profiles → Kafka →
matching, sessions, feedback; and GraphQL reading it back. Real broker, real databases."""

import uuid
from typing import Any

import pytest
from devstack.pytest_plugin import RunningSystem, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

PERSON_BY_EXTERNAL_ID = """
query($externalId: String) {
  person(externalId: $externalId) {
    id externalId email displayName title department location timeZone level status
    languages skills interests
    manager { externalId displayName }
    directReports(first: 10) { totalCount edges { node { externalId } } }
  }
}"""


def hire(external_id: str, version: int = 1, **employee: Any) -> dict[str, Any]:
    return change(
        "employee.hired",
        external_id,
        version,
        email=f"{external_id}@acme-corp.com",
        displayName=f"Person {external_id}",
        **employee,
    )


def change(kind: str, external_id: str, version: int, **employee: Any) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": kind,
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": version,
        "employee": {"externalId": external_id, **employee},
    }


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def person(system: RunningSystem, tenant: dict[str, str], external_id: str) -> Any:
    body = await system.graphql(
        tenant["apiKey"], PERSON_BY_EXTERNAL_ID, {"externalId": external_id}
    )
    assert "errors" not in body, body
    return body["data"]["person"]


async def test_a_hire_travels_to_graphql_and_every_read_model(system: RunningSystem) -> None:
    tenant = system.create_tenant("Acme Corp")
    boss, report = unique("E"), unique("E")
    # The report arrives before their manager: the link must still resolve.
    response = await system.push_changes(
        tenant,
        [
            hire(
                report,
                title="Engineer",
                department="Engineering",
                timeZone="Europe/Berlin",
                level=3,
                managerExternalId=boss,
                languages=["en", "de"],
            ),
            hire(boss, title="VP Engineering", department="Engineering", level=8),
        ],
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"received": True, "changes": 2}

    async def report_with_manager() -> Any:
        found = await person(system, tenant, report)
        return found if found and found["manager"] else None

    found = await eventually(report_with_manager)
    assert found["email"] == f"{report}@acme-corp.com".lower()  # emails are kept lower-case
    assert found["title"] == "Engineer"
    assert found["timeZone"] == "Europe/Berlin"
    assert found["level"] == 3
    assert found["status"] == "ACTIVE"
    assert found["languages"] == ["en", "de"]
    assert found["manager"] == {"externalId": boss, "displayName": f"Person {boss}"}
    manager = await person(system, tenant, boss)
    assert manager["directReports"]["totalCount"] == 1
    assert manager["directReports"]["edges"][0]["node"]["externalId"] == report

    # The same person, by opaque id.
    by_id = await system.graphql(
        tenant["apiKey"], "query($id: ID){ person(id: $id) { externalId } }", {"id": found["id"]}
    )
    assert by_id["data"]["person"] == {"externalId": report}

    person_id = (
        await system.internal("profiles", f"/internal/people?search={report}", tenant["tenantId"])
    ).json()["edges"][0]["node"]["id"]
    for service in ("matching", "sessions", "feedback"):

        async def known(service: str = service) -> Any:
            answer = await system.internal(
                service, f"/internal/roster/{person_id}", tenant["tenantId"]
            )
            return answer.json() if answer.status_code == 200 else None

        replica = await eventually(known)
        assert replica["externalId"] == report

        # The manager arrived after the report: every replica converges on the resolved link.
        async def linked(service: str = service) -> Any:
            snapshot = await known(service)
            return snapshot if snapshot and snapshot["managerId"] else None

        assert (await eventually(linked))["managerExternalId"] == boss


async def test_the_same_delivery_twice_makes_one_person(system: RunningSystem) -> None:
    tenant = system.create_tenant("Twice Inc")
    someone = unique("E")
    changes = [hire(someone, title="Analyst")]
    first = await system.push_changes(tenant, changes, webhook_id="msg_same")
    again = await system.push_changes(tenant, changes, webhook_id="msg_same")
    # An HRIS retry may also come under a new webhook id: the change id still dedupes.
    third = await system.push_changes(tenant, changes, webhook_id="msg_other")
    assert [r.status_code for r in (first, again, third)] == [202, 202, 202]

    # Same employee, same partition: once v2 shows, every copy of v1 was processed.
    await system.push_changes(tenant, [change("employee.updated", someone, 2, department="Done")])

    async def done() -> Any:
        found = await person(system, tenant, someone)
        return found if found and found["department"] == "Done" else None

    await eventually(done)
    people = await system.graphql(tenant["apiKey"], "{ people(first: 50) { totalCount } }")
    assert people["data"]["people"]["totalCount"] == 1
    person_id = (
        await system.internal("profiles", f"/internal/people?search={someone}", tenant["tenantId"])
    ).json()["edges"][0]["node"]["id"]

    async def replica_done() -> Any:
        answer = await system.internal(
            "matching", f"/internal/roster/{person_id}", tenant["tenantId"]
        )
        body = answer.json() if answer.status_code == 200 else None
        return body if body and body["department"] == "Done" else None

    # Created once (revision 1), updated once (revision 2): the hire was never re-applied.
    assert (await eventually(replica_done))["revision"] == 2


async def test_an_older_version_after_a_newer_one_changes_nothing(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("Ordering GmbH")
    someone = unique("E")
    await system.push_changes(tenant, [hire(someone, title="Engineer")])
    await system.push_changes(
        tenant, [change("employee.updated", someone, 3, title="Staff Engineer")]
    )
    await system.push_changes(
        tenant, [change("employee.updated", someone, 2, title="Senior Engineer")]
    )
    # Same employee, same partition: once v4 shows, v2 was already processed.
    await system.push_changes(
        tenant, [change("employee.updated", someone, 4, department="Platform")]
    )

    async def platform() -> Any:
        found = await person(system, tenant, someone)
        return found if found and found["department"] == "Platform" else None

    found = await eventually(platform)
    assert found["title"] == "Staff Engineer"


async def test_a_terminated_person_is_reported_terminated(system: RunningSystem) -> None:
    tenant = system.create_tenant("Leavers Ltd")
    someone = unique("E")
    await system.push_changes(tenant, [hire(someone)])
    await system.push_changes(tenant, [change("employee.terminated", someone, 2)])

    async def terminated() -> Any:
        found = await person(system, tenant, someone)
        return found if found and found["status"] == "TERMINATED" else None

    assert (await eventually(terminated))["externalId"] == someone


async def test_one_tenant_never_sees_another(system: RunningSystem) -> None:
    tenant_a = system.create_tenant("Tenant A")
    tenant_b = system.create_tenant("Tenant B")
    secret_person = unique("E")
    await system.push_changes(tenant_a, [hire(secret_person, title="Secret")])
    found = await eventually(lambda: person(system, tenant_a, secret_person))

    assert await person(system, tenant_b, secret_person) is None
    by_id = await system.graphql(
        tenant_b["apiKey"], "query($id: ID){ person(id: $id) { email } }", {"id": found["id"]}
    )
    assert by_id["data"] == {"person": None}
    assert "errors" not in by_id  # not FORBIDDEN: existence does not leak
    everyone = await system.graphql(tenant_b["apiKey"], "{ people { totalCount } }")
    assert everyone["data"]["people"]["totalCount"] == 0
    # B's key cannot push into A's connection either.
    forged = await system.push_changes(tenant_a, [hire(unique("E"))], secret=tenant_b["hrisSecret"])
    assert forged.status_code == 401
