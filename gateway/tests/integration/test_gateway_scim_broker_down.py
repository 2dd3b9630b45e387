"""A SCIM write the event log cannot take is refused whole: 503, and nothing is kept."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import create_tenant
from persistence.migrations import upgrade_async
from service_auth.tokens import generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "ada",
    "emails": [{"value": "ada@example.com"}],
}


@pytest_asyncio.fixture(loop_scope="session")
async def scim(
    database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # nothing listens there
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(database_url=url, run_workers=False, service_token_private_key=private_key)
    )
    process = app.state.process
    async with process.uow() as uow:
        credentials = await create_tenant(uow, "Broker Down Ltd")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway.test/scim/v2",
        headers={"Authorization": f"Bearer {credentials.api_key}"},
    ) as client:
        yield client
    await process.publisher.close()
    await process.engine.dispose()


async def test_a_write_the_broker_cannot_take_is_a_503_and_leaves_nothing(
    scim: httpx.AsyncClient,
) -> None:
    refused = await scim.post("/Users", json=USER)
    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("application/scim+json")
    assert refused.headers["retry-after"] == "30"
    body = refused.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == "503"

    listed = await scim.get("/Users", params={"filter": 'userName eq "ada"'})
    assert listed.status_code == 200
    assert listed.json()["totalResults"] == 0
