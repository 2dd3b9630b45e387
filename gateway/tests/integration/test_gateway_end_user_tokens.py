"""End-user tokens at the door, against a local JWKS server and the gateway's real database:
a token signed by a registered issuer's published key is accepted (as a person: admin fields
are FORBIDDEN, introspection too); expired, not yet valid, wrong audience, wrong issuer,
`alg: none`, HS256 signed with the issuer's public key, and a key the issuer does not publish
are each refused with 401 saying why. An end-user token runs only trusted documents: a query
sent as text is refused (TRUSTED_DOCUMENT_REQUIRED, 403). Who the token names is looked up in
profiles in the end-to-end test (`tests/e2e/test_end_user_access.py`); here, a table."""

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from devstack.pytest_plugin import DatabaseFactory
from gateway.access.issuers import PersonMatch
from gateway.bootstrap import MIGRATIONS
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.service_layer.tenants import create_tenant
from persistence.migrations import upgrade_async
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair

pytestmark = pytest.mark.asyncio(loop_scope="session")

ISSUER = "https://login.partner.example"
AUDIENCE = "cairn"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def jwk(private: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return found | {"kid": kid, "use": "sig", "alg": "RS256"}


class Jwks(BaseHTTPRequestHandler):
    keys: list[dict[str, Any]] = [jwk(KEY, "k1")]
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = json.dumps({"keys": self.keys}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("cache-control", "public, max-age=600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(
    database_factory: DatabaseFactory, jwks_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    url = await database_factory("gateway")
    await upgrade_async(MIGRATIONS, url)
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=url,
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
            token_issuer_http_loopback=True,
            jwks_refetch_floor_s=0.5,
        )
    )
    async with app.router.lifespan_context(app):
        async with app.state.process.uow() as uow:
            tenant = await create_tenant(uow, "Partner Frontends Ltd", app.state.sealer)

        async def people(_: str, how: PersonMatch, value: str) -> str | None:
            return {"ada@example.com": "p-ada"}.get(value) if how is PersonMatch.EMAIL else None

        app.state.end_users.find_person = people
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client:
            registered = await client.post(
                "/graphql",
                headers={"Authorization": f"Bearer {tenant.api_key}"},
                json={
                    "query": "mutation($i: RegisterTokenIssuerInput!) { registerTokenIssuer("
                    "input: $i) { tokenIssuer { id } userErrors { field message } } }",
                    "variables": {
                        "i": {
                            "issuer": ISSUER,
                            "audience": AUDIENCE,
                            "jwksUrl": jwks_url,
                            "personMatch": "EMAIL",
                        }
                    },
                },
            )
            assert registered.json()["data"]["registerTokenIssuer"]["userErrors"] == []
            yield client, tenant.api_key


def claims(**changed: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "email": "ada@example.com", "exp": now + 300} | changed


def signed(**changed: Any) -> str:
    return jwt.encode(claims(**changed), KEY, algorithm="RS256", headers={"kid": "k1"})


REGISTER = """mutation($i: RegisterTrustedDocumentInput!) { registerTrustedDocument(input: $i)
  { trustedDocument { id } userErrors { field message } } }"""


async def trust(client: httpx.AsyncClient, admin_key: str, query: str) -> str:
    """Registers the document with the tenant's admin key: its id."""
    registered = await client.post(
        "/graphql",
        headers={"Authorization": f"Bearer {admin_key}"},
        json={"query": REGISTER, "variables": {"i": {"document": query}}},
    )
    payload = registered.json()["data"]["registerTrustedDocument"]
    assert payload["userErrors"] == [], payload
    document_id: str = payload["trustedDocument"]["id"]
    return document_id


async def ask(
    client: httpx.AsyncClient, token: str, query: str, admin_key: str | None = None
) -> httpx.Response:
    """`query` as a trusted document (registered with `admin_key`); as text without one."""
    body = {"query": query}
    if admin_key is not None:
        body = {"documentId": await trust(client, admin_key, query)}
    return await client.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json=body)


async def test_a_token_of_a_registered_issuer_is_one_person(
    gateway: tuple[httpx.AsyncClient, str],
) -> None:
    client, admin_key = gateway
    fetches = Jwks.hits
    accepted = await ask(client, signed(), "{ __typename }", admin_key)
    assert (accepted.status_code, accepted.json()["data"]) == (200, {"__typename": "Query"})
    assert int(accepted.headers["x-ratelimit-limit"]) == 20_000  # a person's budget
    again = await ask(client, signed(), "{ __typename }", admin_key)
    assert again.status_code == 200 and Jwks.hits <= fetches + 1  # the keys were cached
    admin = await ask(client, signed(), "{ apiKeys { id } }", admin_key)
    assert admin.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    looked = await ask(client, signed(), "{ __schema { types { name } } }", admin_key)
    assert looked.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "data" not in looked.json() or looked.json()["data"] is None


async def test_a_token_runs_only_trusted_documents(
    gateway: tuple[httpx.AsyncClient, str],
) -> None:
    client, admin_key = gateway
    free = await ask(client, signed(), "{ me { id } }")
    assert free.status_code == 403, free.text
    error = free.json()["errors"][0]
    assert error["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    assert "documentId" in error["message"]
    assert free.json().get("data") is None
    # Apollo's form of the id works as well as documentId.
    document_id = await trust(client, admin_key, "{ __typename }")
    apollo = await client.post(
        "/graphql",
        headers={"Authorization": f"Bearer {signed()}"},
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_id[7:]}}},
    )
    assert apollo.status_code == 200 and apollo.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (lambda: signed(exp=int(time.time()) - 120), "expired"),
        (lambda: signed(nbf=int(time.time()) + 600), "not valid yet"),
        (lambda: signed(aud="someone-else"), "no organization registered"),
        (lambda: signed(iss="https://evil.example"), "no organization registered"),
        (lambda: signed(email="nobody@example.com"), "names nobody"),
        (lambda: signed(email=None), "no 'email' claim"),
        (lambda: jwt.encode(claims(), None, algorithm="none"), "algorithm 'none'"),
        (
            # HS/RS confusion: the issuer's public key (public!) used as an HMAC secret.
            lambda: _hs256_with(PUBLIC_PEM),
            "algorithm 'HS256'",
        ),
        (
            lambda: jwt.encode(claims(), OTHER_KEY, algorithm="RS256", headers={"kid": "k9"}),
            "no key 'k9'",
        ),
        (
            lambda: jwt.encode(claims(), OTHER_KEY, algorithm="RS256", headers={"kid": "k1"}),
            "not valid",
        ),
        (lambda: "eyJhbGciOiJSUzI1NiJ9.bad.token", "not a well-formed JWT"),
    ],
)
async def test_a_token_that_does_not_hold_is_refused_saying_why(
    gateway: tuple[httpx.AsyncClient, str], token: Any, why: str
) -> None:
    client, admin_key = gateway
    refused = await ask(client, token(), "{ __typename }", admin_key)
    assert refused.status_code == 401, refused.text
    assert why in refused.json()["errors"][0]["message"]
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def _hs256_with(secret: bytes) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64(json.dumps(claims()).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


async def test_a_rotated_issuer_key_is_fetched_when_a_token_names_it(
    gateway: tuple[httpx.AsyncClient, str],
) -> None:
    client, admin_key = gateway
    Jwks.keys = [jwk(KEY, "k1"), jwk(OTHER_KEY, "k2")]
    try:
        await asyncio.sleep(0.6)  # past the refetch floor of this gateway (0.5 s)
        token = jwt.encode(claims(), OTHER_KEY, algorithm="RS256", headers={"kid": "k2"})
        fetches = Jwks.hits
        accepted = await ask(client, token, "{ __typename }", admin_key)
        assert accepted.status_code == 200, accepted.text
        assert Jwks.hits == fetches + 1
        # An unknown key id right after: not fetched again within the floor.
        unknown = jwt.encode(claims(), OTHER_KEY, algorithm="RS256", headers={"kid": "k3"})
        assert (await ask(client, unknown, "{ __typename }", admin_key)).status_code == 401
        assert Jwks.hits == fetches + 1
    finally:
        Jwks.keys = [jwk(KEY, "k1")]
