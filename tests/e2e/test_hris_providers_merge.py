"""Merge deliveries on the running system: duplicated and out of order they converge to the
state the same deliveries reach in order; rejected ones publish nothing."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from devstack.pytest_plugin import RunningSystem, eventually
from devstack.stack import GATEWAY
from messaging.testing import read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")

PERSON = """
query($externalId: String) {
  person(externalId: $externalId) {
    externalId email displayName title department location status
    manager { externalId }
  }
}"""


def connect(system: RunningSystem, tenant_id: str, provider: str, *args: str) -> dict[str, str]:
    """`cairn hris-connection create`, against the running gateway's database."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.entrypoints.cli",
            "hris-connection",
            "create",
            "--tenant-id",
            tenant_id,
            "--provider",
            provider,
            *args,
        ],
        env={**os.environ, **system.stack.env_for(GATEWAY)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    created: dict[str, str] = json.loads(done.stdout)
    return created


def employee(
    merge_id: str,
    remote_id: str,
    modified: str,
    *,
    name: str,
    manager: str | None = None,
    title: str | None = None,
    location: str | None = None,
    status: str = "ACTIVE",
) -> dict[str, Any]:
    return {
        "id": merge_id,
        "remote_id": remote_id,
        "employee_number": remote_id,
        "first_name": name.split()[0],
        "last_name": name.split()[-1],
        "display_full_name": name,
        "work_email": f"{remote_id.lower()}@waystar.example",
        "manager": manager,
        "employment_status": status,
        "employments": [{"job_title": title, "effective_date": modified}] if title else [],
        "groups": [{"name": "Engineering", "type": "DEPARTMENT"}],
        "work_location": {"name": location} if location else None,
        "start_date": "2026-01-05T00:00:00Z",
        "termination_date": None,
        "remote_was_deleted": False,
        "modified_at": modified,
    }


def delivery(event: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "hook": {"id": "hook-config", "event": event, "target": "https://cairn.example"},
            "linked_account": {"id": "la-1", "integration": "Workday", "category": "hris"},
            "data": data,
        }
    ).encode()


def signature(body: bytes, key: str) -> str:
    mac = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()


async def post(
    system: RunningSystem,
    connection_id: str,
    body: bytes,
    *,
    key: str | None,
    provider: str | None = "merge",
) -> httpx.Response:
    path = f"/webhooks/hris/{connection_id}" + (f"/{provider}" if provider else "")
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["X-Merge-Webhook-Signature"] = signature(body, key)
    return await system.http.post(f"{system.url('gateway')}{path}", content=body, headers=headers)


async def person(system: RunningSystem, api_key: str, external_id: str) -> Any:
    body = await system.graphql(api_key, PERSON, {"externalId": external_id})
    assert "errors" not in body, body
    return body["data"]["person"]


async def test_duplicated_and_out_of_order_deliveries_converge(system: RunningSystem) -> None:
    run = uuid.uuid4().hex[:6]
    boss, ada, bo = f"B-{run}", f"A-{run}", f"O-{run}"
    d1 = delivery(
        "Employee.added",
        employee("m-boss", boss, "2026-11-01T08:00:00Z", name="Logan Roy", title="CEO"),
    )
    d2 = delivery(
        "Employee.added",
        employee(
            "m-ada", ada, "2026-11-01T09:00:00Z", name="Ada Obi", manager="m-boss", title="Engineer"
        ),
    )
    d3 = delivery(
        "Employee.changed",
        employee(
            "m-ada",
            ada,
            "2026-11-02T09:00:00Z",
            name="Ada Obi-Smith",
            manager="m-boss",
            title="Senior Engineer",
        ),
    )
    d4 = delivery(
        "Employee.changed",
        employee(
            "m-ada",
            ada,
            "2026-11-03T09:00:00Z",
            name="Ada Obi-Smith",
            manager="m-bo",
            title="Senior Engineer",
            location="Berlin",
        ),
    )
    d5 = delivery(
        "Employee.added",
        employee("m-bo", bo, "2026-11-02T10:00:00Z", name="Bo Chen", title="Director"),
    )
    d6 = delivery(
        "Employee.removed",
        employee(
            "m-boss", boss, "2026-11-04T08:00:00Z", name="Logan Roy", title="CEO", status="INACTIVE"
        ),
    )
    in_order = [d1, d2, d3, d5, d4, d6]
    shuffled = [d4, d6, d3, d4, d2, d1, d3, d6, d5]  # d3, d4 and d6 twice

    tenants: dict[str, dict[str, str]] = {}
    for label, deliveries in (("in order", in_order), ("shuffled", shuffled)):
        tenant = system.create_tenant(f"Merge {label} {run}")
        key = f"merge-organization-signature-key-{label}"
        connection = connect(system, tenant["tenantId"], "merge", "--secret", key)
        assert connection["secret"] == key
        for body in deliveries:
            response = await post(system, connection["hrisConnectionId"], body, key=key)
            assert response.status_code == 202, response.text
        tenants[label] = tenant

    expected: dict[str, dict[str, Any]] = {
        ada: {
            "externalId": ada,
            "email": f"{ada.lower()}@waystar.example",
            "displayName": "Ada Obi-Smith",
            "title": "Senior Engineer",
            "department": "Engineering",
            "location": "Berlin",
            "status": "ACTIVE",
            "manager": {"externalId": bo},  # named by Merge id before Bo was known
        },
        boss: {"status": "TERMINATED", "displayName": "Logan Roy", "title": "CEO"},
        bo: {"status": "ACTIVE", "displayName": "Bo Chen", "manager": None},
    }

    async def converged() -> dict[str, dict[str, Any]] | None:
        states: dict[str, dict[str, Any]] = {}
        for label, tenant in tenants.items():
            for external_id, wanted in expected.items():
                found = await person(system, tenant["apiKey"], external_id)
                if found is None or any(found.get(k) != v for k, v in wanted.items()):
                    return None
                states[f"{label}:{external_id}"] = found
        return states

    states = await eventually(converged, timeout_s=90)
    for external_id in expected:
        assert states[f"in order:{external_id}"] == states[f"shuffled:{external_id}"]


async def published_subjects(system: RunningSystem, tenant_id: str) -> set[str]:
    records = await read_topic(
        system.bootstrap_servers, "cairn.hris.changes", idle_s=3, timeout_s=60
    )
    return {
        (r.key or b"").decode()
        for r in records
        if dict(r.headers or []).get("ce_tenantid") == tenant_id.encode()
    }


async def test_rejected_merge_deliveries_name_the_problem_and_publish_nothing(
    system: RunningSystem,
) -> None:
    run = uuid.uuid4().hex[:6]
    tenant = system.create_tenant(f"Merge rejections {run}")
    key = "merge-organization-signature-key"
    connection_id = connect(system, tenant["tenantId"], "merge", "--secret", key)[
        "hrisConnectionId"
    ]
    rejected: list[str] = []

    def fresh(event: str = "Employee.added", **data: Any) -> bytes:
        remote_id = f"X-{uuid.uuid4().hex[:8]}"
        rejected.append(remote_id)
        record = employee(f"m-{remote_id}", remote_id, "2026-11-01T08:00:00Z", name="Roman Roy")
        return delivery(event, {**record, **data})

    unauthorized = [
        await post(system, connection_id, fresh(), key="another-key"),
        await post(system, connection_id, fresh(), key=None),
        await post(system, connection_id, fresh(), key=key, provider="bamboohr"),
        await post(system, connection_id, fresh(), key=key, provider=None),  # canonical route
        await post(system, "hc_does_not_exist", fresh(), key=key),
    ]
    for response in unauthorized:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")

    response = await post(system, connection_id, fresh(), key=key, provider="workday")
    assert response.status_code == 404
    assert "merge" in response.json()["detail"]

    response = await post(system, connection_id, fresh("LinkedAccount.synced"), key=key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "hook.event"

    response = await post(system, connection_id, fresh(work_email=None), key=key)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["data.work_email"]

    response = await post(system, connection_id, fresh(work_email="nope"), key=key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.work_email"

    response = await post(system, connection_id, b'{"hook": {', key=key)
    assert response.status_code == 400
    assert "body" in response.json()["detail"]

    # A good delivery after all that is accepted: the check below is not vacuous.
    accepted = f"OK-{run}"
    good = delivery(
        "Employee.added", employee("m-ok", accepted, "2026-11-01T08:00:00Z", name="Shiv Roy")
    )
    response = await post(system, connection_id, good, key=key)
    assert response.status_code == 202, response.text
    assert response.json() == {"received": True, "changes": 1}

    subjects = await published_subjects(system, tenant["tenantId"])
    assert accepted in subjects
    assert not subjects & set(rejected), subjects & set(rejected)


async def test_a_leaver_merge_reports_active_again_is_rehired(system: RunningSystem) -> None:
    tenant = system.create_tenant("Merge Rehires")
    key = "merge-org-key-" + uuid.uuid4().hex
    connection = connect(system, tenant["tenantId"], "merge", "--secret", key)
    run = uuid.uuid4().hex[:6]
    ada = f"R-{run}"
    steps = [
        ("Employee.added", "2026-11-01T09:00:00Z", "ACTIVE"),
        ("Employee.changed", "2026-11-02T09:00:00Z", "INACTIVE"),
        ("Employee.changed", "2026-11-03T09:00:00Z", "ACTIVE"),
    ]
    statuses = []
    for event, modified, status in steps:
        body = delivery(event, employee(f"m-{run}", ada, modified, name="Ada Obi", status=status))
        assert (
            await post(system, connection["hrisConnectionId"], body, key=key)
        ).status_code == 202

        async def settled(
            expected: str = "TERMINATED" if status == "INACTIVE" else "ACTIVE",
        ) -> Any:
            found = await person(system, tenant["apiKey"], ada)
            return found if found and found["status"] == expected else None

        statuses.append((await eventually(settled))["status"])
    assert statuses == ["ACTIVE", "TERMINATED", "ACTIVE"]
