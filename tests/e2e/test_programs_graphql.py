"""Programs and enrollment end to end: GraphQL → gateway → profiles → outbox → Kafka, with
people hired through the signed HRIS webhook. Real broker, real databases."""

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id
from messaging.testing import read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROGRAM_FIELDS = """
  id name kind status description startsOn endsOn
  objectives { metric target baseline dueOn }
  curriculum {
    cadence sessionMinutes modules { title discussionGuide preWork actionItemTemplates }
  }
  matchingPolicy { mentorsPerMentee groupSize minLevelGap maxLevelGap crossDepartment weights }
  enrollmentWindow { opensAt closesAt }
  eligibility { levels departments roles }
"""
ENROLLMENT_FIELDS = """
  id role goals capacity status reason
  person { externalId displayName }
  program { id name status }
"""
ERRORS = "userErrors { field message code }"

CREATE = f"""
mutation($input: CreateProgramInput!) {{
  createProgram(input: $input) {{ program {{ {PROGRAM_FIELDS} }} {ERRORS} }}
}}"""
OPEN = f"""
mutation($id: ID!) {{
  openEnrollment(input: {{programId: $id}}) {{ program {{ id status }} {ERRORS} }}
}}"""
ENROLL = f"""
mutation($input: EnrollInput!) {{
  enroll(input: $input) {{ enrollment {{ {ENROLLMENT_FIELDS} }} {ERRORS} }}
}}"""
WITHDRAW = f"""
mutation($id: ID!) {{
  withdraw(input: {{enrollmentId: $id, reason: "changed teams"}}) {{
    enrollment {{ id status reason }} {ERRORS}
  }}
}}"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def hire(external_id: str, **employee: Any) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id}@acme-corp.com",
            "displayName": f"Person {external_id}",
            **employee,
        },
    }


def program_input(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "name": "Future Leaders",
        "kind": "ONE_ON_ONE",
        "description": "Six months with a senior leader",
        "startsOn": "2027-01-04",
        "endsOn": "2027-06-30",
        "objectives": [{"metric": "PROMOTION_RATE", "target": 0.3, "dueOn": "2027-06-30"}],
        "curriculum": {
            "cadence": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=12",
            "sessionMinutes": 45,
            "modules": [{"title": "Leading change", "discussionGuide": "What changed?"}],
        },
        "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 6, "weights": {"goals": 0.6}},
        "eligibility": {"levels": [2, 3, 4], "roles": ["MENTEE"]},
    }
    value.update(overrides)
    return value


async def ok(system: RunningSystem, key: str, query: str, variables: dict[str, Any]) -> Any:
    body = await system.graphql(key, query, variables)
    assert body["_status"] == 200 and "errors" not in body, body
    return body["data"]


async def people_ids(system: RunningSystem, key: str, external_ids: list[str]) -> dict[str, str]:
    """Opaque ids of people once the HRIS changes reached profiles."""
    ids: dict[str, str] = {}
    for external_id in external_ids:

        async def known(external_id: str = external_id) -> Any:
            data = await ok(
                system,
                key,
                "query($e: String) { person(externalId: $e) { id } }",
                {"e": external_id},
            )
            return data["person"]

        ids[external_id] = (await eventually(known))["id"]
    return ids


def has(kind: str, key: str) -> Callable[[list[ConsumerRecord[bytes, bytes]]], bool]:
    def found(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return any(_type(r) == kind and r.key == key.encode() for r in records)

    return found


def _type(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(dict(record.headers).get("ce_type", b"").decode())


async def test_a_program_from_definition_to_enrollment(system: RunningSystem) -> None:
    tenant = system.create_tenant("Programs Co")
    key = tenant["apiKey"]
    mentor_x, mentee_x, senior_x = unique("E"), unique("E"), unique("E")
    response = await system.push_changes(
        tenant,
        [
            hire(mentor_x, level=7, department="Sales"),
            hire(mentee_x, level=3, department="Sales"),
            hire(senior_x, level=9, department="Sales"),
        ],
    )
    assert response.status_code == 202, response.text
    ids = await people_ids(system, key, [mentor_x, mentee_x, senior_x])

    # A cadence no calendar can book is refused, naming the field, and nothing is created.
    bad = await ok(
        system,
        key,
        CREATE,
        {
            "input": program_input(
                curriculum={
                    "cadence": "FREQ=HOURLY;BYSETPOS=2",
                    "sessionMinutes": 45,
                    "modules": [],
                }
            )
        },
    )
    assert bad["createProgram"]["program"] is None
    [error] = bad["createProgram"]["userErrors"]
    assert error["field"] == ["input", "curriculum", "cadence"]
    assert error["code"] == "INVALID"
    assert "BYSETPOS" in error["message"]
    assert (await ok(system, key, "{ programs { id } }", {}))["programs"] == []

    created = (await ok(system, key, CREATE, {"input": program_input()}))["createProgram"]
    assert created["userErrors"] == []
    program = created["program"]
    assert program["status"] == "DRAFT"
    assert program["curriculum"]["modules"][0]["preWork"] == []
    assert program["matchingPolicy"]["weights"]["goals"] == 0.6
    assert program["eligibility"] == {"levels": [2, 3, 4], "departments": [], "roles": ["MENTEE"]}

    mentee_input = {
        "programId": program["id"],
        "personId": ids[mentee_x],
        "role": "MENTEE",
        "goals": ["strategic thinking"],
    }
    early = (await ok(system, key, ENROLL, {"input": mentee_input}))["enroll"]
    assert early["enrollment"] is None
    assert [e["code"] for e in early["userErrors"]] == ["NOT_ALLOWED_IN_STATE"]

    opened = (await ok(system, key, OPEN, {"id": program["id"]}))["openEnrollment"]
    assert (opened["program"]["status"], opened["userErrors"]) == ("ENROLLING", [])
    again = (await ok(system, key, OPEN, {"id": program["id"]}))["openEnrollment"]
    assert [e["code"] for e in again["userErrors"]] == ["NOT_ALLOWED_IN_STATE"]

    mentor_input = {
        "programId": program["id"],
        "personId": ids[mentor_x],
        "role": "MENTOR",
        "capacity": 2,
    }
    as_mentor = (await ok(system, key, ENROLL, {"input": mentor_input}))["enroll"]
    assert as_mentor["userErrors"] == []
    assert as_mentor["enrollment"]["capacity"] == 2
    assert as_mentor["enrollment"]["person"] == {
        "externalId": mentor_x,
        "displayName": f"Person {mentor_x}",
    }
    as_mentee = (await ok(system, key, ENROLL, {"input": mentee_input}))["enroll"]
    assert as_mentee["userErrors"] == []
    enrollment = as_mentee["enrollment"]
    assert (enrollment["role"], enrollment["status"]) == ("MENTEE", "ACTIVE")
    assert enrollment["goals"] == ["strategic thinking"]
    assert enrollment["program"] == {
        "id": program["id"],
        "name": "Future Leaders",
        "status": "ENROLLING",
    }

    duplicate = (await ok(system, key, ENROLL, {"input": mentee_input}))["enroll"]
    assert duplicate["enrollment"] is None
    assert [(e["code"], e["field"]) for e in duplicate["userErrors"]] == [
        ("CONFLICT", ["input", "personId"])
    ]
    senior = (
        await ok(system, key, ENROLL, {"input": {**mentee_input, "personId": ids[senior_x]}})
    )["enroll"]
    assert [(e["code"], e["field"]) for e in senior["userErrors"]] == [
        ("INELIGIBLE", ["input", "personId"])
    ]
    assert "levels 2, 3, 4" in senior["userErrors"][0]["message"]
    wrong_role = (await ok(system, key, ENROLL, {"input": {**mentee_input, "role": "PEER"}}))[
        "enroll"
    ]
    assert [(e["code"], e["field"]) for e in wrong_role["userErrors"]] == [
        ("INVALID", ["input", "role"])
    ]
    nobody = (await ok(system, key, ENROLL, {"input": {**mentee_input, "personId": "made-up"}}))[
        "enroll"
    ]
    assert [(e["code"], e["field"]) for e in nobody["userErrors"]] == [
        ("NOT_FOUND", ["input", "personId"])
    ]

    listed = await ok(
        system,
        key,
        """query($id: ID!) { program(id: $id) {
             enrollments(role: MENTEE, first: 10) {
               totalCount pageInfo { hasNextPage } edges { node { person { externalId } } }
             }
             all: enrollments { totalCount }
        } }""",
        {"id": program["id"]},
    )
    mentees = listed["program"]["enrollments"]
    assert mentees["totalCount"] == 1
    assert mentees["edges"][0]["node"]["person"]["externalId"] == mentee_x
    assert listed["program"]["all"]["totalCount"] == 2

    withdrawn = (await ok(system, key, WITHDRAW, {"id": enrollment["id"]}))["withdraw"]
    assert withdrawn["userErrors"] == []
    assert withdrawn["enrollment"] == {
        "id": enrollment["id"],
        "status": "WITHDRAWN",
        "reason": "changed teams",
    }
    twice = (await ok(system, key, WITHDRAW, {"id": enrollment["id"]}))["withdraw"]
    assert [e["code"] for e in twice["userErrors"]] == ["NOT_ALLOWED_IN_STATE"]

    enrolling = await ok(system, key, "{ programs(status: [ENROLLING]) { id } }", {})
    assert enrolling["programs"] == [{"id": program["id"]}]

    # Another organization sees none of it.
    other = system.create_tenant("Elsewhere Inc")
    foreign = await ok(
        system,
        other["apiKey"],
        "query($id: ID!) { program(id: $id) { id } }",
        {"id": program["id"]},
    )
    assert foreign == {"program": None}
    stolen = (await ok(system, other["apiKey"], OPEN, {"id": program["id"]}))["openEnrollment"]
    assert [(e["code"], e["field"]) for e in stolen["userErrors"]] == [
        ("NOT_FOUND", ["input", "programId"])
    ]

    # The changes reached Kafka, keyed as ARCHITECTURE §3 says.
    program_key = decode_id("Program", program["id"])
    assert program_key is not None
    programs = await read_topic(
        system.bootstrap_servers,
        "cairn.profiles.programs",
        until=has("program.published", program_key),
        timeout_s=30,
    )
    published = [r for r in programs if r.key == program_key.encode()]
    assert [_type(r) for r in published] == ["program.published"]
    snapshot = json.loads(published[0].value)["program"]
    assert (snapshot["status"], snapshot["name"]) == ("ENROLLING", "Future Leaders")
    assert dict(published[0].headers)["ce_tenantid"].decode() == tenant["tenantId"]

    mentee_key = decode_id("Person", ids[mentee_x])
    assert mentee_key is not None
    enrollments = await read_topic(
        system.bootstrap_servers,
        "cairn.profiles.enrollments",
        until=has("enrollment.withdrawn", mentee_key),
        timeout_s=30,
    )
    theirs = [r for r in enrollments if r.key == mentee_key.encode()]
    assert [_type(r) for r in theirs] == ["enrollment.created", "enrollment.withdrawn"]
    made = json.loads(theirs[0].value)["enrollment"]
    assert (made["role"], made["status"], made["programId"]) == ("MENTEE", "ACTIVE", program_key)
