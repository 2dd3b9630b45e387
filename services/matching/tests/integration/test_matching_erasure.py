"""`person.erased` in matching, on a real database: the roster keeps a tombstone no replay can
overwrite, the person's matches stay under their opaque id, nothing in the database names
them any more, and matching confirms."""

from datetime import UTC, datetime

import pytest
from contracts.people import PersonErased, PersonUpdated
from devstack.leftovers import mentions
from matching.adapters.tables import roster

from services.matching.tests.integration.matching_api import (
    Service,
    cohort,
    matches_of,
    person,
    types,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

NAMES = ("Zephyrine", "Quillfeather", "zq-7731@example-corp.com", "EXT-ZQ-7731")


def distinctive(person_id: str, *, revision: int = 2) -> dict[str, object]:
    snapshot = person(person_id, level=3, manager_id="boss", department="Sales", revision=revision)
    return {
        **snapshot,
        "externalId": "EXT-ZQ-7731",
        "email": "zq-7731@example-corp.com",
        "givenName": "Zephyrine",
        "familyName": "Quillfeather",
        "displayName": "Zephyrine Quillfeather",
        "bio": "Zephyrine likes sailing",
    }


async def test_an_erased_person_leaves_no_name_and_keeps_the_matches(service: Service) -> None:
    c = await cohort(service)
    t, forgotten = c.tenant_id, c.mentees[0]
    await service.deliver(
        t,
        PersonUpdated.model_validate(
            {"person": distinctive(forgotten), "changedFields": ["displayName"]}
        ),
    )
    await service.run(t, c.program_id, dry_run=False)
    before = await matches_of(service, c)
    assert any(forgotten in m["menteeIds"] for m in before)
    engine = service.matching.process.engine
    assert await mentions(engine, NAMES)  # the test would see them

    await service.deliver(t, PersonErased(person_id=forgotten, erased_at=datetime.now(UTC)))

    assert await mentions(engine, NAMES) == []
    assert await matches_of(service, c) == before  # the same matches, the same ids
    confirmations = [e for e in await service.events(t) if e[0] == "person.erasure_confirmed"]
    assert [(k, d["service"], d["personId"]) for _, k, d in confirmations] == [
        (forgotten, "matching", forgotten)
    ]
    assert types(await service.events(t))[-1] == "person.erasure_confirmed"

    # A replay of the person's old events (a log read again) brings nothing back.
    await service.deliver(
        t,
        PersonUpdated.model_validate(
            {"person": distinctive(forgotten, revision=9), "changedFields": ["displayName"]}
        ),
    )
    assert await mentions(engine, NAMES) == []
    async with service.matching.process.uow() as uow:
        kept = await roster.get(uow, t, forgotten)
    assert kept is not None and kept.display_name == "Erased person"
    assert kept.email == f"erased-{forgotten}@erased.invalid"


async def test_erasing_someone_matching_never_knew_is_confirmed(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    await service.deliver(
        c.tenant_id, PersonErased(person_id="nobody-known", erased_at=datetime.now(UTC))
    )
    assert types(await service.events(c.tenant_id))[-1] == "person.erasure_confirmed"
