"""Trusted documents with integrator keys, against the gateway's real database: an ADMIN key
registers a document (checked against the schema; the same text twice is one document), lists
and removes it; a request runs it by `documentId` or Apollo's `persistedQuery.sha256Hash`, with
variables; an unknown id is 404, a malformed one 400, a query that is not the named document
400; another tenant's documents are not found; keys may still send free queries. The operator's
CLI registers a document from a file the same way. (End-user tokens, which may run only
trusted documents: `test_gateway_end_user_tokens.py`.)"""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from devstack.pytest_plugin import DatabaseFactory
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import create_tenant
from persistence.migrations import upgrade_async
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERRORS = "userErrors { field message code }"
REGISTER = f"""mutation($i: RegisterTrustedDocumentInput!) {{ registerTrustedDocument(input: $i)
  {{ trustedDocument {{ id name document createdAt }} {ERRORS} }} }}"""
REMOVE = f"""mutation($id: ID!) {{ removeTrustedDocument(input: {{id: $id}})
  {{ trustedDocument {{ id }} {ERRORS} }} }}"""
LIST = "{ trustedDocuments { id name } }"
TYPENAME = "query Which($t: String!) { __type(name: $t) { name } }"


class Tenants:
    def __init__(
        self, client: httpx.AsyncClient, key: str, other_key: str, cli_env: dict[str, str]
    ) -> None:
        self.client, self.key, self.other_key, self.cli_env = client, key, other_key, cli_env

    async def post(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        return await self.client.post(
            "/graphql", headers={"Authorization": f"Bearer {key or self.key}"}, json=body
        )

    async def gql(self, query: str, variables: dict[str, Any], key: str | None = None) -> Any:
        return (await self.post({"query": query, "variables": variables}, key)).json()

    async def register(self, document: str, name: str | None = None) -> dict[str, Any]:
        answer = await self.gql(REGISTER, {"i": {"document": document, "name": name}})
        payload: dict[str, Any] = answer["data"]["registerTrustedDocument"]
        return payload


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def tenants(database_factory: DatabaseFactory) -> AsyncIterator[Tenants]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    sealing_keys = new_key()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=sealing_keys,
        )
    )
    async with app.router.lifespan_context(app):
        async with app.state.process.uow() as uow:
            tenant = await create_tenant(uow, "Partner Apps Ltd", app.state.sealer)
            other = await create_tenant(uow, "Someone Else Ltd", app.state.sealer)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client:
            env = {
                **os.environ,
                "GATEWAY_DATABASE_URL": url,
                "GATEWAY_SEALING_KEYS": sealing_keys,
                "OTEL_TRACES_EXPORTER": "none",
                "CAIRN_TENANT_ID": tenant.tenant_id,
            }
            yield Tenants(client, tenant.api_key, other.api_key, env)


async def test_a_registered_document_runs_by_its_id(tenants: Tenants) -> None:
    payload = await tenants.register(TYPENAME, "type lookup")
    assert payload["userErrors"] == []
    document = payload["trustedDocument"]
    expected = "sha256:" + hashlib.sha256(TYPENAME.encode()).hexdigest()
    assert (document["id"], document["name"], document["document"]) == (
        expected,
        "type lookup",
        TYPENAME,
    )
    again = await tenants.register(TYPENAME)  # the same text: the same document
    assert again["trustedDocument"]["id"] == expected
    listed = await tenants.gql(LIST, {})
    assert [d["id"] for d in listed["data"]["trustedDocuments"]] == [expected]

    variables = {"t": "Person"}
    by_id = await tenants.post({"documentId": expected, "variables": variables})
    assert by_id.status_code == 200 and by_id.json()["data"] == {"__type": {"name": "Person"}}
    apollo = await tenants.post(
        {
            "variables": variables,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": expected[7:]}},
        }
    )
    assert apollo.json()["data"] == {"__type": {"name": "Person"}}
    both = await tenants.post({"documentId": expected, "query": TYPENAME, "variables": variables})
    assert both.json()["data"] == {"__type": {"name": "Person"}}

    removed = await tenants.gql(REMOVE, {"id": expected})
    assert removed["data"]["removeTrustedDocument"]["userErrors"] == []
    gone = await tenants.post({"documentId": expected, "variables": variables})
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_what_cannot_run_is_refused_saying_why(tenants: Tenants) -> None:
    unknown = "sha256:" + "0" * 64
    missing = await tenants.post({"documentId": unknown})
    assert missing.status_code == 404 and unknown in missing.json()["errors"][0]["message"]
    malformed = await tenants.post({"documentId": "md5:abc"})
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["extensions"]["field"] == "documentId"
    registered = (await tenants.register("{ __typename }"))["trustedDocument"]["id"]
    other_text = await tenants.post({"documentId": registered, "query": "{ me { id } }"})
    assert other_text.status_code == 400
    assert other_text.json()["errors"][0]["extensions"]["field"] == "query"
    # Another organization's document is not found.
    elsewhere = await tenants.post({"documentId": registered}, tenants.other_key)
    assert elsewhere.status_code == 404
    # Integrator keys may still send any query.
    free = await tenants.post({"query": "{ __typename }"})
    assert free.json()["data"] == {"__typename": "Query"}


async def test_a_document_that_would_not_run_is_not_registered(tenants: Tenants) -> None:
    for text, why in [("{ nothingHere }", "nothingHere"), ("{ unclosed", "Syntax Error")]:
        payload = await tenants.register(text)
        assert payload["trustedDocument"] is None
        [error] = payload["userErrors"]
        assert error["field"] == ["input", "document"] and why in error["message"], error
    for sized in (" ", "{ __typename " + "__typename " * 3000 + "}"):
        refused = await tenants.register(sized)
        assert refused["userErrors"][0]["field"] == ["input", "document"], refused


def cairn(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.entrypoints.cli", "trusted-document", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_cli_registers_a_document_from_a_file(tenants: Tenants, tmp_path: Path) -> None:
    tenant = tenants.cli_env["CAIRN_TENANT_ID"]
    text = 'query Kinds { __type(name: "ProgramKind") { name } }\n'
    kinds, bad = tmp_path / "kinds.graphql", tmp_path / "bad.graphql"
    kinds.write_text(text)
    done = cairn(tenants.cli_env, "register", "--tenant-id", tenant, "--file", str(kinds))
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["id"] == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    ran = await tenants.post({"documentId": printed["id"]})
    assert ran.json()["data"] == {"__type": {"name": "ProgramKind"}}
    bad.write_text("{ nothingHere }")
    refused = cairn(tenants.cli_env, "register", "--tenant-id", tenant, "--file", str(bad))
    assert refused.returncode == 2, refused.stderr
    assert "--file" in refused.stderr and "nothingHere" in refused.stderr
