"""`programEvents` end to end, over graphql-transport-ws with a real websocket client: an
integrator key subscribed to its program receives the enrollment made there (ids only);
another tenant's key gets NOT_FOUND for that program; a missing or invalid key is refused
with 4403 before anything runs."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import encode_id
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIBE = "subscription($id: ID!) { programEvents(programId: $id) }"
ERRORS = "userErrors { field message code }"
CREATE = f"""mutation($input: CreateProgramInput!) {{
  createProgram(input: $input) {{ program {{ id }} {ERRORS} }} }}"""
OPEN = f"""mutation($id: ID!) {{
  openEnrollment(input: {{programId: $id}}) {{ program {{ id }} {ERRORS} }} }}"""
ENROLL = f"""mutation($input: EnrollInput!) {{
  enroll(input: $input) {{ enrollment {{ id }} {ERRORS} }} }}"""


async def ok(system: RunningSystem, key: str, query: str, variables: dict[str, Any]) -> Any:
    body = await system.graphql(key, query, variables)
    assert body["_status"] == 200 and "errors" not in body, body
    return body["data"]


@asynccontextmanager
async def websocket(system: RunningSystem) -> AsyncIterator[ClientConnection]:
    url = system.url("gateway").replace("http://", "ws://", 1) + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as ws:
        assert ws.subprotocol == PROTOCOL
        yield ws


async def receive(ws: ClientConnection, timeout_s: float = 30) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout_s))
    return message


async def initialised(ws: ClientConnection, key: str) -> None:
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}})
    )
    assert (await receive(ws))["type"] == "connection_ack"


async def subscribe(ws: ClientConnection, program_id: str, operation: str = "1") -> None:
    payload = {"query": SUBSCRIBE, "variables": {"id": program_id}}
    await ws.send(json.dumps({"id": operation, "type": "subscribe", "payload": payload}))


async def refused(ws: ClientConnection, operation: str = "1") -> list[str]:
    """The error codes that ended the operation (it started, then found nothing to follow)."""
    message = await receive(ws)
    assert message["type"] == "next" and message["id"] == operation, message
    assert message["payload"]["data"] is None
    assert await receive(ws) == {"id": operation, "type": "complete"}
    return [e["extensions"]["code"] for e in message["payload"]["errors"]]


async def open_program(system: RunningSystem, key: str) -> str:
    created = await ok(
        system,
        key,
        CREATE,
        {
            "input": {
                "name": "Live Circle",
                "kind": "ONE_ON_ONE",
                "startsOn": "2027-01-04",
                "curriculum": {
                    "cadence": "FREQ=WEEKLY;INTERVAL=2;COUNT=6",
                    "sessionMinutes": 45,
                    "modules": [{"title": "Leading change", "discussionGuide": "What changed?"}],
                },
            }
        },
    )
    assert created["createProgram"]["userErrors"] == [], created
    program_id: str = created["createProgram"]["program"]["id"]
    assert (await ok(system, key, OPEN, {"id": program_id}))["openEnrollment"]["userErrors"] == []
    return program_id


async def hired_person(system: RunningSystem, tenant: dict[str, str]) -> str:
    external_id = f"L-{uuid.uuid4().hex[:8]}"
    change = {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id}@acme-corp.com",
            "displayName": f"Person {external_id}",
            "timeZone": "Europe/Berlin",
            "languages": ["en"],
            "level": 3,
        },
    }
    response = await system.push_changes(tenant, [change])
    assert response.status_code == 202, response.text

    async def person() -> Any:
        query = "query($e: String) { person(externalId: $e) { id } }"
        return (await ok(system, tenant["apiKey"], query, {"e": external_id}))["person"]

    found: dict[str, str] = await eventually(person)
    return found["id"]


async def test_a_subscriber_receives_its_programs_enrollment(system: RunningSystem) -> None:
    tenant = system.create_tenant("Live Co")
    key = tenant["apiKey"]
    person_id = await hired_person(system, tenant)
    program_id = await open_program(system, key)

    async with websocket(system) as ws:
        await initialised(ws, key)
        await subscribe(ws, program_id)
        await asyncio.sleep(0.5)  # the subscription looks the program up before it listens
        enrolled = await ok(
            system,
            key,
            ENROLL,
            {"input": {"programId": program_id, "personId": person_id, "role": "MENTEE"}},
        )
        assert enrolled["enroll"]["userErrors"] == []
        enrollment_id = enrolled["enroll"]["enrollment"]["id"]

        while True:  # program.published may still be on its way when the subscription starts
            message = await receive(ws)
            assert message["type"] == "next" and message["id"] == "1", message
            event = message["payload"]["data"]["programEvents"]
            assert event["programId"] == program_id
            if event["type"] != "program.published":
                break
        assert event["type"] == "enrollment.created"
        assert event["id"] and event["occurredAt"]
        assert event["data"] == {
            "enrollmentId": enrollment_id,
            "matchId": None,
            "matchRunId": None,
            "sessionId": None,
            "actionItemId": None,
        }
        # Ids only: the person, their goals and role stay behind the API's access rules.
        assert person_id not in json.dumps(event)
        await ws.send(json.dumps({"id": "1", "type": "complete"}))


async def test_another_tenants_key_cannot_subscribe_to_the_program(
    system: RunningSystem,
) -> None:
    owner = system.create_tenant("Live Owner")
    other = system.create_tenant("Live Other")
    program_id = await open_program(system, owner["apiKey"])

    async with websocket(system) as ws:
        await initialised(ws, other["apiKey"])
        await subscribe(ws, program_id)
        assert await refused(ws) == ["NOT_FOUND"]

    # Made up, or another type's id: the same answer.
    async with websocket(system) as ws:
        await initialised(ws, other["apiKey"])
        await subscribe(ws, encode_id("Person", str(uuid.uuid4())))
        assert await refused(ws) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    "payload", [{}, {"authorization": "Bearer not-a-key"}, {"authorization": ""}]
)
async def test_a_missing_or_invalid_key_is_refused(
    system: RunningSystem, payload: dict[str, str]
) -> None:
    async with websocket(system) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_subscribing_before_connection_init_is_refused(system: RunningSystem) -> None:
    program_id = encode_id("Program", str(uuid.uuid4()))
    async with websocket(system) as ws:
        await subscribe(ws, program_id)
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_queries_go_over_http_not_the_websocket(system: RunningSystem) -> None:
    """Over HTTP a query runs in its tenant's turn and within its deadline."""
    tenant = system.create_tenant("Live Query Co")
    async with websocket(system) as ws:
        await initialised(ws, tenant["apiKey"])
        payload = {"query": "{ programs { id } }"}
        await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": payload}))
        message = await receive(ws)
        assert message["type"] == "error" and message["id"] == "q", message
        assert [e["extensions"]["code"] for e in message["payload"]] == ["BAD_USER_INPUT"]
