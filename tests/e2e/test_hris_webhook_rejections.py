"""A delivery that fails verification or validation is rejected and nothing is published."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from devstack.pytest_plugin import RunningSystem
from messaging.testing import read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")


def hire(external_id: str) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id}@example-hr.com",
            "displayName": external_id,
        },
    }


async def published_subjects(system: RunningSystem, tenant_id: str) -> set[str]:
    records = await read_topic(system.bootstrap_servers, "cairn.hris.changes", idle_s=1.5)
    return {
        (r.key or b"").decode()
        for r in records
        if dict(r.headers or []).get("ce_tenantid") == tenant_id.encode()
    }


async def test_rejected_deliveries_publish_nothing(system: RunningSystem) -> None:
    tenant = system.create_tenant("Rejections AG")
    rejected: list[str] = []

    def fresh() -> tuple[str, dict[str, Any]]:
        external_id = f"R-{uuid.uuid4().hex[:8]}"
        rejected.append(external_id)
        return external_id, hire(external_id)

    _, bad_sig = fresh()
    response = await system.push_changes(tenant, [bad_sig], secret="whsec_" + "A" * 43 + "=")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")

    _, stale = fresh()
    response = await system.push_changes(
        tenant, [stale], timestamp=datetime.now(UTC) - timedelta(minutes=6)
    )
    assert response.status_code == 401

    _, future = fresh()
    response = await system.push_changes(
        tenant, [future], timestamp=datetime.now(UTC) + timedelta(minutes=6)
    )
    assert response.status_code == 401

    _, unsigned = fresh()
    response = await system.http.post(
        f"{system.url('gateway')}/webhooks/hris/{tenant['hrisConnectionId']}",
        json={"changes": [unsigned]},
    )
    assert response.status_code == 401

    _, garbled = fresh()
    response = await system.http.post(
        f"{system.url('gateway')}/webhooks/hris/{tenant['hrisConnectionId']}",
        json={"changes": [garbled]},
        headers={
            "webhook-id": "msg_1",
            "webhook-timestamp": "not-a-number",
            "webhook-signature": "no-comma-here",
        },
    )
    assert response.status_code == 401

    _, elsewhere = fresh()
    unknown = dict(tenant, hrisConnectionId="hc_does_not_exist")
    response = await system.push_changes(unknown, [elsewhere])
    assert response.status_code == 401

    response = await system.push_changes(tenant, body=b'{"changes": [')
    assert response.status_code == 400
    assert "body" in response.json()["detail"]

    _, missing_email = fresh()
    del missing_email["employee"]["email"]
    _, valid = fresh()
    response = await system.push_changes(tenant, [valid, missing_email])
    assert response.status_code == 422
    problem = response.json()
    assert any(
        e["field"] == "changes.1" and "employee.email" in e["message"] for e in problem["errors"]
    ), problem

    _, bad_zone = fresh()
    bad_zone["employee"]["timeZone"] = "Mars/Olympus"
    response = await system.push_changes(tenant, [bad_zone])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "changes.0.employee.timeZone"

    response = await system.push_changes(tenant, [])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "changes"

    oversized = json.dumps({"changes": [hire("X")], "pad": "x" * (1024 * 1024)}).encode()
    response = await system.push_changes(tenant, body=oversized)
    assert response.status_code == 413

    # A good delivery after all that is accepted: the check below is not vacuous.
    accepted = f"OK-{uuid.uuid4().hex[:8]}"
    assert (await system.push_changes(tenant, [hire(accepted)])).status_code == 202

    subjects = await published_subjects(system, tenant["tenantId"])
    assert accepted in subjects
    assert not subjects & set(rejected), subjects & set(rejected)
