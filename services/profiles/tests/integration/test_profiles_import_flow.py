"""Importing an org snapshot through profiles' internal API on a real database (SQLite, or
PostgreSQL with TEST_DATABASE_URL): only real changes are written, each with its event in the
outbox of the same transaction; HRIS versions are not used up; bad input changes nothing."""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.hris import HrisChange
from devstack.pytest_plugin import DatabaseFactory
from messaging.outbox import UnitOfWork
from persistence.migrations import upgrade_async
from profiles.adapters.metadata import messaging
from profiles.adapters.tables import ParkedChange, Person
from profiles.bootstrap import MIGRATIONS
from profiles.config import ProfilesSettings
from profiles.domain.org_snapshot import parse_csv
from profiles.entrypoints import imports as imports_api
from profiles.entrypoints.api import create_app
from profiles.service_layer.imports import import_snapshot
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sqlalchemy import func
from sqlmodel import col, select

pytestmark = pytest.mark.asyncio(loop_scope="session")

PEOPLE_TOPIC = "cairn.profiles.people"
HEADER = "externalId,email,displayName,title,department,timeZone,level,managerExternalId"


@dataclass
class Profiles:
    http: httpx.AsyncClient
    process: ServiceProcess
    minter: TokenMinter

    async def upload(
        self,
        tenant_id: str,
        body: str | bytes,
        content_type: str = "text/csv",
        **params: str,
    ) -> httpx.Response:
        token = self.minter.mint(Caller(tenant_id=tenant_id, principal="system"), "profiles")
        return await self.http.post(
            "/internal/imports",
            content=body,
            params=params,
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        )

    async def events(self, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(type, data) of the tenant's person events in the outbox, in the order written."""
        outbox = messaging.outbox
        async with self.process.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_type, outbox.c.data)
                .where(outbox.c.tenant_id == tenant_id, outbox.c.topic == PEOPLE_TOPIC)
                .order_by(outbox.c.id)
            )
            return [(r.event_type, r.data) for r in rows]

    async def people(self, tenant_id: str) -> dict[str, Person]:
        async with self.process.uow() as uow:
            rows = await uow.session.exec(select(Person).where(Person.tenant_id == tenant_id))
            return {p.external_id: p for p in rows.all()}

    async def hris(self, tenant_id: str, kind: str, version: int, **employee: Any) -> None:
        change = HrisChange.model_validate(
            {
                "id": f"chg-{uuid.uuid4().hex}",
                "type": kind,
                "effectiveAt": "2026-01-01T09:00:00Z",
                "sourceVersion": version,
                "employee": employee,
            }
        )
        async with self.process.uow() as uow:
            await apply_hris_change(uow, tenant_id, change)
            await uow.commit()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def profiles(database_factory: DatabaseFactory) -> AsyncIterator[Profiles]:
    url = await database_factory("profiles")
    await upgrade_async(MIGRATIONS, url)
    private, public = generate_keypair()
    app = create_app(
        ProfilesSettings(database_url=url, run_workers=False, service_token_public_key=public)
    )
    process: ServiceProcess = app.state.process
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles", timeout=120
    ) as http:
        yield Profiles(http, process, TokenMinter(private))
    await process.engine.dispose()


def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def row(n: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "externalId": f"E{n}",
        "email": f"person{n}@example.com",
        "displayName": f"Person {n}",
        "title": "Engineer",
        "department": f"Dept {n % 5}",
        "timeZone": "Europe/Berlin",
        "level": n % 8,
        "managerExternalId": f"E{(n - 1) // 4}" if n else None,
    }
    values.update(overrides)
    return values


def csv_of(rows: list[dict[str, Any]], header: str = HEADER) -> str:
    columns = header.split(",")
    lines = [header]
    for values in rows:
        lines.append(",".join("" if values.get(c) is None else str(values[c]) for c in columns))
    return "\n".join(lines) + "\n"


def report_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_csv_creates_the_org_managers_first_with_resolved_links(
    profiles: Profiles,
) -> None:
    t = tenant()
    # Reports listed before their managers, as exports often are.
    org = [row(n) for n in reversed(range(30))]
    report = report_of(await profiles.upload(t, csv_of(org)))
    assert report == {
        "rows": 30,
        "created": 30,
        "updated": 0,
        "unchanged": 0,
        "terminated": 0,
        "missing": [],
        "unknownManagers": [],
        "dryRun": False,
        "terminateMissing": False,
    }
    people = await profiles.people(t)
    assert set(people) == {f"E{n}" for n in range(30)}
    e9 = people["E9"]
    assert (e9.email, e9.title, e9.time_zone, e9.level) == (
        "person9@example.com",
        "Engineer",
        "Europe/Berlin",
        1,
    )
    assert (e9.status, e9.revision, e9.source_version) == ("ACTIVE", 1, 0)
    assert set(e9.field_versions.values()) == {0}

    events = await profiles.events(t)
    assert [kind for kind, _ in events] == ["person.created"] * 30
    written = [data["person"]["externalId"] for _, data in events]
    for _, data in events:
        person = data["person"]
        manager = person["managerExternalId"]
        if manager is not None:
            # The manager's id is in the event, and the manager's event came first.
            assert person["managerId"] == people[manager].id
            assert written.index(manager) < written.index(person["externalId"])
        assert person["id"] == people[person["externalId"]].id
        assert person["revision"] == 1


async def test_the_same_snapshot_again_writes_nothing(profiles: Profiles) -> None:
    t = tenant()
    org = [row(n) for n in range(40)]
    report_of(await profiles.upload(t, csv_of(org)))
    before = await profiles.events(t)
    again = report_of(await profiles.upload(t, csv_of(org)))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 40)
    assert await profiles.events(t) == before
    assert {p.revision for p in (await profiles.people(t)).values()} == {1}


async def test_three_changes_among_many_rows_emit_exactly_three_events(
    profiles: Profiles,
) -> None:
    t = tenant()
    org = [row(n) for n in range(1500)]
    report_of(await profiles.upload(t, csv_of(org)))
    written = len(await profiles.events(t))
    org[17] = row(17, title="Staff Engineer")
    org[900] = row(900, department="Research")
    org[1499] = row(1499, managerExternalId="E3")
    report = report_of(await profiles.upload(t, csv_of(org)))
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 3, 1497)
    new = (await profiles.events(t))[written:]
    assert [kind for kind, _ in new] == ["person.updated"] * 3
    changed = {data["person"]["externalId"]: data["changedFields"] for _, data in new}
    assert changed == {
        "E17": ["title"],
        "E900": ["department"],
        "E1499": ["managerExternalId", "managerId"],
    }
    people = await profiles.people(t)
    assert people["E17"].title == "Staff Engineer"
    assert people["E17"].revision == 2
    assert people["E1499"].manager_external_id == "E3"
    updated = {data["person"]["externalId"]: data["person"] for _, data in new}
    assert updated["E1499"]["managerId"] == people["E3"].id
    assert updated["E17"]["revision"] == 2


async def test_an_import_does_not_use_up_hris_versions(profiles: Profiles) -> None:
    t = tenant()
    await profiles.hris(
        t,
        "employee.hired",
        5,
        externalId="H1",
        email="h1@example.com",
        displayName="Hana",
        title="Engineer",
    )
    report_of(
        await profiles.upload(
            t,
            csv_of(
                [
                    {
                        "externalId": "H1",
                        "email": "h1@example.com",
                        "displayName": "Hana",
                        "title": "Senior Engineer",
                    }
                ],
                header="externalId,email,displayName,title",
            ),
        )
    )
    hana = (await profiles.people(t))["H1"]
    assert hana.title == "Senior Engineer"
    assert hana.source_version == 5
    assert hana.field_versions["title"] == 5  # corrected at the version it had

    # An older HRIS change is still stale; the next one applies.
    await profiles.hris(t, "employee.updated", 4, externalId="H1", title="Intern")
    assert (await profiles.people(t))["H1"].title == "Senior Engineer"
    await profiles.hris(t, "employee.updated", 6, externalId="H1", title="Staff Engineer")
    assert (await profiles.people(t))["H1"].title == "Staff Engineer"

    # Someone the import created takes any HRIS version over the import's values.
    report_of(await profiles.upload(t, csv_of([row(1)])))
    await profiles.hris(t, "employee.updated", 1, externalId="E1", title="Manager")
    assert (await profiles.people(t))["E1"].title == "Manager"


async def test_missing_people_are_reported_and_terminated_only_when_asked(
    profiles: Profiles,
) -> None:
    t = tenant()
    org = [row(n) for n in range(12)]
    report_of(await profiles.upload(t, csv_of(org)))
    written = len(await profiles.events(t))
    fewer = [r for r in org if r["externalId"] not in ("E10", "E11")]

    kept = report_of(await profiles.upload(t, csv_of(fewer)))
    assert kept["missing"] == ["E10", "E11"]
    assert kept["terminated"] == 0
    assert {p.status for p in (await profiles.people(t)).values()} == {"ACTIVE"}
    assert len(await profiles.events(t)) == written

    ended = report_of(await profiles.upload(t, csv_of(fewer), terminateMissing="true"))
    assert ended["missing"] == ["E10", "E11"]
    assert ended["terminated"] == 2
    people = await profiles.people(t)
    assert {e for e, p in people.items() if p.status == "TERMINATED"} == {"E10", "E11"}
    new = (await profiles.events(t))[written:]
    assert sorted((k, d["person"]["externalId"]) for k, d in new) == [
        ("person.terminated", "E10"),
        ("person.terminated", "E11"),
    ]
    # Terminated since: no longer missing, and not terminated twice.
    again = report_of(await profiles.upload(t, csv_of(fewer), terminateMissing="true"))
    assert (again["missing"], again["terminated"]) == ([], 0)


async def test_dry_run_reports_without_writing(profiles: Profiles) -> None:
    t = tenant()
    org = [row(n) for n in range(10)]
    report_of(await profiles.upload(t, csv_of(org[:8])))
    written = len(await profiles.events(t))
    org[3] = row(3, title="Director", managerExternalId="E404")
    report = report_of(
        await profiles.upload(t, csv_of(org[1:]), dryRun="true", terminateMissing="true")
    )
    assert report["dryRun"] is True
    assert (report["created"], report["updated"], report["terminated"]) == (2, 1, 1)
    assert report["missing"] == ["E0"]
    assert report["unknownManagers"] == ["E404"]
    assert len(await profiles.events(t)) == written
    people = await profiles.people(t)
    assert len(people) == 8 and people["E3"].title == "Engineer"
    assert people["E0"].status == "ACTIVE"


async def test_a_held_report_is_linked_when_the_import_creates_their_manager(
    profiles: Profiles,
) -> None:
    t = tenant()
    await profiles.hris(
        t,
        "employee.hired",
        1,
        externalId="R1",
        email="r1@example.com",
        displayName="Ria",
        managerExternalId="B1",
    )
    written = len(await profiles.events(t))
    report = report_of(
        await profiles.upload(
            t,
            csv_of(
                [{"externalId": "B1", "email": "b1@example.com", "displayName": "Boss"}],
                header="externalId,email,displayName",
            ),
        )
    )
    assert (report["created"], report["updated"], report["missing"]) == (1, 1, ["R1"])
    people = await profiles.people(t)
    new = (await profiles.events(t))[written:]
    assert [(k, d["person"]["externalId"]) for k, d in new] == [
        ("person.created", "B1"),
        ("person.updated", "R1"),
    ]
    assert new[1][1]["changedFields"] == ["managerId"]
    assert new[1][1]["person"]["managerId"] == people["B1"].id
    assert people["R1"].revision == 2


async def test_parked_hris_changes_apply_once_the_import_creates_the_person(
    profiles: Profiles,
) -> None:
    t = tenant()
    # An update for someone unknown is parked until they exist.
    await profiles.hris(t, "employee.updated", 3, externalId="P1", title="Team Lead")
    async with profiles.process.uow() as uow:
        parked = (
            await uow.session.exec(select(ParkedChange).where(ParkedChange.tenant_id == t))
        ).all()
    assert len(parked) == 1
    report_of(await profiles.upload(t, csv_of([row(1, externalId="P1", title="Engineer")])))
    p1 = (await profiles.people(t))["P1"]
    assert p1.title == "Team Lead"  # the HRIS's version 3 beats the import's version 0
    assert p1.field_versions["title"] == 3
    async with profiles.process.uow() as uow:
        left = (
            await uow.session.exec(
                select(func.count())
                .select_from(ParkedChange)
                .where(col(ParkedChange.tenant_id) == t)
            )
        ).one()
    assert left == 0
    kinds = [k for k, _ in await profiles.events(t)]
    assert kinds == ["person.created", "person.updated"]


async def test_a_change_that_lands_mid_import_is_built_on_not_overwritten(
    profiles: Profiles,
) -> None:
    t = tenant()
    org = [row(n) for n in range(6)]
    report_of(await profiles.upload(t, csv_of(org)))
    org[2] = row(2, title="Principal")
    factory = profiles.process.uow
    opened = 0

    class Raced(UnitOfWork):
        async def __aenter__(self) -> "Raced":
            nonlocal opened
            opened += 1
            if opened == 2:  # after the plan was made, before its first batch is written
                await profiles.hris(t, "employee.updated", 9, externalId="E2", department="Ops")
            await super().__aenter__()
            return self

    def uows() -> UnitOfWork:
        return Raced(factory.sessions, factory.tables, factory.source)

    # This snapshot does not carry departments: the HRIS's new one must survive.
    without_department = HEADER.replace(",department", "")
    report = await import_snapshot(uows, t, parse_csv(csv_of(org, without_department)))
    assert report.updated == 1
    e2 = (await profiles.people(t))["E2"]
    assert (e2.title, e2.department) == ("Principal", "Ops")
    assert e2.field_versions["department"] == 9  # the HRIS's version is kept
    assert e2.revision == 3  # after the HRIS's revision 2: replicas keep the newest
    revisions = [
        d["person"]["revision"]
        for _, d in await profiles.events(t)
        if d["person"]["externalId"] == "E2"
    ]
    assert revisions == [1, 2, 3]


async def test_batches_write_everything_and_only_once(profiles: Profiles) -> None:
    t = tenant()
    org = [row(n) for n in range(50)]
    snapshot = parse_csv(csv_of(list(reversed(org))))
    report = await import_snapshot(profiles.process.uow, t, snapshot, batch_size=7)
    assert report.created == 50
    people = await profiles.people(t)
    events = await profiles.events(t)
    assert len(people) == 50 and len(events) == 50
    assert {d["person"]["id"] for _, d in events} == {p.id for p in people.values()}
    for _, data in events:
        manager = data["person"]["managerExternalId"]
        assert data["person"]["managerId"] == (people[manager].id if manager else None)


async def test_tenants_never_see_each_others_people(profiles: Profiles) -> None:
    a, b = tenant(), tenant()
    report_of(await profiles.upload(a, csv_of([row(n) for n in range(5)])))
    report = report_of(
        await profiles.upload(b, csv_of([row(n) for n in range(3)]), terminateMissing="true")
    )
    assert (report["created"], report["missing"], report["terminated"]) == (3, [], 0)
    assert len(await profiles.people(a)) == 5
    assert {p.status for p in (await profiles.people(a)).values()} == {"ACTIVE"}


async def test_json_snapshots_import_like_csv(profiles: Profiles) -> None:
    t = tenant()
    body = {
        "employees": [
            {
                "externalId": "J1",
                "email": "j1@example.com",
                "displayName": "Jo",
                "languages": ["en", "pt"],
                "hireDate": "2020-02-03",
            },
            {
                "externalId": "J2",
                "email": "j2@example.com",
                "displayName": "Jan",
                "managerExternalId": "J1",
            },
        ]
    }
    report = report_of(await profiles.upload(t, json.dumps(body), "application/json"))
    assert report["created"] == 2
    people = await profiles.people(t)
    assert people["J1"].languages == ["en", "pt"]
    assert str(people["J1"].hire_date) == "2020-02-03"
    assert people["J2"].manager_external_id == "J1"


# --- bad input: an answer naming the problem, and nothing written ----------------------------


async def assert_nothing_written(profiles: Profiles, t: str) -> None:
    assert await profiles.people(t) == {}
    assert await profiles.events(t) == []


async def test_bad_rows_are_refused_naming_each_and_nothing_is_written(
    profiles: Profiles,
) -> None:
    t = tenant()
    org = [row(n) for n in range(20)]
    org[6] = row(6, email="not-an-email")
    org[11] = row(11, timeZone="Mars/Olympus")
    org[14] = row(14, externalId="E2")
    response = await profiles.upload(t, csv_of(org))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["rows.7.email", "rows.12.timeZone", "rows.15.externalId"]
    assert problem["errors"][2]["message"] == "'E2' is also at rows.3"
    assert problem["detail"].startswith("nothing was imported: rows.7.email:")
    await assert_nothing_written(profiles, t)


async def test_a_manager_loop_is_refused_naming_its_rows(profiles: Profiles) -> None:
    t = tenant()
    org = [
        row(1, managerExternalId="E3"),
        row(2, managerExternalId="E1"),
        row(3, managerExternalId="E2"),
    ]
    response = await profiles.upload(t, csv_of(org))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [
        "rows.1.managerExternalId",
        "rows.3.managerExternalId",
        "rows.2.managerExternalId",
    ]
    assert "E1 → E3 → E2 → E1" in response.json()["errors"][0]["message"]
    await assert_nothing_written(profiles, t)


async def test_many_bad_rows_list_the_first_hundred(profiles: Profiles) -> None:
    t = tenant()
    response = await profiles.upload(t, csv_of([row(n, level="high") for n in range(250)]))
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == 100
    assert "(and 150 more; the first 100 are listed)" in problem["detail"]
    await assert_nothing_written(profiles, t)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "needle"),
    [
        (b"externalId,email,displayName\nE1,a@example.com,A\n", "text/plain", 415, "text/csv"),
        (b"externalId,email,displayName\nE1,a@example.com,\xff\n", "text/csv", 422, "UTF-8"),
        (b'{"employees": {"E1": {}}}', "application/json", 422, "employees"),
        (b"{oops", "application/json", 422, "malformed JSON"),
        (b"", "text/csv", 422, "the file is empty"),
    ],
)
async def test_unreadable_uploads_are_refused(
    profiles: Profiles, body: bytes, content_type: str, status: int, needle: str
) -> None:
    t = tenant()
    response = await profiles.upload(t, body, content_type)
    assert response.status_code == status, response.text
    assert needle in response.text
    await assert_nothing_written(profiles, t)


async def test_an_upload_over_the_limit_is_refused(
    profiles: Profiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports_api, "MAX_SNAPSHOT_BYTES", 1000)
    t = tenant()
    response = await profiles.upload(t, csv_of([row(n) for n in range(50)]))
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]
    await assert_nothing_written(profiles, t)


async def test_an_import_needs_a_service_token(profiles: Profiles) -> None:
    response = await profiles.http.post(
        "/internal/imports", content=csv_of([row(1)]), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 401
