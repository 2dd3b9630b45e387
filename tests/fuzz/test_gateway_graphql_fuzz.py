"""The gateway's GraphQL schema, fuzzed on the live system with a real API key: every query and
mutation schemathesis writes is answered without a 5xx, without an INTERNAL or UNAVAILABLE
error (an exception the gateway did not expect, or a service failing behind it), and within
the schema (no null in a non-null field)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import schemathesis
from devstack.pytest_plugin import RunningSystem
from devstack.stack import GATEWAY
from schemathesis.config import SchemathesisConfig
from schemathesis.graphql import from_path
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.fuzzing import fuzz

SCHEMA = Path(__file__).resolve().parents[2] / "gateway" / "schema.graphql"

# What only a failure on our side answers; every other code names what the caller got wrong.
SERVER_SIDE = {"INTERNAL", "UNAVAILABLE"}


def create_tenant(system: RunningSystem, name: str) -> dict[str, str]:
    """Through the real CLI, as `system.create_tenant`, with room for a busy machine."""
    env = {**os.environ, **system.stack.env_for(GATEWAY)}
    command = [sys.executable, "-m", "gateway.entrypoints.cli", "tenant", "create", "--name", name]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=300)
    credentials: dict[str, str] = json.loads(out.stdout)
    return credentials


@schemathesis.check
def no_server_side_error(ctx: Any, response: Any, case: Any) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    for error in response.json().get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        # No code and no path: refused while validating the query (the caller's mistake).
        assert code not in SERVER_SIDE, f"server-side error: {error}"
        assert code is not None or "path" not in error, f"an error without a code: {error}"


def test_every_query_and_mutation_is_answered_without_a_server_error(
    system: RunningSystem,
) -> None:
    tenant = create_tenant(system, "Fuzzing Co")
    headers = {"Authorization": f"Bearer {tenant['apiKey']}"}
    url = f"{system.url('gateway')}/graphql"
    schema = from_path(SCHEMA, config=SchemathesisConfig())
    failures = fuzz(
        schema, url, lambda: headers, [no_server_side_error, response_schema_conformance]
    )
    assert not failures, "\n\n".join(failures)
