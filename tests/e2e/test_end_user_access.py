"""End-user access end to end: a tenant registers a token issuer (PEM) through GraphQL; person
A's token drives every query and mutation of the schema and gets none of person B's data —
checked field by field (every identifier of B is absent from every answer) — while A's own
profile, enrollments, matches and suggestions are there. The mentor A shares a match with is
seen by A only as a directory entry (no HRIS id, level, history, chain, matches). A's token
runs trusted documents only (as a partner frontend's bundle would): each query is registered
by the tenant's admin key first; the same query sent as text is refused."""

import json
import time
import uuid
from functools import partial
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id, encode_id
from graphql import get_introspection_query

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERRORS = "userErrors { field message code }"
REGISTER_DOCUMENT = f"""mutation($i: RegisterTrustedDocumentInput!) {{
  registerTrustedDocument(input: $i) {{ trustedDocument {{ id }} {ERRORS} }} }}"""
ISSUER = "https://id.partner.example"
AUDIENCE = "cairn-embedded"
PERSON_FIELDS = """id externalId email displayName givenName familyName title department
  location timeZone level status skills interests languages bio userName
  history { field to } managers { id } manager { id } reports(first: 5) { totalCount }
  directReports(first: 5) { totalCount }"""
MATCH_FIELDS = f"""id status reason score origin program {{ id }}
  mentor {{ {PERSON_FIELDS} matches {{ id }} enrollments {{ id }} }}
  mentees {{ {PERSON_FIELDS} }} acceptedBy {{ id }}"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def hire(external_id: str, **employee: Any) -> dict[str, Any]:
    return {
        "id": f"chg-{uuid.uuid4().hex}",
        "type": "employee.hired",
        "effectiveAt": "2026-11-01T09:00:00Z",
        "sourceVersion": 1,
        "employee": {
            "externalId": external_id,
            "email": f"{external_id}@acme-corp.com",
            "displayName": f"Person {external_id}",
            "timeZone": "Europe/Berlin",
            "languages": ["en"],
            **employee,
        },
    }


async def ok(system: RunningSystem, key: str, query: str, variables: dict[str, Any]) -> Any:
    body = await system.graphql(key, query, variables)
    assert body["_status"] == 200 and "errors" not in body, body
    return body["data"]


def token_for(private_key: rsa.RSAPrivateKey, email: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "email": email, "iat": now, "exp": now + 600}
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": "k1"})


async def test_person_a_sees_none_of_person_b(system: RunningSystem) -> None:
    tenant = system.create_tenant("Embedded Co")
    key = tenant["apiKey"]
    boss, mentor, a, b = unique("E"), unique("M"), unique("A"), unique("B")
    changes = [hire(boss, level=9, department="Board")]
    changes += [hire(mentor, level=7, department="Sales", managerExternalId=boss)]
    changes += [
        hire(x, level=3, department="Platform", location="Lisbon", managerExternalId=boss)
        for x in (a, b)
    ]
    assert (await system.push_changes(tenant, changes)).status_code == 202

    async def person_id(external_id: str) -> Any:
        q = "query($e: String) { person(externalId: $e) { id } }"
        return (await ok(system, key, q, {"e": external_id}))["person"]

    ids = {x: (await eventually(partial(person_id, x)))["id"] for x in (mentor, a, b)}

    program = (
        await ok(
            system,
            key,
            f"""mutation($input: CreateProgramInput!) {{
              createProgram(input: $input) {{ program {{ id }} {ERRORS} }} }}""",
            {
                "input": {
                    "name": "Embedded Circle",
                    "kind": "ONE_ON_ONE",
                    "curriculum": {
                        "cadence": "FREQ=WEEKLY;COUNT=4",
                        "sessionMinutes": 30,
                        "modules": [{"title": "Start", "discussionGuide": "Why?"}],
                    },
                    "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 6},
                }
            },
        )
    )["createProgram"]["program"]["id"]
    opened = f"mutation($id: ID!) {{ openEnrollment(input: {{programId: $id}}) {{ {ERRORS} }} }}"
    assert (await ok(system, key, opened, {"id": program}))["openEnrollment"]["userErrors"] == []
    enroll = f"""mutation($input: EnrollInput!) {{
      enroll(input: $input) {{ enrollment {{ id }} {ERRORS} }} }}"""
    enrollments = {}
    for who, role in ((mentor, "MENTOR"), (a, "MENTEE"), (b, "MENTEE")):
        done = await ok(
            system,
            key,
            enroll,
            {
                "input": {"programId": program, "personId": ids[who], "role": role, "capacity": 2}
                if role == "MENTOR"
                else {"programId": program, "personId": ids[who], "role": role, "goals": ["x"]}
            },
        )
        assert done["enroll"]["userErrors"] == [], done
        enrollments[who] = done["enroll"]["enrollment"]["id"]

    raw_program = decode_id("Program", program)

    async def pool_known() -> bool:
        answer = await system.internal(
            "matching", f"/internal/matching/programs/{raw_program}/cohort", tenant["tenantId"]
        )
        return answer.status_code == 200 and answer.json()["mentees"] == 2

    await eventually(pool_known, timeout_s=60)
    choose = f"""mutation($input: ChooseMentorInput!) {{
      chooseMentor(input: $input) {{ match {{ id }} {ERRORS} }} }}"""
    matches = {}
    for mentee in (a, b):
        chosen = await ok(
            system,
            key,
            choose,
            {"input": {"programId": program, "menteeId": ids[mentee], "mentorId": ids[mentor]}},
        )
        assert chosen["chooseMentor"]["userErrors"] == [], chosen
        matches[mentee] = chosen["chooseMentor"]["match"]["id"]
    self_id = f"""mutation($p: ID!) {{ updateSelfIdentification(input: {{personId: $p,
      consented: true, underrepresented: true}}) {{ {ERRORS} }} }}"""
    assert (await ok(system, key, self_id, {"p": ids[b]}))["updateSelfIdentification"][
        "userErrors"
    ] == []

    # The partner's identity provider, registered by an ADMIN key.
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    registered = await ok(
        system,
        key,
        f"""mutation($input: RegisterTokenIssuerInput!) {{
          registerTokenIssuer(input: $input) {{ tokenIssuer {{ id algorithms personClaim }}
          {ERRORS} }} }}""",
        {
            "input": {
                "issuer": ISSUER,
                "audience": AUDIENCE,
                "publicKeyPem": pem,
                "personMatch": "EMAIL",
            }
        },
    )
    assert registered["registerTokenIssuer"]["tokenIssuer"]["personClaim"] == "email"
    token_a = token_for(private_key, f"{a}@acme-corp.com".upper())  # emails match any case

    # B's every identifier; none may appear in any answer A gets.
    raw_b = decode_id("Person", ids[b])
    secrets_of_b = {
        ids[b],
        str(raw_b),
        b,
        f"{b}@acme-corp.com",
        f"Person {b}",
        enrollments[b],
        str(decode_id("Enrollment", enrollments[b])),
        matches[b],
        str(decode_id("Match", matches[b])),
    }
    # The mentor's private fields (as A sees them through their match): their HRIS id, which
    # their display name here is made of ("Person M-…"), may not appear as the field's value.
    hidden_of_mentor = {f'"externalId": "{mentor}"', f'"userName": "{mentor}"'}

    answers: list[dict[str, Any]] = []

    async def as_a(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        trusted = await ok(system, key, REGISTER_DOCUMENT, {"i": {"document": query}})
        document_id = trusted["registerTrustedDocument"]["trustedDocument"]["id"]
        body = await system.graphql(token_a, None, variables or {}, document_id=document_id)
        answers.append(body)
        return body

    free = await system.graphql(token_a, "{ me { id } }")
    assert free["_status"] == 403, free
    assert free["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"

    def forbidden(body: dict[str, Any]) -> bool:
        return any(e["extensions"]["code"] == "FORBIDDEN" for e in body.get("errors", []))

    # A's own data is all there.
    mine = await as_a(
        f"""{{ me {{ {PERSON_FIELDS} enrollments {{ id person {{ id }} }}
              matches {{ {MATCH_FIELDS} }} }} }}"""
    )
    me = mine["data"]["me"]
    assert me["id"] == ids[a] and me["externalId"] == a and me["location"] == "Lisbon", mine
    assert me["managers"] and me["level"] == 3 and me["history"]
    assert [e["id"] for e in me["enrollments"]] == [enrollments[a]]
    assert [m["id"] for m in me["matches"]] == [matches[a]]
    seen_mentor = me["matches"][0]["mentor"]
    assert seen_mentor["displayName"] == f"Person {mentor}" and seen_mentor["skills"] == []
    assert (seen_mentor["externalId"], seen_mentor["level"], seen_mentor["location"]) == (
        None,
        None,
        None,
    )
    assert seen_mentor["history"] == seen_mentor["managers"] == seen_mentor["matches"] == []
    assert seen_mentor["enrollments"] == [] and seen_mentor["reports"]["totalCount"] == 0
    assert me["matches"][0]["reason"] is None
    own = await as_a(
        f"query($id: ID!) {{ match(id: $id) {{ {MATCH_FIELDS} }} }}", {"id": matches[a]}
    )
    assert own["data"]["match"]["id"] == matches[a]
    suggested = await as_a(
        "query($p: ID!, $m: ID!) { suggestMentors(programId: $p, menteeId: $m) "
        "{ mentor { id externalId } } }",
        {"p": program, "m": ids[a]},
    )
    assert "errors" not in suggested, suggested
    profile = await as_a(
        f"""mutation($p: ID!) {{ updateProfile(input: {{personId: $p, bio: "Mine"}}) {{
          person {{ bio }} {ERRORS} }} }}""",
        {"p": ids[a]},
    )
    assert profile["data"]["updateProfile"]["person"]["bio"] == "Mine", profile
    accepted = await as_a(
        f"""mutation($m: ID!) {{ acceptMatch(input: {{matchId: $m}}) {{
          match {{ acceptedBy {{ id }} }} {ERRORS} }} }}""",
        {"m": matches[a]},
    )
    assert accepted["data"]["acceptMatch"]["match"]["acceptedBy"] == [{"id": ids[a]}], accepted

    # B, by every door: null (as if absent), empty, or FORBIDDEN.
    for lookup in ({"id": ids[b]}, {"externalId": b}):
        args = ", ".join(f"{k}: ${k}" for k in lookup)
        types = ", ".join(f"${k}: {'ID' if k == 'id' else 'String'}" for k in lookup)
        found = await as_a(f"query({types}) {{ person({args}) {{ {PERSON_FIELDS} }} }}", lookup)
        assert found["data"]["person"] is None, found
    assert (await as_a("query($id: ID!) { match(id: $id) { id } }", {"id": matches[b]}))["data"][
        "match"
    ] is None
    listed = await as_a(
        "query($p: ID!) { program(id: $p) { name matches(first: 50) { totalCount edges "
        "{ node { id } } } enrollments(first: 50) { totalCount edges { node { id } } } } "
        "programs { id } }",
        {"p": program},
    )
    assert listed["data"]["program"]["matches"]["totalCount"] == 0, listed
    assert listed["data"]["program"]["enrollments"]["edges"] == []
    for query, variables in [
        ("{ people(first: 50) { edges { node { id } } } }", {}),
        ("{ orgChangeRejections { totalCount } }", {}),
        ("{ apiKeys { id } }", {}),
        ("{ tokenIssuers { id } }", {}),
        (
            "query($p: ID!, $m: ID!) { suggestMentors(programId: $p, menteeId: $m) "
            "{ mentor { id } } }",
            {"p": program, "m": ids[b]},
        ),
        (get_introspection_query(), {}),
        ('{ __type(name: "Person") { name } }', {}),
    ]:
        assert forbidden(await as_a(query, variables)), query
    mutations: list[tuple[str, dict[str, Any]]] = [
        ("updateProfile", {"personId": ids[b], "bio": "hacked"}),
        ("updateSelfIdentification", {"personId": ids[b], "consented": False}),
        ("enroll", {"programId": program, "personId": ids[b], "role": "MENTOR"}),
        ("updateEnrollment", {"enrollmentId": enrollments[b], "goals": ["y"]}),
        ("withdraw", {"enrollmentId": enrollments[b]}),
        ("chooseMentor", {"programId": program, "menteeId": ids[b], "mentorId": ids[mentor]}),
        ("acceptMatch", {"matchId": matches[b], "personId": ids[b]}),
        ("declineMatch", {"matchId": matches[b], "personId": ids[b]}),
        ("endMatch", {"matchId": matches[b], "personId": ids[b], "reason": "x"}),
        ("runMatching", {"programId": program}),
        ("openEnrollment", {"programId": program}),
        ("closeProgram", {"programId": program}),
        ("updateProgram", {"programId": program, "name": "Mine now"}),
        ("createApiKey", {"name": "mine", "scopes": ["ADMIN"]}),
        ("revokeApiKey", {"id": "x"}),
        ("rotateApiKey", {"id": "x"}),
        ("removeTokenIssuer", {"id": registered["registerTokenIssuer"]["tokenIssuer"]["id"]}),
    ]
    for name, given in mutations:
        body = await as_a(f"mutation {{ {name}(input: {_literal(given)}) {{ __typename }} }}")
        assert forbidden(body), (name, body)
    # Deciding on B's match as oneself: A takes no part in it, so matching refuses.
    for name in ("declineMatch", "endMatch"):
        body = await as_a(
            f"""mutation($m: ID!) {{ {name}(input: {{matchId: $m, reason: "no"}}) {{
              match {{ id status }} {ERRORS} }} }}""",
            {"m": matches[b]},
        )
        assert body["data"][name]["match"] is None and body["data"][name]["userErrors"], body

    everything = json.dumps(answers)
    for secret in secrets_of_b | hidden_of_mentor:
        assert secret not in everything, f"{secret!r} reached person A"
    # B's match and data are unchanged (seen with the key).
    still = await ok(
        system,
        key,
        "query($m: ID!, $p: ID!) { match(id: $m) { status } person(id: $p) { bio enrollments "
        "{ status } } }",
        {"m": matches[b], "p": ids[b]},
    )
    assert still["match"]["status"] == "PROPOSED"
    assert (
        still["person"]["bio"] is None and still["person"]["enrollments"][0]["status"] == "ACTIVE"
    )
    assert encode_id("Person", str(raw_b)) == ids[b]


def _literal(value: Any) -> str:
    """A GraphQL input literal (enums as bare names where the schema wants them)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value in ("MENTOR", "ADMIN"):
        return str(value)
    return json.dumps(value)
