"""SCIM provisioning end to end: what an identity provider does over /scim/v2 reaches the
person in profiles (seen through GraphQL) as canonical org changes."""

from typing import Any

import httpx
import pytest
from devstack.pytest_plugin import RunningSystem, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

PERSON = """query($externalId: String!) {
  person(externalId: $externalId) {
    externalId email displayName givenName familyName title department timeZone status
    languages manager { externalId }
  }
}"""


class Scim:
    """An identity provider's view of one tenant's SCIM endpoint."""

    def __init__(self, system: RunningSystem, api_key: str) -> None:
        self.base = f"{system.url('gateway')}/scim/v2"
        self.http = system.http
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/scim+json",
        }

    async def request(
        self, method: str, path: str, body: Any = None, **params: Any
    ) -> httpx.Response:
        return await self.http.request(
            method, f"{self.base}{path}", json=body, params=params or None, headers=self.headers
        )


def user_body(user_name: str, external_id: str | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "displayName": f"Grace Hopper ({user_name})",
        "title": "Rear Admiral",
        "timezone": "America/New_York",
        "preferredLanguage": "en-US",
        "emails": [{"value": f"{user_name}@navy.example", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
        ENTERPRISE: {"employeeNumber": "N-1", "department": "Compilers"},
        **extra,
    }
    if external_id is not None:
        body["externalId"] = external_id
    return body


async def person(system: RunningSystem, api_key: str, external_id: str) -> dict[str, Any] | None:
    body = await system.graphql(api_key, PERSON, {"externalId": external_id})
    found: dict[str, Any] | None = body["data"]["person"]
    return found


async def test_a_provisioned_user_becomes_a_person_and_follows_changes(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("SCIM Navy")
    key = tenant["apiKey"]
    scim = Scim(system, key)

    boss = await scim.request("POST", "/Users", user_body("boss", "GH-BOSS"))
    assert boss.status_code == 201, boss.text
    created = await scim.request(
        "POST",
        "/Users",
        user_body(
            "grace",
            "GH-1",
            **{ENTERPRISE: {"department": "Compilers", "manager": {"value": boss.json()["id"]}}},
        ),
    )
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/scim+json")
    user = created.json()
    assert created.headers["location"] == user["meta"]["location"]
    assert created.headers["etag"] == user["meta"]["version"]
    # What the client set comes back, attributes Cairn does not model included.
    assert user["phoneNumbers"] == [{"value": "+1 555 0100", "type": "work"}]
    # A GET right after answers at once; the person follows through Kafka.
    again = await scim.request("GET", f"/Users/{user['id']}")
    assert again.status_code == 200
    assert again.json()["userName"] == "grace"

    async def hired() -> dict[str, Any] | None:
        found = await person(system, key, "GH-1")
        return found if found and found["manager"] else None

    found = await eventually(hired, timeout_s=30)
    assert found["email"] == "grace@navy.example"
    assert found["displayName"] == "Grace Hopper (grace)"
    assert (found["givenName"], found["familyName"]) == ("Grace", "Hopper")
    assert found["title"] == "Rear Admiral"
    assert found["department"] == "Compilers"
    assert found["timeZone"] == "America/New_York"
    assert found["languages"] == ["en"]
    assert found["status"] == "ACTIVE"
    assert found["manager"] == {"externalId": "GH-BOSS"}

    # Entra-style PATCH: no path, the enterprise attribute named by its full URN.
    patched = await scim.request(
        "PATCH",
        f"/Users/{user['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Add", "value": {f"{ENTERPRISE}:department": "Languages"}}],
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()[ENTERPRISE]["department"] == "Languages"

    async def moved() -> dict[str, Any] | None:
        found = await person(system, key, "GH-1")
        return found if found and found["department"] == "Languages" else None

    moved_person = await eventually(moved, timeout_s=30)
    assert moved_person["title"] == "Rear Admiral"  # a merge patch: the rest stays

    # Entra deactivates with a string boolean.
    deactivated = await scim.request(
        "PATCH",
        f"/Users/{user['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        },
    )
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False

    async def terminated() -> dict[str, Any] | None:
        found = await person(system, key, "GH-1")
        return found if found and found["status"] == "TERMINATED" else None

    await eventually(terminated, timeout_s=30)

    reactivated = await scim.request(
        "PATCH",
        f"/Users/{user['id']}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": True}}]},
    )
    assert reactivated.status_code == 200, reactivated.text

    async def rehired() -> dict[str, Any] | None:
        found = await person(system, key, "GH-1")
        return found if found and found["status"] == "ACTIVE" else None

    await eventually(rehired, timeout_s=30)

    deleted = await scim.request("DELETE", f"/Users/{user['id']}")
    assert deleted.status_code == 204
    gone = await scim.request("GET", f"/Users/{user['id']}")
    assert gone.status_code == 404
    assert gone.json()["schemas"] == [ERROR]
    assert (await scim.request("DELETE", f"/Users/{user['id']}")).status_code == 404
    await eventually(terminated, timeout_s=30)

    # Provisioned again, the same person comes back: versions kept growing past the delete.
    returned = await scim.request("POST", "/Users", user_body("grace", "GH-1"))
    assert returned.status_code == 201, returned.text
    assert returned.json()["id"] != user["id"]
    await eventually(rehired, timeout_s=30)


async def test_bad_input_is_refused_with_scim_errors_and_changes_nothing(
    system: RunningSystem,
) -> None:
    tenant = system.create_tenant("SCIM Strict")
    scim = Scim(system, tenant["apiKey"])

    no_email = user_body("noemail", "NE-1")
    del no_email["emails"]
    refused = await scim.request("POST", "/Users", no_email)
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidValue"
    assert "emails" in refused.json()["detail"]

    bad_zone = await scim.request(
        "POST", "/Users", user_body("zone", "Z-1", timezone="Mars/Olympus")
    )
    assert bad_zone.status_code == 400
    assert "timezone" in bad_zone.json()["detail"]

    assert (await scim.request("POST", "/Users", user_body("taken", "T-1"))).status_code == 201
    clash = await scim.request("POST", "/Users", user_body("TAKEN", "T-2"))
    assert clash.status_code == 409
    assert clash.json()["scimType"] == "uniqueness"

    unsupported = await scim.request("GET", "/Users", filter='title co "Admiral"')
    assert unsupported.status_code == 400
    assert unsupported.json()["scimType"] == "invalidFilter"

    listed = await scim.request("GET", "/Users")
    assert listed.json()["totalResults"] == 1  # none of the refused ones was kept

    unauthenticated = await system.http.get(f"{scim.base}/Users")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["schemas"] == [ERROR]


async def test_filters_pages_and_tenants(system: RunningSystem) -> None:
    tenant = system.create_tenant("SCIM Filters")
    other = system.create_tenant("SCIM Elsewhere")
    scim, elsewhere = Scim(system, tenant["apiKey"]), Scim(system, other["apiKey"])

    ids = []
    for index in range(5):
        response = await scim.request("POST", "/Users", user_body(f"Member.{index}", f"F-{index}"))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])

    by_name = await scim.request("GET", "/Users", filter='userName eq "member.3"')
    assert by_name.status_code == 200
    assert [r["id"] for r in by_name.json()["Resources"]] == [ids[3]]  # case-insensitive
    by_external = await scim.request("GET", "/Users", filter='externalId eq "F-1"')
    assert [r["id"] for r in by_external.json()["Resources"]] == [ids[1]]
    assert (await scim.request("GET", "/Users", filter='externalId eq "f-1"')).json()[
        "totalResults"
    ] == 0  # externalId is case-exact

    second_page = (await scim.request("GET", "/Users", startIndex=2, count=2)).json()
    assert second_page["totalResults"] == 5
    assert second_page["startIndex"] == 2
    assert second_page["itemsPerPage"] == 2
    assert [r["id"] for r in second_page["Resources"]] == ids[1:3]

    group = await scim.request(
        "POST",
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Mentors",
            "members": [{"value": ids[0]}],
        },
    )
    assert group.status_code == 201, group.text
    added = await scim.request(
        "PATCH",
        f"/Groups/{group.json()['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": ids[1]}]}],
        },
    )
    assert [m["value"] for m in added.json()["members"]] == ids[:2]
    found = await scim.request("GET", "/Groups", filter='displayName eq "mentors"')
    assert found.json()["totalResults"] == 1

    # Another tenant's token sees none of it, and cannot reach it by id.
    assert (await elsewhere.request("GET", "/Users")).json()["totalResults"] == 0
    assert (await elsewhere.request("GET", "/Groups")).json()["totalResults"] == 0
    assert (await elsewhere.request("GET", f"/Users/{ids[0]}")).status_code == 404
    assert (await elsewhere.request("DELETE", f"/Users/{ids[0]}")).status_code == 404
    borrowed = await elsewhere.request(
        "POST",
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Borrowed",
            "members": [{"value": ids[0]}],
        },
    )
    assert borrowed.status_code == 400
    assert (await scim.request("GET", f"/Users/{ids[0]}")).status_code == 200
