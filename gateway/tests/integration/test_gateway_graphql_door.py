"""GraphQL bodies go through the one JSON reader too: nesting past the limit is a 400 naming
it, before any parser recurses (it was a 500: RecursionError)."""

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
from runtime.bodies import MAX_JSON_DEPTH
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def graphql(database_factory: DatabaseFactory) -> AsyncIterator[httpx.AsyncClient]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
        )
    )
    async with app.router.lifespan_context(app):
        async with app.state.process.uow() as uow:
            tenant = await create_tenant(uow, "Deep Queries Ltd", app.state.sealer)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gateway.test",
            headers={"Authorization": f"Bearer {tenant.api_key}"},
        ) as client:
            yield client


async def test_a_body_nested_too_deep_is_a_400_naming_the_limit(
    graphql: httpx.AsyncClient,
) -> None:
    body = b'{"query": "{ __typename }", "variables": ' + b"[" * 100_000 + b"}"
    refused = await graphql.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 400, refused.text
    assert f"deeper than {MAX_JSON_DEPTH}" in refused.text

    deep_variables = "[" * 3_000  # past the parser's recursion limit too
    refused = await graphql.get(
        "/graphql", params={"query": "{ __typename }", "variables": deep_variables}
    )
    assert refused.status_code == 400, refused.text

    fine = await graphql.post("/graphql", json={"query": "{ __typename }"})
    assert (fine.status_code, fine.json()["data"]) == (200, {"__typename": "Query"})
