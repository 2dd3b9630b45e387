"""Erasure end to end on the real stack: a person with a distinctive name, email and HRIS id
is hired by the signed webhook, enrolled, matched by a real run, booked by sessions, holds a
session and answers its feedback (and is named in their mentor's comment and is someone's
manager). An end-user token and a WRITE key may not forget them; the admin key's
`forgetPerson` does. Once every service has confirmed (`personErasure`), every table of every
service's database (found by inspection, outboxes and inboxes included) is read as text and
none of the person's identifiers is anywhere, while the program's insights are unchanged."""

import time
import uuid
from datetime import date, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from devstack.leftovers import mentions
from devstack.pytest_plugin import RunningSystem, eventually
from gateway.graphql.ids import decode_id, encode_id
from persistence.database import create_engine

from tests.e2e.test_sessions_graphql import MODULES, hire, ok

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERRORS = "userErrors { field message code }"
FORGET = f"""mutation($input: ForgetPersonInput!) {{ forgetPerson(input: $input) {{
  requestId erasure {{ requestId confirmedBy waitingFor complete }} {ERRORS} }} }}"""
STATUS = """query($id: ID!) { personErasure(personId: $id) {
  requestId confirmedBy waitingFor complete } }"""
INSIGHTS = """query($id: ID!) { program(id: $id) { insights {
  enrolledMentors enrolledMentees sessionsCompleted averageRating ratingResponses nps
  npsResponses requests responseRate } } }"""
SUBMIT = f"""mutation($input: FeedbackInput!) {{ submitFeedback(input: $input) {{
  feedback {{ id }} {ERRORS} }} }}"""


# An issuer of this test's own: issuer and audience name one tenant across the system.
ISSUER = "https://id.erasure.example"
AUDIENCE = "cairn-erasure"


def token_for(private_key: rsa.RSAPrivateKey, email: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "email": email, "iat": now, "exp": now + 600}
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": "k1"})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _program(system: RunningSystem, key: str, ids: dict[str, str], pairs: list[Any]) -> str:
    """A one-on-one program of three weekly sessions, everyone enrolled: its id."""
    created = await ok(
        system,
        key,
        f"""mutation($input: CreateProgramInput!) {{
          createProgram(input: $input) {{ program {{ id }} {ERRORS} }} }}""",
        {
            "input": {
                "name": "Forgetful Leaders",
                "kind": "ONE_ON_ONE",
                "startsOn": (date.today() + timedelta(days=14)).isoformat(),
                "curriculum": {
                    "cadence": "FREQ=WEEKLY;COUNT=3",
                    "sessionMinutes": 45,
                    "modules": MODULES,
                },
                "matchingPolicy": {"minLevelGap": 1, "maxLevelGap": 6},
            }
        },
    )
    program_id: str = created["createProgram"]["program"]["id"]
    opened = f"mutation($id: ID!) {{ openEnrollment(input: {{programId: $id}}) {{ {ERRORS} }} }}"
    assert (await ok(system, key, opened, {"id": program_id}))["openEnrollment"]["userErrors"] == []
    enroll = f"mutation($input: EnrollInput!) {{ enroll(input: $input) {{ {ERRORS} }} }}"
    for person, role in pairs:
        extra = {"capacity": 1} if role == "MENTOR" else {"goals": ["strategy"]}
        answer = await ok(
            system,
            key,
            enroll,
            {"input": {"programId": program_id, "personId": ids[person], "role": role, **extra}},
        )
        assert answer["enroll"]["userErrors"] == []
    return program_id


async def _matched(system: RunningSystem, key: str, tenant_id: str, program_id: str) -> Any:
    raw_program = decode_id("Program", program_id)

    async def pool_known() -> bool:
        path = f"/internal/matching/programs/{raw_program}/cohort"
        answer = await system.internal("matching", path, tenant_id)
        return answer.status_code == 200 and answer.json()["mentees"] == 2

    await eventually(pool_known, timeout_s=60)
    run = f"""mutation($id: ID!) {{ runMatching(input: {{programId: $id}}) {{
      matchRun {{ id }} {ERRORS} }} }}"""
    run_id = (await ok(system, key, run, {"id": program_id}))["runMatching"]["matchRun"]["id"]

    async def finished() -> Any:
        query = "query($id: ID!) { matchRun(id: $id) { status matchedMentees } }"
        found = (await ok(system, key, query, {"id": run_id}))["matchRun"]
        return found if found["status"] != "RUNNING" else None

    assert (await eventually(finished, timeout_s=90))["matchedMentees"] == 2
    query = """query($id: ID!) { program(id: $id) { matches(first: 10) { edges { node {
      id mentor { id } mentees { id } } } } } }"""
    edges = (await ok(system, key, query, {"id": program_id}))["program"]["matches"]["edges"]
    decide = f"""mutation($input: MatchDecisionInput!) {{ acceptMatch(input: $input) {{
      match {{ status }} {ERRORS} }} }}"""
    for edge in edges:
        match = edge["node"]
        for person in (match["mentees"][0]["id"], match["mentor"]["id"]):
            answer = await ok(
                system, key, decide, {"input": {"matchId": match["id"], "personId": person}}
            )
            assert answer["acceptMatch"]["userErrors"] == []
    return [e["node"] for e in edges]


async def _held_session(system: RunningSystem, key: str, match_id: str, mentee: str) -> str:
    series_query = "query($id: ID!) { match(id: $id) { sessions { id status } } }"

    async def booked() -> Any:
        series = (await ok(system, key, series_query, {"id": match_id}))["match"]["sessions"]
        return series if len(series) == 3 else None

    first = (await eventually(booked, timeout_s=60))[0]["id"]
    held = await ok(
        system,
        key,
        f"""mutation($input: SessionRefInput!) {{ completeSession(input: $input) {{
          session {{ status }} {ERRORS} }} }}""",
        {"input": {"sessionId": first, "attendance": [{"personId": mentee, "status": "ATTENDED"}]}},
    )
    assert held["completeSession"]["userErrors"] == [], held
    session_id: str = first
    return session_id


async def _answer(system: RunningSystem, key: str, session_id: str, who: str, comment: str) -> None:
    async def asked() -> Any:
        data = await ok(
            system,
            key,
            'query($id: ID!) { person(id: $id) { feedbackRequests(status: "PENDING") { id } } }',
            {"id": who},
        )
        return data["person"]["feedbackRequests"]

    await eventually(asked, timeout_s=60)
    answer = {
        "sessionId": session_id,
        "respondentId": who,
        "rating": 4,
        "recommendScore": 9,
        "comment": comment,
    }
    submitted = (await ok(system, key, SUBMIT, {"input": answer}))["submitFeedback"]
    assert submitted["userErrors"] == [], submitted


async def _everything_mentioning(system: RunningSystem, needles: list[str]) -> list[Any]:
    found = []
    for name, url in sorted(system.database_urls.items()):
        engine = create_engine(url)
        try:
            found += [(name, m) for m in await mentions(engine, needles)]
        finally:
            await engine.dispose()
    return found


async def test_a_forgotten_person_is_nowhere_and_the_figures_stay(system: RunningSystem) -> None:
    tenant = system.create_tenant("Erasure Co")
    key, tenant_id = tenant["apiKey"], tenant["tenantId"]
    run = uuid.uuid4().hex[:8]
    zq = f"EXT-ZQ-{run}"
    family = f"Quillfeather{run}"
    email = f"zephyrine.{run}@acme-corp.com"
    identifiers = [zq, email, "Zephyrine", family, f"Zephyrine {family}"]
    boss, other, report = unique("B"), unique("P"), unique("R")
    mentors = [unique("M") for _ in range(2)]
    changes = [hire(boss, "Europe/London", level=9, department="Board")]
    changes += [
        hire(m, "Europe/London", level=7, department="Sales", managerExternalId=boss)
        for m in mentors
    ]
    changes += [
        hire(
            zq,
            "America/New_York",
            level=3,
            department="Platform",
            managerExternalId=boss,
            email=email,
            givenName="Zephyrine",
            familyName=family,
            displayName=f"Zephyrine {family}",
            title=f"Zephyrine {family}'s own title",
        ),
        hire(other, "America/New_York", level=3, department="Platform", managerExternalId=boss),
        hire(report, "America/New_York", level=2, department="Platform", managerExternalId=zq),
    ]
    assert (await system.push_changes(tenant, changes)).status_code == 202

    async def person_id(external_id: str) -> Any:
        query = "query($e: String) { person(externalId: $e) { id } }"
        return (await ok(system, key, query, {"e": external_id}))["person"]

    ids = {x: (await eventually(lambda x=x: person_id(x)))["id"] for x in [*mentors, zq, other]}
    program_id = await _program(
        system, key, ids, [*((m, "MENTOR") for m in mentors), (zq, "MENTEE"), (other, "MENTEE")]
    )
    matches = await _matched(system, key, tenant_id, program_id)
    [mine] = [m for m in matches if m["mentees"][0]["id"] == ids[zq]]
    session_id = await _held_session(system, key, mine["id"], ids[zq])
    await _answer(system, key, session_id, ids[zq], f"Zephyrine here ({email}): it helped")
    await _answer(system, key, session_id, mine["mentor"]["id"], f"{family} asks great questions")

    async def answered() -> Any:
        found = (await ok(system, key, INSIGHTS, {"id": program_id}))["program"]["insights"]
        return found if found["ratingResponses"] == 2 else None

    before = await eventually(answered, timeout_s=60)
    assert await _everything_mentioning(system, identifiers)  # the scan would see them

    # Neither the person themselves (an end-user token) nor a WRITE key may forget anyone.
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    issuer = {"issuer": ISSUER, "audience": AUDIENCE, "publicKeyPem": pem, "personMatch": "EMAIL"}
    registered = await ok(
        system,
        key,
        f"""mutation($input: RegisterTokenIssuerInput!) {{
          registerTokenIssuer(input: $input) {{ {ERRORS} }} }}""",
        {"input": issuer},
    )
    assert registered["registerTokenIssuer"]["userErrors"] == []
    issued = await ok(
        system,
        key,
        f"""mutation {{ createApiKey(input: {{name: "writer", scopes: [READ, WRITE]}}) {{
          secret {ERRORS} }} }}""",
        {},
    )
    # The end user runs it as a trusted document (the only way an end-user token runs any).
    trusted = await ok(
        system,
        key,
        f"""mutation($i: RegisterTrustedDocumentInput!) {{
          registerTrustedDocument(input: $i) {{ trustedDocument {{ id }} {ERRORS} }} }}""",
        {"i": {"document": FORGET}},
    )
    forget_document = trusted["registerTrustedDocument"]["trustedDocument"]["id"]
    for caller, document in (
        (token_for(private_key, email), forget_document),
        (issued["createApiKey"]["secret"], None),
    ):
        refused = await system.graphql(
            caller,
            None if document else FORGET,
            {"input": {"personId": ids[zq]}},
            document_id=document,
        )
        codes = [e["extensions"]["code"] for e in refused.get("errors", [])]
        assert codes == ["FORBIDDEN"], refused
    assert (await ok(system, key, STATUS, {"id": ids[zq]}))["personErasure"] is None

    nobody = encode_id("Person", str(uuid.uuid4()))
    missing = (await ok(system, key, FORGET, {"input": {"personId": nobody}}))["forgetPerson"]
    assert missing["requestId"] is None
    assert [(e["field"], e["code"]) for e in missing["userErrors"]] == [
        (["input", "personId"], "NOT_FOUND")
    ]

    forgotten = (await ok(system, key, FORGET, {"input": {"personId": ids[zq]}}))["forgetPerson"]
    assert forgotten["userErrors"] == [] and forgotten["requestId"]
    assert forgotten["erasure"]["requestId"] == forgotten["requestId"]
    assert "gateway" in forgotten["erasure"]["confirmedBy"]

    async def confirmed() -> Any:
        status = (await ok(system, key, STATUS, {"id": ids[zq]}))["personErasure"]
        return status if status["complete"] else None

    status = await eventually(confirmed, timeout_s=60)
    assert status["requestId"] == forgotten["requestId"] and status["waitingFor"] == []
    assert status["confirmedBy"] == ["feedback", "gateway", "matching", "profiles", "sessions"]

    leftovers = await _everything_mentioning(system, identifiers)
    assert leftovers == [], leftovers
    after = (await ok(system, key, INSIGHTS, {"id": program_id}))["program"]["insights"]
    assert after == before
    person = await ok(
        system,
        key,
        "query($id: ID!) { person(id: $id) { displayName email externalId } }",
        {"id": ids[zq]},
    )
    assert person["person"]["displayName"] == "Erased person"
    # Asking again answers the same request and changes nothing.
    again = (await ok(system, key, FORGET, {"input": {"personId": ids[zq]}}))["forgetPerson"]
    assert again["userErrors"] == [] and again["requestId"] == forgotten["requestId"]
