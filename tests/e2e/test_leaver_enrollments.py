"""A leaver's enrollments end with the termination (ARCHITECTURE flow 6), seen through
`Person.enrollments`."""

import uuid
from typing import Any

import pytest
from devstack.pytest_plugin import RunningSystem, eventually

from tests.e2e.test_programs_graphql import (
    CREATE,
    ENROLL,
    OPEN,
    hire,
    ok,
    people_ids,
    program_input,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

ENROLLMENTS = """query($e: String) {
  person(externalId: $e) { status enrollments { status reason role program { name } } }
}"""


async def test_a_terminated_mentees_enrollments_end(system: RunningSystem) -> None:
    tenant = system.create_tenant("Leavers Programs")
    key = tenant["apiKey"]
    mentee = f"E-{uuid.uuid4().hex[:8]}"
    assert (await system.push_changes(tenant, [hire(mentee, level=3)])).status_code == 202
    ids = await people_ids(system, key, [mentee])

    program = await ok(system, key, CREATE, {"input": program_input(name="Leaver test")})
    program_id = program["createProgram"]["program"]["id"]
    await ok(system, key, OPEN, {"id": program_id})
    enrolled = await ok(
        system,
        key,
        ENROLL,
        {
            "input": {
                "programId": program_id,
                "personId": ids[mentee],
                "role": "MENTEE",
                "goals": ["strategic thinking"],
            }
        },
    )
    assert enrolled["enroll"]["userErrors"] == []
    before = await ok(system, key, ENROLLMENTS, {"e": mentee})
    assert [e["status"] for e in before["person"]["enrollments"]] == ["ACTIVE"]

    leave = {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.terminated",
        "effectiveAt": "2026-11-02T09:00:00Z",
        "sourceVersion": 2,
        "employee": {"externalId": mentee},
    }
    assert (await system.push_changes(tenant, [leave])).status_code == 202

    async def ended() -> Any:
        data = await ok(system, key, ENROLLMENTS, {"e": mentee})
        person = data["person"]
        return person if person["status"] == "TERMINATED" else None

    person = await eventually(ended)
    assert [(e["status"], e["reason"]) for e in person["enrollments"]] == [("ENDED", "terminated")]
