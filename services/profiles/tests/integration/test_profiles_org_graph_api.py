"""The org graph against a real database: history of moves, the manager chain both ways,
refused manager loops and the rejections list, future-dated changes held until due, and
managers named before they exist. Changes go in through the use case the consumer calls;
reads come out of the internal REST API, as the gateway calls it."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from contracts.hris import HrisChange
from devstack.pytest_plugin import DatabaseFactory, eventually
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from persistence.migrations import upgrade_async
from profiles import bootstrap
from profiles.adapters.repository import HeldChanges
from profiles.adapters.tables import Person
from profiles.config import ProfilesSettings
from profiles.domain.people import Outcome
from profiles.entrypoints.api import create_app
from profiles.service_layer.held_changes import held_change_releaser, release_due
from profiles.service_layer.org_changes import apply_hris_change
from runtime.process import ServiceProcess
from service_auth.tokens import Caller, TokenMinter, generate_keypair
from sqlalchemy import select

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAST = datetime(2026, 1, 5, 9, tzinfo=UTC)


class Profiles:
    """The profiles service on a fresh database, for one tenant at a time."""

    def __init__(self, process: ServiceProcess, http: httpx.AsyncClient, minter: TokenMinter):
        self.process = process
        self.http = http
        self.minter = minter
        self.tenant = f"t-{uuid.uuid4().hex[:8]}"

    async def apply(self, change: HrisChange, now: datetime | None = None) -> Outcome:
        async with self.process.uow() as uow:
            outcome = await apply_hris_change(uow, self.tenant, change, now=now)
            await uow.commit()
        return outcome

    async def get(self, path: str, tenant: str | None = None, **params: Any) -> httpx.Response:
        token = self.minter.mint(
            Caller(tenant_id=tenant or self.tenant, principal="system"), "profiles"
        )
        return await self.http.get(
            path, params=params, headers={"Authorization": f"Bearer {token}"}
        )

    async def ok(self, path: str, **params: Any) -> Any:
        response = await self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    async def person(self, external_id: str) -> dict[str, Any]:
        page = await self.ok("/internal/people", search=external_id, first=100)
        found = [e["node"] for e in page["edges"] if e["node"]["externalId"] == external_id]
        assert len(found) == 1, page
        return dict(found[0])

    async def events(self) -> list[dict[str, Any]]:
        outbox = self.process.tables.outbox
        async with self.process.uow() as uow:
            rows = await uow.session.execute(
                select(outbox.c.event_type, outbox.c.data)
                .where(outbox.c.tenant_id == self.tenant)
                .order_by(outbox.c.id)
            )
            return [{"type": t, **d} for t, d in rows]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(database_factory: DatabaseFactory) -> AsyncIterator[tuple[ServiceProcess, Any]]:
    private, public = generate_keypair()
    url = await database_factory("profiles")
    await upgrade_async(bootstrap.MIGRATIONS, url)
    app = create_app(
        ProfilesSettings(database_url=url, service_token_public_key=public, run_workers=False)
    )
    process: ServiceProcess = app.state.process
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as http:
        yield process, (http, TokenMinter(private))
    await process.engine.dispose()


@pytest.fixture
def profiles(service: tuple[ServiceProcess, Any]) -> Profiles:
    process, (http, minter) = service
    return Profiles(process, http, minter)


def change(
    external_id: str,
    version: int,
    kind: str = "employee.updated",
    effective_at: datetime = PAST,
    **employee: Any,
) -> HrisChange:
    return HrisChange.model_validate(
        {
            "id": f"chg-{uuid.uuid4().hex}",
            "type": kind,
            "effectiveAt": effective_at.isoformat(),
            "sourceVersion": version,
            "employee": {"externalId": external_id, **employee},
        }
    )


def hire(external_id: str, version: int = 1, **employee: Any) -> HrisChange:
    return change(
        external_id,
        version,
        "employee.hired",
        email=f"{external_id.lower()}@example.com",
        displayName=f"Person {external_id}",
        **employee,
    )


async def org(profiles: Profiles) -> None:
    """E1 at the top; E2, E3 under E1; E4, E5 under E3; E6 under E5."""
    for external_id, manager in [
        ("E1", None),
        ("E2", "E1"),
        ("E3", "E1"),
        ("E4", "E3"),
        ("E5", "E3"),
        ("E6", "E5"),
    ]:
        assert await profiles.apply(hire(external_id, managerExternalId=manager)) is Outcome.CREATED


# --- history -------------------------------------------------------------------------------


async def test_every_move_is_recorded_with_its_effective_date(profiles: Profiles) -> None:
    hired_at, promoted_at, moved_at = PAST, PAST + timedelta(days=90), PAST + timedelta(days=200)
    await profiles.apply(hire("B1"))
    await profiles.apply(hire("B2"))
    await profiles.apply(
        hire("A1", title="Engineer", level=3, department="R&D", managerExternalId="B1")
    )
    await profiles.apply(
        change("A1", 2, effective_at=promoted_at, title="Senior Engineer", level=4)
    )
    await profiles.apply(
        change("A1", 3, effective_at=moved_at, department="Sales", managerExternalId="B2")
    )
    # Not an org move: no history.
    await profiles.apply(change("A1", 4, location="Oslo"))
    person = await profiles.person("A1")

    history = (await profiles.ok(f"/internal/people/{person['id']}/history"))["items"]
    moves = [
        (h["field"], h["fromValue"], h["toValue"], h["effectiveAt"], h["sourceVersion"])
        for h in history
    ]
    iso = lambda moment: moment.isoformat().replace("+00:00", "Z")  # noqa: E731
    assert moves == [
        ("title", None, "Engineer", iso(hired_at), 1),
        ("level", None, 3, iso(hired_at), 1),
        ("department", None, "R&D", iso(hired_at), 1),
        ("managerExternalId", None, "B1", iso(hired_at), 1),
        ("title", "Engineer", "Senior Engineer", iso(promoted_at), 2),
        ("level", 3, 4, iso(promoted_at), 2),
        ("department", "R&D", "Sales", iso(moved_at), 3),
        ("managerExternalId", "B1", "B2", iso(moved_at), 3),
    ]
    assert all(h["recordedAt"] and h["changeId"] for h in history)

    # The events carry the same moves, so other services can measure promotions.
    updates = [e for e in await profiles.events() if e["type"] == "person.updated"]
    promotion = next(e for e in updates if e["person"]["title"] == "Senior Engineer")
    assert [(c["field"], c["fromValue"], c["toValue"]) for c in promotion["orgChanges"]] == [
        ("title", "Engineer", "Senior Engineer"),
        ("level", 3, 4),
    ]
    assert promotion["orgChanges"][0]["effectiveAt"] == iso(promoted_at)


async def test_a_stale_change_adds_no_history(profiles: Profiles) -> None:
    await profiles.apply(hire("S1", title="Lead"))
    await profiles.apply(change("S1", 3, title="Director"))
    assert await profiles.apply(change("S1", 2, title="Manager")) is Outcome.STALE
    person = await profiles.person("S1")
    history = (await profiles.ok(f"/internal/people/{person['id']}/history"))["items"]
    assert [h["toValue"] for h in history] == ["Lead", "Director"]


# --- the chain, up and down ----------------------------------------------------------------


async def test_the_chain_up_is_nearest_first(profiles: Profiles) -> None:
    await org(profiles)
    e6 = await profiles.person("E6")
    chain = await profiles.ok(f"/internal/people/{e6['id']}/managers")
    assert [m["externalId"] for m in chain["items"]] == ["E5", "E3", "E1"]
    assert chain["pendingManagerExternalId"] is None
    top = await profiles.person("E1")
    assert (await profiles.ok(f"/internal/people/{top['id']}/managers"))["items"] == []


async def test_everyone_below_with_depth_in_pages(profiles: Profiles) -> None:
    await org(profiles)
    top = await profiles.person("E1")
    path = f"/internal/people/{top['id']}/reports"
    everyone = await profiles.ok(path, recursive="true", first=100)
    assert [(e["node"]["externalId"], e["depth"]) for e in everyone["edges"]] == [
        ("E2", 1),
        ("E3", 1),
        ("E4", 2),
        ("E5", 2),
        ("E6", 3),
    ]
    assert everyone["totalCount"] == 5
    assert everyone["hasNextPage"] is False

    seen: list[str] = []
    after = None
    while True:
        page = await profiles.ok(
            path, recursive="true", first=2, **({"after": after} if after else {})
        )
        seen += [e["node"]["externalId"] for e in page["edges"]]
        assert page["totalCount"] == 5
        if not page["hasNextPage"]:
            break
        after = page["edges"][-1]["cursor"]
    assert seen == ["E2", "E3", "E4", "E5", "E6"]

    direct = await profiles.ok(path, recursive="false")
    assert [(e["node"]["externalId"], e["depth"]) for e in direct["edges"]] == [
        ("E2", 1),
        ("E3", 1),
    ]


async def test_bad_cursors_and_unknown_people_are_reported(profiles: Profiles) -> None:
    await org(profiles)
    top = await profiles.person("E1")
    bad = await profiles.get(f"/internal/people/{top['id']}/reports", after="nonsense")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "after"
    for part in ("history", "managers", "reports"):
        missing = await profiles.get(f"/internal/people/{uuid.uuid4()}/{part}")
        assert missing.status_code == 404, part
        # Another tenant's person is simply not found.
        foreign = await profiles.get(f"/internal/people/{top['id']}/{part}", tenant="someone-else")
        assert foreign.status_code == 404, part


async def test_a_cursor_of_one_list_is_refused_by_another(profiles: Profiles) -> None:
    await org(profiles)
    top = await profiles.person("E1")
    reports = f"/internal/people/{top['id']}/reports"
    people_cursor = (await profiles.ok("/internal/people", first=1))["edges"][0]["cursor"]
    reports_cursor = (await profiles.ok(reports, first=1))["edges"][0]["cursor"]
    for path, foreign in (
        ("/internal/people", reports_cursor),
        (reports, people_cursor),
        ("/internal/org-changes/rejections", people_cursor),
    ):
        refused = await profiles.get(path, after=foreign)
        assert refused.status_code == 422, path
        assert [e["field"] for e in refused.json()["errors"]] == ["after"], path


# --- loops refused -------------------------------------------------------------------------


async def test_a_manager_loop_is_refused_and_the_rest_applies(profiles: Profiles) -> None:
    await org(profiles)
    # E3 would report to E6, who is below E3: E3 → E6 → E5 → E3.
    outcome = await profiles.apply(
        change("E3", 2, managerExternalId="E6", title="Head of Platform")
    )
    assert outcome is Outcome.UPDATED
    e3 = await profiles.person("E3")
    assert e3["managerExternalId"] == "E1"
    assert e3["title"] == "Head of Platform"

    rejections = await profiles.ok("/internal/org-changes/rejections")
    assert rejections["totalCount"] == 1
    refused = rejections["edges"][0]["node"]
    assert refused["externalId"] == "E3"
    assert refused["personId"] == e3["id"]
    assert refused["field"] == "managerExternalId"
    assert refused["sourceVersion"] == 2
    assert refused["changeType"] == "employee.updated"
    assert "E3 → E6 → E5 → E3" in refused["reason"]

    # The title move is history; the refused manager move is not.
    history = (await profiles.ok(f"/internal/people/{e3['id']}/history"))["items"]
    assert [(h["field"], h["toValue"]) for h in history if h["sourceVersion"] == 2] == [
        ("title", "Head of Platform")
    ]


async def test_oneself_as_manager_is_refused(profiles: Profiles) -> None:
    await org(profiles)
    assert await profiles.apply(change("E4", 2, managerExternalId="E4")) is Outcome.UNCHANGED
    assert (await profiles.person("E4"))["managerExternalId"] == "E3"
    refused = (await profiles.ok("/internal/org-changes/rejections"))["edges"][0]["node"]
    assert refused["reason"] == "managerExternalId 'E4' would make E4 their own manager"


async def test_a_loop_through_someone_not_yet_known_is_refused_when_they_arrive(
    profiles: Profiles,
) -> None:
    await profiles.apply(hire("L7", managerExternalId="L8"))
    assert await profiles.apply(hire("L8", managerExternalId="L7")) is Outcome.CREATED
    l8 = await profiles.person("L8")
    assert l8["managerExternalId"] is None
    l7 = await profiles.person("L7")
    chain = await profiles.ok(f"/internal/people/{l7['id']}/managers")
    assert [m["externalId"] for m in chain["items"]] == ["L8"]
    refused = (await profiles.ok("/internal/org-changes/rejections"))["edges"][0]["node"]
    assert "L8 → L7 → L8" in refused["reason"]
    assert refused["changeType"] == "employee.hired"


async def test_a_change_that_cannot_apply_at_all_is_listed(profiles: Profiles) -> None:
    await profiles.apply(hire("R1"))
    assert await profiles.apply(change("R1", 2, email=None)) is Outcome.REJECTED
    refused = (await profiles.ok("/internal/org-changes/rejections"))["edges"][0]["node"]
    assert refused["field"] is None
    assert refused["reason"] == "email cannot be cleared"


async def test_rejections_page_newest_first_and_stay_in_their_tenant(profiles: Profiles) -> None:
    await org(profiles)
    for version, manager in enumerate(["E4", "E5", "E6"], start=2):
        await profiles.apply(change("E3", version, managerExternalId=manager))
    first = await profiles.ok("/internal/org-changes/rejections", first=2)
    assert first["totalCount"] == 3
    assert first["hasNextPage"] is True
    rest = await profiles.ok(
        "/internal/org-changes/rejections", first=2, after=first["edges"][-1]["cursor"]
    )
    assert rest["hasNextPage"] is False
    versions = [e["node"]["sourceVersion"] for e in first["edges"] + rest["edges"]]
    assert versions == [4, 3, 2]
    other = await profiles.get("/internal/org-changes/rejections", tenant="another-tenant")
    assert other.json()["totalCount"] == 0


# --- managers named before they exist ------------------------------------------------------


async def test_an_unknown_manager_is_kept_and_resolves_when_they_arrive(
    profiles: Profiles,
) -> None:
    await profiles.apply(hire("U1", managerExternalId="U0"))
    u1 = await profiles.person("U1")
    chain = await profiles.ok(f"/internal/people/{u1['id']}/managers")
    assert chain == {"items": [], "pendingManagerExternalId": "U0"}

    await profiles.apply(hire("U0", managerExternalId="UX"))
    chain = await profiles.ok(f"/internal/people/{u1['id']}/managers")
    assert [m["externalId"] for m in chain["items"]] == ["U0"]
    assert chain["pendingManagerExternalId"] == "UX"
    u0 = await profiles.person("U0")
    below = await profiles.ok(f"/internal/people/{u0['id']}/reports", recursive="true")
    assert [e["node"]["externalId"] for e in below["edges"]] == ["U1"]
    # The report's event now names the resolved manager.
    resolved = [
        e
        for e in await profiles.events()
        if e["type"] == "person.updated" and e["person"]["externalId"] == "U1"
    ]
    assert resolved[-1]["person"]["managerId"] == u0["id"]


# --- effective dating ----------------------------------------------------------------------


async def test_a_future_change_is_held_until_due_then_applied(profiles: Profiles) -> None:
    now = datetime.now(UTC)
    await profiles.apply(hire("F1", department="Sales"), now=now)
    transfer_at = now + timedelta(days=30)
    transfer = change("F1", 2, effective_at=transfer_at, department="Platform")
    assert await profiles.apply(transfer, now=now) is Outcome.HELD
    assert (await profiles.person("F1"))["department"] == "Sales"

    # Not yet due: nothing happens, however often the worker looks.
    assert await release_due(profiles.process.uow, transfer_at - timedelta(seconds=1)) == 0
    assert (await profiles.person("F1"))["department"] == "Sales"

    assert await release_due(profiles.process.uow, transfer_at) >= 1
    f1 = await profiles.person("F1")
    assert f1["department"] == "Platform"
    history = (await profiles.ok(f"/internal/people/{f1['id']}/history"))["items"]
    assert history[-1]["toValue"] == "Platform"
    assert history[-1]["effectiveAt"] == transfer_at.isoformat().replace("+00:00", "Z")
    async with profiles.process.uow() as uow:
        assert await HeldChanges(uow.session).of_tenant(profiles.tenant) == []


async def test_held_changes_apply_by_version_not_by_release(profiles: Profiles) -> None:
    now = datetime.now(UTC)
    await profiles.apply(hire("V1", title="Engineer"), now=now)
    # v2 (future) promotes; v3 (now, a newer version) sets the title already.
    await profiles.apply(
        change("V1", 2, effective_at=now + timedelta(days=1), title="Lead"), now=now
    )
    await profiles.apply(change("V1", 3, title="Staff Engineer", level=5), now=now)
    await release_due(profiles.process.uow, now + timedelta(days=2))
    v1 = await profiles.person("V1")
    assert v1["title"] == "Staff Engineer"  # the older version changes no field set by a newer
    assert v1["level"] == 5


async def test_a_future_termination_and_rehire_keep_working(profiles: Profiles) -> None:
    now = datetime.now(UTC)
    await profiles.apply(hire("T1"), now=now)
    leave = change("T1", 2, "employee.leave_started", effective_at=now + timedelta(hours=1))
    leaves = change("T1", 3, "employee.terminated", effective_at=now + timedelta(hours=2))
    back = change("T1", 4, "employee.rehired", effective_at=now + timedelta(hours=3))
    for item in (back, leaves, leave):  # arrival order does not matter
        assert await profiles.apply(item, now=now) is Outcome.HELD
    statuses = []
    for hours in (1, 2, 3):
        await release_due(profiles.process.uow, now + timedelta(hours=hours))
        statuses.append((await profiles.person("T1"))["status"])
    assert statuses == ["ON_LEAVE", "TERMINATED", "ACTIVE"]
    types = [e["type"] for e in await profiles.events()]
    assert types.count("person.terminated") == 1


async def test_the_worker_releases_due_changes_on_its_own(profiles: Profiles) -> None:
    await profiles.apply(hire("W1", department="Sales"))
    soon = datetime.now(UTC) + timedelta(milliseconds=300)
    assert await profiles.apply(change("W1", 2, effective_at=soon, department="Ops")) is (
        Outcome.HELD
    )
    worker = asyncio.create_task(held_change_releaser(0.05)(profiles.process))
    try:

        async def moved() -> bool:
            return (await profiles.person("W1"))["department"] == "Ops"

        assert await eventually(moved, timeout_s=20)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_a_redelivered_held_change_is_held_once(profiles: Profiles) -> None:
    now = datetime.now(UTC)
    await profiles.apply(hire("H1"), now=now)
    held = change("H1", 2, effective_at=now + timedelta(days=3), title="Later")
    await profiles.apply(held, now=now)
    await profiles.apply(held, now=now)
    async with profiles.process.uow() as uow:
        waiting = await HeldChanges(uow.session).of_tenant(profiles.tenant)
    assert [(w.change_id, w.external_id, w.source_version) for w in waiting] == [(held.id, "H1", 2)]


# --- the recursive queries against a brute-force reading of any links ----------------------

PEOPLE = [f"G{i}" for i in range(9)]
any_links = st.dictionaries(
    st.sampled_from(PEOPLE), st.none() | st.sampled_from([*PEOPLE, "GX"]), min_size=1
)


def walk_up(start: str, links: dict[str, str | None]) -> list[str]:
    """Brute force: follow links, stopping at the top, someone unknown or a repeat."""
    walked = [start]
    while (manager := links.get(walked[-1])) is not None and manager not in walked:
        walked.append(manager)
    return walked[1:]


async def store(profiles: Profiles, links: dict[str, str | None]) -> dict[str, str]:
    """The links as person rows written straight to the table (loops included, as racing
    writers could leave them); person id by external id."""
    now = datetime.now(UTC)
    ids = {external_id: str(uuid.uuid4()) for external_id in links}
    async with profiles.process.uow() as uow:
        for external_id, manager in links.items():
            uow.session.add(
                Person(
                    id=ids[external_id],
                    tenant_id=profiles.tenant,
                    external_id=external_id,
                    email=f"{external_id}@example.com",
                    display_name=f"Name {external_id[::-1]}",
                    time_zone="UTC",
                    manager_external_id=manager,
                    status="ACTIVE",
                    source_version=1,
                    revision=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        await uow.commit()
    return ids


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(links=any_links)
async def test_the_queries_agree_with_a_brute_force_walk_whatever_the_links(
    service: tuple[ServiceProcess, Any], links: dict[str, str | None]
) -> None:
    process, (http, minter) = service
    profiles = Profiles(process, http, minter)  # a fresh tenant for each example
    ids = await store(profiles, links)
    for external_id, person_id in ids.items():
        chain = await profiles.ok(f"/internal/people/{person_id}/managers")
        expected = walk_up(external_id, links)
        known = [m for m in expected if m in links]
        assert [m["externalId"] for m in chain["items"]] == known
        assert chain["pendingManagerExternalId"] == (
            expected[-1] if expected and expected[-1] not in links else None
        )

        below = {
            other: walk_up(other, links).index(external_id) + 1
            for other in links
            if other != external_id and external_id in walk_up(other, links)
        }
        order = sorted(below, key=lambda o: (below[o], f"Name {o[::-1]}", ids[o]))
        page = await profiles.ok(
            f"/internal/people/{person_id}/reports", recursive="true", first=100
        )
        assert [(e["node"]["externalId"], e["depth"]) for e in page["edges"]] == [
            (o, below[o]) for o in order
        ]
        assert page["totalCount"] == len(below)
