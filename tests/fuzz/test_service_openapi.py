"""Every service's OpenAPI, fuzzed on the live service with a real service token: no 5xx, and
every answer (status, content type, body) is one the document declares."""

import pytest
from devstack.pytest_plugin import RunningSystem
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi import from_url
from service_auth.tokens import Caller, TokenMinter

from tests.fuzz.fuzzing import OPENAPI_CHECKS, fuzz

SERVICES = ("profiles", "matching", "sessions", "feedback")


def fuzz_service(base_url: str, service: str, private_key: str, tenant_id: str) -> list[str]:
    minter = TokenMinter(private_key)

    def service_token() -> dict[str, str]:
        # Minted per request: a token lives 60 s, a long run outlives it.
        token = minter.mint(Caller(tenant_id=tenant_id, principal="system"), service)
        return {"Authorization": f"Bearer {token}"}

    schema = from_url(f"{base_url}/openapi.json", config=SchemathesisConfig())
    return fuzz(schema, base_url, service_token, OPENAPI_CHECKS)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_answers_as_documented(
    service: str, system: RunningSystem, fuzz_tenant_id: str
) -> None:
    failures = fuzz_service(system.url(service), service, system.stack.private_key, fuzz_tenant_id)
    assert not failures, "\n\n".join(failures)
