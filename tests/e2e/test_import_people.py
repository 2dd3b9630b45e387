"""Bulk import end to end: a talent team uploads its org snapshot to the gateway with an API
key; profiles applies only what changed and publishes exactly those changes to Kafka."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import ConsumerRecord
from devstack.pytest_plugin import RunningSystem, eventually
from messaging.testing import read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")

PEOPLE_TOPIC = "cairn.profiles.people"
HEADER = "externalId,email,displayName,title,department,timeZone,level,managerExternalId"
STATUS = "query($e: String) { person(externalId: $e) { title status manager { externalId } } }"


@pytest_asyncio.fixture(loop_scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # Uploads of thousands of rows on a busy machine: more than the system client's 15 s.
    async with httpx.AsyncClient(timeout=300) as client:
        yield client


async def upload(
    system: RunningSystem,
    http: httpx.AsyncClient,
    tenant: dict[str, str],
    body: str,
    *,
    content_type: str = "text/csv",
    api_key: str | None = None,
    **params: str,
) -> httpx.Response:
    return await http.post(
        f"{system.url('gateway')}/imports/people",
        content=body.encode(),
        params=params,
        headers={
            "Authorization": f"Bearer {api_key or tenant['apiKey']}",
            "Content-Type": content_type,
        },
    )


def person_row(prefix: str, n: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "externalId": f"{prefix}{n}",
        "email": f"{prefix.lower()}{n}@acme-corp.com",
        "displayName": f"Person {n}",
        "title": "Engineer" if n > 2 else "Executive",
        "department": f"Department {n % 40}",
        "timeZone": ["Europe/Berlin", "America/New_York", "Asia/Tokyo"][n % 3],
        "level": 8 - min(n.bit_length(), 7),
        # A tree: everyone reports to someone listed earlier; the first has no manager.
        "managerExternalId": f"{prefix}{(n - 1) // 6}" if n else None,
    }
    values.update(overrides)
    return values


def csv_of(rows: list[dict[str, Any]]) -> str:
    columns = HEADER.split(",")
    lines = [HEADER]
    for values in rows:
        lines.append(",".join("" if values[c] is None else str(values[c]) for c in columns))
    return "\n".join(lines) + "\n"


def hire(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {k: v for k, v in values.items() if v is not None},
    }


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str:
    return dict(record.headers or []).get(name, b"").decode()


async def person_events(
    system: RunningSystem, tenant_id: str, kind: str, since: datetime, *, at_least: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """The tenant's `kind` events on the people topic written after `since`, read until there
    are `at_least` of them, then until nothing more arrives (so extra ones would show)."""

    def matching(records: list[ConsumerRecord[bytes, bytes]]) -> list[Any]:
        return [
            r
            for r in records
            if header(r, "ce_tenantid") == tenant_id
            and header(r, "ce_type") == kind
            and datetime.fromisoformat(header(r, "ce_time")) >= since
        ]

    async def enough() -> list[Any] | None:
        records = await read_topic(
            system.bootstrap_servers,
            PEOPLE_TOPIC,
            until=lambda seen: len(matching(seen)) >= at_least,
            timeout_s=60,
        )
        return matching(records) if len(matching(records)) >= at_least else None

    await eventually(enough, timeout_s=120, every_s=1)
    return matching(
        await read_topic(system.bootstrap_servers, PEOPLE_TOPIC, timeout_s=60, idle_s=3)
    )


async def status_of(system: RunningSystem, tenant: dict[str, str], external_id: str) -> Any:
    body = await system.graphql(tenant["apiKey"], STATUS, {"e": external_id})
    assert "errors" not in body, body
    return body["data"]["person"]


async def test_a_snapshot_with_3_changes_among_10000_rows_emits_exactly_3_events(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    tenant = system.create_tenant("Snapshot Corp")
    org = [person_row("S", n) for n in range(10_000)]
    # The top of the org arrives from the HRIS first, as it would in real life.
    response = await system.push_changes(tenant, [hire(r) for r in org[:3]])
    assert response.status_code == 202, response.text

    async def top_known() -> Any:
        found = await status_of(system, tenant, "S2")
        return found if found and found["manager"] else None

    await eventually(top_known, timeout_s=60)

    first = await upload(system, http, tenant, csv_of(org))
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["rows"], report["created"], report["unchanged"]) == (10_000, 9_997, 3)
    assert (report["updated"], report["terminated"], report["missing"]) == (0, 0, [])

    org[1] = person_row("S", 1, title="Chief of Staff")  # came from the HRIS
    org[5_000] = person_row("S", 5_000, department="Research")
    org[9_999] = person_row("S", 9_999, managerExternalId="S7")
    since = datetime.now(UTC)
    second = await upload(system, http, tenant, csv_of(org))
    assert second.status_code == 200, second.text
    report = second.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 3, 9_997)

    events = await person_events(system, tenant["tenantId"], "person.updated", since, at_least=3)
    assert len(events) == 3
    changed = {}
    for record in events:
        data = json.loads(record.value)
        changed[data["person"]["externalId"]] = data["changedFields"]
    assert changed == {
        "S1": ["title"],
        "S5000": ["department"],
        "S9999": ["managerExternalId", "managerId"],
    }
    assert (await status_of(system, tenant, "S1"))["title"] == "Chief of Staff"
    assert (await status_of(system, tenant, "S9999"))["manager"] == {"externalId": "S7"}

    # The read models learn the import: S9999's update was published after all 10,000
    # creations. Waiting here also keeps this backlog from delaying the tests after this one.
    last = await system.internal("profiles", "/internal/people?search=S9999", tenant["tenantId"])
    last_id = last.json()["edges"][0]["node"]["id"]
    for service in ("matching", "sessions", "feedback"):

        async def knows_the_last(service: str = service) -> bool:
            path = f"/internal/roster/{last_id}"
            return (await system.internal(service, path, tenant["tenantId"])).status_code == 200

        await eventually(knows_the_last, timeout_s=180)


async def test_bad_rows_are_refused_naming_them_and_nothing_changes(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    tenant = system.create_tenant("Typo Corp")
    org = [person_row("T", n) for n in range(6)]
    first = await upload(system, http, tenant, csv_of(org))
    assert first.status_code == 200, first.text

    org[1] = person_row("T", 1, email="t1-at-acme-corp.com", title="Changed")
    org[3] = person_row("T", 3, timeZone="Europe/Atlantis")
    org.append(person_row("T", 6))
    response = await upload(system, http, tenant, csv_of(org))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["rows.2.email", "rows.4.timeZone"]
    assert "Europe/Atlantis" in problem["errors"][1]["message"]
    # Nothing applied: not the valid rows' changes either.
    assert (await status_of(system, tenant, "T1"))["title"] == "Executive"
    assert await status_of(system, tenant, "T6") is None


async def test_terminate_missing_terminates_exactly_the_missing(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    tenant = system.create_tenant("Leavers Corp")
    org = [person_row("L", n) for n in range(8)]
    assert (await upload(system, http, tenant, csv_of(org))).status_code == 200
    fewer = [r for r in org if r["externalId"] not in ("L6", "L7")]

    reported = (await upload(system, http, tenant, csv_of(fewer))).json()
    assert (reported["missing"], reported["terminated"]) == (["L6", "L7"], 0)
    assert (await status_of(system, tenant, "L6"))["status"] == "ACTIVE"

    since = datetime.now(UTC)
    ended = await upload(system, http, tenant, csv_of(fewer), terminateMissing="true")
    assert ended.status_code == 200, ended.text
    assert (ended.json()["missing"], ended.json()["terminated"]) == (["L6", "L7"], 2)
    statuses = {
        r["externalId"]: (await status_of(system, tenant, r["externalId"]))["status"] for r in org
    }
    assert {e for e, s in statuses.items() if s == "TERMINATED"} == {"L6", "L7"}
    events = await person_events(system, tenant["tenantId"], "person.terminated", since, at_least=2)
    assert sorted(json.loads(r.value)["person"]["externalId"] for r in events) == ["L6", "L7"]


async def test_json_dry_runs_and_refusals_at_the_door(
    system: RunningSystem, http: httpx.AsyncClient
) -> None:
    tenant = system.create_tenant("Careful Corp")
    body = json.dumps({"employees": [person_row("C", n) for n in range(4)]})
    dry = await upload(system, http, tenant, body, content_type="application/json", dryRun="true")
    assert dry.status_code == 200, dry.text
    assert (dry.json()["created"], dry.json()["dryRun"]) == (4, True)
    assert await status_of(system, tenant, "C0") is None

    real = await upload(system, http, tenant, body, content_type="application/json")
    assert real.json()["created"] == 4
    assert (await status_of(system, tenant, "C3"))["manager"] == {"externalId": "C0"}

    for auth in ({"Authorization": "Bearer cairn_not-a-key"}, {}):
        refused = await http.post(
            f"{system.url('gateway')}/imports/people",
            content=body,
            headers={**auth, "Content-Type": "application/json"},
        )
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
    wrong_type = await upload(system, http, tenant, body, content_type="text/plain")
    assert wrong_type.status_code == 415
    bad_flag = await upload(
        system, http, tenant, body, content_type="application/json", dryRun="perhaps"
    )
    assert bad_flag.status_code == 422
    assert bad_flag.json()["errors"][0]["field"] == "query.dryRun"
