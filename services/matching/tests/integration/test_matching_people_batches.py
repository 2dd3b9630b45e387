"""People's matches in one call for a page of people (the gateway's DataLoaders): for every
person asked about, exactly what `/people/{id}/matches` answers, with the same status filter;
another tenant's matches never; a bad request refused naming the field."""

from typing import Any

import pytest

from services.matching.tests.integration.matching_api import (
    Service,
    cohort,
    decide,
    matches_of,
    tenant,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

BATCH = "/internal/matching/people/matches/batch"


async def batch(service: Service, tenant_id: str, **body: Any) -> dict[str, list[Any]]:
    answer = await service.call(tenant_id, "POST", BATCH, json=body)
    assert answer.status_code == 200, answer.text
    return {item["personId"]: item["items"] for item in answer.json()["items"]}


async def single(service: Service, tenant_id: str, person_id: str, status: list[str]) -> list[Any]:
    answer = await service.call(
        tenant_id,
        "GET",
        f"/internal/matching/people/{person_id}/matches",
        params={"status": status},
    )
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


async def test_each_persons_matches_as_one_person_would_get_them(service: Service) -> None:
    c = await cohort(service, mentors=3, mentees=3)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    proposed = await matches_of(service, c)
    assert len(proposed) == 3
    await decide(service, c, proposed[0]["id"], "decline", personId=proposed[0]["menteeIds"][0])
    everyone = [*c.mentors, *c.mentees, "boss", "nobody"]

    for status in ([], ["PROPOSED"], ["DECLINED", "ENDED"]):
        found = await batch(service, c.tenant_id, personIds=everyone, status=status)
        assert list(found) == everyone  # everyone asked about gets a list
        for person_id in everyone:
            assert found[person_id] == await single(service, c.tenant_id, person_id, status)
    assert sum(len(v) for v in (await batch(service, c.tenant_id, personIds=c.mentees)).values())
    assert await batch(service, tenant(), personIds=everyone) == {p: [] for p in everyone}


async def test_both_sides_of_a_match_get_it_once_each(service: Service) -> None:
    c = await cohort(service, mentors=1, mentees=1)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    [match] = await matches_of(service, c)
    found = await batch(service, c.tenant_id, personIds=["mr0", "me0", "me0"])
    assert [m["id"] for m in found["mr0"]] == [m["id"] for m in found["me0"]] == [match["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"personIds": ["p"] * 501}, "personIds"),
        ({}, "personIds"),
        ({"personIds": ["p"], "status": ["SOMEDAY"]}, "status"),
        ({"personIds": ["p"], "first": 3}, "first"),
    ],
)
async def test_a_bad_batch_is_refused_naming_the_field(
    service: Service, body: dict[str, Any], field: str
) -> None:
    answer = await service.call(tenant(), "POST", BATCH, json=body)
    assert answer.status_code == 422, answer.text
    assert field in {e["field"] for e in answer.json()["errors"]}


async def test_matches_by_id_as_one_match_would_get_them(service: Service) -> None:
    c = await cohort(service, mentors=2, mentees=2)
    await service.run(c.tenant_id, c.program_id, dry_run=False)
    proposed = await matches_of(service, c)
    ids = [m["id"] for m in proposed]
    answer = await service.call(
        c.tenant_id, "POST", "/internal/matching/matches/batch", json={"ids": [*ids, "mt_nope"]}
    )
    assert answer.status_code == 200, answer.text
    found = {m["id"]: m for m in answer.json()["items"]}
    assert sorted(found) == sorted(ids)  # the unknown one left out
    for match_id in ids:
        one = await service.call(c.tenant_id, "GET", f"/internal/matching/matches/{match_id}")
        assert found[match_id] == one.json()
    other = await service.call(
        tenant(), "POST", "/internal/matching/matches/batch", json={"ids": ids}
    )
    assert other.json()["items"] == []  # another tenant's matches never
    too_many = await service.call(
        c.tenant_id, "POST", "/internal/matching/matches/batch", json={"ids": ["m"] * 501}
    )
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "ids"
