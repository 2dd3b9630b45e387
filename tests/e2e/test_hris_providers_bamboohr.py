"""BambooHR notifications on the running system: the gateway fetches each employee from a
local server answering like BambooHR's API, and the person shows in GraphQL; late
notifications change nothing more, repeated ones are neither fetched nor published again;
rejected ones publish nothing."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from devstack.pytest_plugin import RunningSystem, eventually
from devstack.stack import GATEWAY
from messaging.broker import free_port
from messaging.testing import read_topic
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

pytestmark = pytest.mark.asyncio(loop_scope="session")

API_KEY = "bamboo-api-key-0123456789abcdef"
PRIVATE_KEY = "bamboo-webhook-private-key"
PERSON = """
query($externalId: String) {
  person(externalId: $externalId) {
    externalId email displayName title department location status manager { externalId }
  }
}"""


@dataclass
class FakeBambooHR:
    """GET /api/gateway.php/acme/v1/employees/{id}?fields=…, HTTP Basic with the API key."""

    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    async def employee(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{API_KEY}:x".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response(status_code=401)
        employee_id = request.path_params["employee_id"]
        self.fetched.append(employee_id)
        if employee_id in self.failing:
            return Response(status_code=500)
        found = self.employees.get(employee_id)
        if found is None:
            return Response(status_code=404)
        wanted = request.query_params["fields"].split(",")
        return JSONResponse({"id": employee_id, **{f: found.get(f, "") for f in wanted}})


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def bamboo() -> AsyncIterator[tuple[FakeBambooHR, str]]:
    fake = FakeBambooHR()
    app = Starlette(
        routes=[Route("/api/gateway.php/acme/v1/employees/{employee_id}", fake.employee)]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn only offers this flag)
        await asyncio.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}/api/gateway.php/acme"
    server.should_exit = True
    await task


def connect(system: RunningSystem, tenant_id: str, api_base: str) -> str:
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
            "bamboohr",
            "--secret",
            PRIVATE_KEY,
            "--api-base",
            api_base,
            "--api-key",
            API_KEY,
        ],
        env={**os.environ, **system.stack.env_for(GATEWAY)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    connection_id: str = json.loads(done.stdout)["hrisConnectionId"]
    return connection_id


def show_connection(system: RunningSystem, connection_id: str) -> dict[str, Any]:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "gateway.entrypoints.cli"),
            *("hris-connection", "show", "--id", connection_id),
        ],
        env={**os.environ, **system.stack.env_for(GATEWAY)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    shown: dict[str, Any] = json.loads(done.stdout)
    return shown


def record(first: str, last: str, **fields: str) -> dict[str, Any]:
    return {
        "firstName": first,
        "lastName": last,
        "displayName": f"{first} {last}",
        "workEmail": f"{first.lower()}@acme-corp.com",
        "jobTitle": "Engineer",
        "department": "Platform",
        "location": "Berlin",
        "supervisorEId": "",
        "status": "Active",
        "hireDate": "2021-03-01",
        **fields,
    }


def notice(kind: str, employee_id: str) -> bytes:
    return json.dumps(
        {
            "type": kind,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
            "data": {"companyId": 1, "employeeId": employee_id, "changedFields": ["jobTitle"]},
        }
    ).encode()


async def post(
    system: RunningSystem,
    connection_id: str,
    body: bytes,
    *,
    age_s: int = 0,
    sent_at: int | None = None,
    key: str = PRIVATE_KEY,
    content_type: str = "application/json",
    signed: bool = True,
) -> httpx.Response:
    stamp = str(sent_at if sent_at is not None else int(time.time()) - age_s)
    headers = {"content-type": content_type, "X-BambooHR-Timestamp": stamp}
    if signed:
        mac = hmac.new(key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
        headers["X-BambooHR-Signature"] = mac
    return await system.http.post(
        f"{system.url('gateway')}/webhooks/hris/{connection_id}/bamboohr",
        content=body,
        headers=headers,
    )


async def person(system: RunningSystem, api_key: str, external_id: str) -> Any:
    body = await system.graphql(api_key, PERSON, {"externalId": external_id})
    assert "errors" not in body, body
    return body["data"]["person"]


async def test_a_notification_is_fetched_and_the_person_shows_in_graphql(
    system: RunningSystem, bamboo: tuple[FakeBambooHR, str]
) -> None:
    fake, api_base = bamboo
    run = uuid.uuid4().hex[:6]
    boss, ada = f"1{run}", f"2{run}"
    fake.employees[boss] = record("Grace", "Hopper", jobTitle="VP Engineering")
    fake.employees[ada] = record("Ada", "Obi", supervisorEId=boss)
    tenant = system.create_tenant(f"BambooHR {run}")
    connection_id = connect(system, tenant["tenantId"], api_base)

    # The report first: the manager link resolves once the manager arrives.
    for employee_id in (ada, boss):
        response = await post(system, connection_id, notice("employee.created", employee_id))
        assert response.status_code == 202, response.text
        assert response.json() == {"received": True, "changes": 1}
    assert {ada, boss} <= set(fake.fetched)

    async def ada_with_manager() -> Any:
        found = await person(system, tenant["apiKey"], ada)
        return found if found and found["manager"] else None

    found = await eventually(ada_with_manager, timeout_s=90)
    assert found == {
        "externalId": ada,
        "email": "ada@acme-corp.com",
        "displayName": "Ada Obi",
        "title": "Engineer",
        "department": "Platform",
        "location": "Berlin",
        "status": "ACTIVE",
        "manager": {"externalId": boss},
    }

    # A promotion and its notification; then one BambooHR sent earlier arrives late, and the
    # promotion's is delivered again. The late one is fetched, so it carries the current record
    # at a newer version: the promotion stays. The redelivery is answered as the first was and
    # fetches nothing (a replay cannot spend the tenant's API key): the promotion's fetch began
    # a second or more after its signed timestamp, so it saw every change those bytes can be.
    fake.employees[ada] = record("Ada", "Obi", supervisorEId=boss, jobTitle="Staff Engineer")
    fetches = fake.fetched.count(ada)
    promoted, sent_at = notice("employee.updated", ada), int(time.time()) - 2
    assert (await post(system, connection_id, promoted, sent_at=sent_at)).status_code == 202
    late = notice("employee.updated", ada)
    assert (await post(system, connection_id, late, sent_at=sent_at - 90)).status_code == 202
    again = await post(system, connection_id, promoted, sent_at=sent_at)
    assert (again.status_code, again.json()) == (202, {"received": True, "changes": 1})
    assert fake.fetched.count(ada) == fetches + 2

    async def promotion_applied() -> Any:
        found = await person(system, tenant["apiKey"], ada)
        return found if found and found["title"] == "Staff Engineer" else None

    await eventually(promotion_applied, timeout_s=90)
    # One key, one partition, in order: created, promoted, late.
    changes = await published_changes(system, tenant["tenantId"], ada, at_least=3)
    versions = [c["change"]["sourceVersion"] for c in changes]
    assert versions == sorted(versions) and len(set(versions)) == 3, versions
    assert [c["change"]["employee"].get("title") for c in changes] == [
        "Engineer",
        "Staff Engineer",
        "Staff Engineer",
    ]

    # BambooHR answers 404 (an employee it does not know, or an API base gone wrong): that is
    # a connection error, never a leaver. Nothing changes, BambooHR is told to retry, and the
    # operator sees the problem on the connection.
    del fake.employees[ada]
    unknown = await post(system, connection_id, notice("employee.updated", ada))
    assert unknown.status_code == 503 and unknown.headers["retry-after"]
    assert "404" in unknown.json()["detail"]
    assert "404" in show_connection(system, connection_id)["lastError"]
    assert (await person(system, tenant["apiKey"], ada))["status"] == "ACTIVE"

    # Only BambooHR's own word terminates: the deletion (nothing to fetch).
    deleted = await post(system, connection_id, notice("employee.deleted", ada))
    assert deleted.status_code == 202, deleted.text

    async def terminated() -> Any:
        found = await person(system, tenant["apiKey"], ada)
        return found if found and found["status"] == "TERMINATED" else None

    await eventually(terminated, timeout_s=90)
    # Nothing was published for the redelivery or the 404: the termination follows the late
    # change.
    changes = await published_changes(system, tenant["tenantId"], ada, at_least=4)
    assert [c["change"]["type"] for c in changes][3:] == ["employee.terminated"]


async def published_changes(
    system: RunningSystem, tenant_id: str, external_id: str, *, at_least: int
) -> list[dict[str, Any]]:
    def of_person(records: list[Any]) -> list[dict[str, Any]]:
        return [
            json.loads(r.value)
            for r in records
            if (r.key or b"").decode() == external_id
            and dict(r.headers or []).get("ce_tenantid") == tenant_id.encode()
        ]

    records = await read_topic(
        system.bootstrap_servers,
        "cairn.hris.changes",
        until=lambda records: len(of_person(records)) >= at_least,
        timeout_s=60,
    )
    return of_person(records)


async def published_subjects(system: RunningSystem, tenant_id: str) -> set[str]:
    records = await read_topic(
        system.bootstrap_servers, "cairn.hris.changes", idle_s=3, timeout_s=60
    )
    return {
        (r.key or b"").decode()
        for r in records
        if dict(r.headers or []).get("ce_tenantid") == tenant_id.encode()
    }


async def test_rejected_notifications_name_the_problem_and_publish_nothing(
    system: RunningSystem, bamboo: tuple[FakeBambooHR, str]
) -> None:
    fake, api_base = bamboo
    run = uuid.uuid4().hex[:6]
    tenant = system.create_tenant(f"BambooHR rejections {run}")
    connection_id = connect(system, tenant["tenantId"], api_base)
    rejected: list[str] = []

    def fresh() -> str:
        employee_id = f"9{uuid.uuid4().hex[:8]}"
        fake.employees[employee_id] = record("Roman", "Roy")
        rejected.append(employee_id)
        return employee_id

    for response in (
        await post(system, connection_id, notice("employee.created", fresh()), key="wrong"),
        await post(system, connection_id, notice("employee.created", fresh()), signed=False),
        await post(system, connection_id, notice("employee.created", fresh()), age_s=6 * 60),
        await post(system, connection_id, notice("employee.created", fresh()), age_s=-6 * 60),
    ):
        assert response.status_code == 401, response.text

    form = f"employees[0][id]={fresh()}".encode()
    response = await post(
        system, connection_id, form, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415

    response = await post(system, connection_id, notice("employee.promoted", fresh()))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "type"

    failing = fresh()
    fake.failing.add(failing)
    response = await post(system, connection_id, notice("employee.updated", failing))
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "500" in response.json()["detail"]

    invalid = fresh()
    fake.employees[invalid] = record("Roman", "Roy", workEmail="not an email")
    response = await post(system, connection_id, notice("employee.updated", invalid))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "workEmail"

    accepted = f"8{run}"
    fake.employees[accepted] = record("Shiv", "Roy")
    response = await post(system, connection_id, notice("employee.created", accepted))
    assert response.status_code == 202, response.text

    subjects = await published_subjects(system, tenant["tenantId"])
    assert accepted in subjects
    assert not subjects & set(rejected), subjects & set(rejected)
