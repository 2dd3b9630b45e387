"""Idempotency-Key end to end: createProgram sent twice with one key (a client retrying after
a lost answer) makes one program in profiles, and both answers name it."""

import uuid
from typing import Any

from devstack.pytest_plugin import RunningSystem

CREATE = """mutation($input: CreateProgramInput!) {
  createProgram(input: $input) { program { id name } userErrors { message } } }"""
PROGRAMS = "{ programs { id name } }"


async def test_create_program_twice_with_one_key_makes_one_program(system: RunningSystem) -> None:
    tenant = system.create_tenant("Retry Co")
    key = tenant["apiKey"]
    name = f"Leaders {uuid.uuid4().hex[:6]}"
    variables: dict[str, Any] = {
        "input": {
            "name": name,
            "kind": "ONE_ON_ONE",
            "curriculum": {"cadence": "FREQ=WEEKLY", "sessionMinutes": 30, "modules": []},
        }
    }
    retry = {"Idempotency-Key": str(uuid.uuid4())}
    first = await system.graphql(key, CREATE, variables, headers=retry)
    again = await system.graphql(key, CREATE, variables, headers=retry)
    assert first["_status"] == again["_status"] == 200, (first, again)
    created = first["data"]["createProgram"]
    assert created["userErrors"] == [] and created["program"]["name"] == name
    assert again["data"] == first["data"]
    listed = await system.graphql(key, PROGRAMS)
    named = [p["id"] for p in listed["data"]["programs"] if p["name"] == name]
    assert named == [created["program"]["id"]]
