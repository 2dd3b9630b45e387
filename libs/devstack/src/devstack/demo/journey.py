"""The journey Cairn supports today, step by step, against a running system: the org arrives
by signed webhook; a program with objectives and a curriculum; people enroll with goals (and
say what they know and care about); a dry run previews the matches with their reasons and
the per-group figures; the run is published; two pairs accept."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from standardwebhooks import Webhook

from devstack.demo import queries as q
from devstack.demo.client import Client, DemoFailed, wait_for
from devstack.demo.org import ORG, by_id, hires

MENTORS = ("E007", "E008", "E016", "E021", "E027", "E028", "E030")  # (capacity 2 each)
MENTEES = (
    ("E012", ["lead a team for the first time", "public speaking"]),
    ("E013", ["delegation", "coaching my peers"]),
    ("E014", ["public speaking", "influence without authority"]),
    ("E015", ["career growth", "giving feedback"]),
    ("E018", ["leadership", "negotiation"]),
    ("E019", ["career growth", "strategy"]),
    ("E020", ["strategy", "stakeholder management"]),
    ("E023", ["negotiation", "leadership"]),
    ("E024", ["public speaking", "presenting to executives"]),
    ("E026", ["negotiation", "career growth"]),
    ("E029", ["public speaking", "career growth"]),
    ("E031", ["leadership", "strategy"]),
)


def push_org(gateway: str, tenant: dict[str, str]) -> int:
    """The org through the signed HRIS webhook (Standard Webhooks); the HTTP status."""
    body = json.dumps({"changes": hires()})
    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    response = httpx.post(
        f"{gateway}/webhooks/hris/{tenant['hrisConnectionId']}",
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(tenant["hrisSecret"]).sign(message_id, now, body),
        },
        timeout=30,
    )
    return response.status_code


def people_ids(client: Client) -> dict[str, str]:
    """Every person's GraphQL id by HRIS id, once profiles has the whole org."""

    def everyone() -> dict[str, str] | None:
        found = client.run("everyone", q.EVERYONE)["people"]
        if found["totalCount"] < len(ORG):
            return None
        return {e["node"]["externalId"]: e["node"]["id"] for e in found["edges"]}

    return wait_for("the org to arrive", everyone, timeout_s=30)


def create_program(client: Client) -> str:
    starts = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 or 7)  # a Monday
    program = client.run(
        "createProgram",
        q.CREATE_PROGRAM,
        input={
            "name": "Northwind Leadership Circle 2027",
            "kind": "ONE_ON_ONE",
            "description": "Six months, one mentor each: from individual contributor to leader.",
            "startsOn": starts.isoformat(),
            "endsOn": (starts + timedelta(weeks=26)).isoformat(),
            "objectives": [
                {
                    "metric": "PARTICIPATION",
                    "target": 0.3,
                    "dueOn": (starts + timedelta(weeks=8)).isoformat(),
                    "description": "30 % of eligible people take part",
                },
                {
                    "metric": "SATISFACTION",
                    "target": 4.2,
                    "dueOn": (starts + timedelta(weeks=26)).isoformat(),
                },
            ],
            "curriculum": {
                "cadence": "FREQ=WEEKLY;INTERVAL=2;COUNT=6",
                "sessionMinutes": 45,
                "modules": [
                    {
                        "title": "Leading yourself",
                        "discussionGuide": "Where do you want to be in two years, and why?",
                        "preWork": ["Write down three moments you were proud of"],
                        "actionItemTemplates": ["Draft a development goal"],
                    },
                    {
                        "title": "Giving feedback",
                        "discussionGuide": "Walk through a hard conversation you had or avoided.",
                    },
                    {
                        "title": "Influence without authority",
                        "discussionGuide": "Map the stakeholders of one project you care about.",
                    },
                ],
            },
            "matchingPolicy": {
                "minLevelGap": 1,
                "maxLevelGap": 5,
                "crossDepartment": True,
                "prioritizeUnderrepresented": True,
            },
        },
    )["createProgram"]["program"]
    client.run("openEnrollment", q.OPEN_ENROLLMENT, id=program["id"])
    return str(program["id"])


def enroll_everyone(client: Client, program_id: str, ids: dict[str, str]) -> None:
    for external_id in (*MENTORS, *(m for m, _ in MENTEES)):
        e = by_id(external_id)
        client.run(
            "updateProfile",
            q.UPDATE_PROFILE,
            input={
                "personId": ids[external_id],
                "skills": list(e.skills),
                "interests": list(e.interests),
            },
        )
    for mentor in MENTORS:
        client.run(
            "enroll",
            q.ENROLL,
            input={
                "programId": program_id,
                "personId": ids[mentor],
                "role": "MENTOR",
                "capacity": 2,
            },
        )
    for mentee, goals in MENTEES:
        client.run(
            "enroll",
            q.ENROLL,
            input={
                "programId": program_id,
                "personId": ids[mentee],
                "role": "MENTEE",
                "goals": goals,
            },
        )


def run_matching(client: Client, program_id: str, *, dry_run: bool) -> dict[str, Any]:
    """A finished run that saw the whole pool (matching learns it from events, so the first
    runs right after enrolling may still see part of it)."""

    def finished(run_id: str) -> dict[str, Any] | None:
        run: dict[str, Any] = client.run("matchRun", q.MATCH_RUN, id=run_id)["matchRun"]
        return run if run["status"] != "RUNNING" else None

    def complete_run() -> dict[str, Any] | None:
        try:
            asked = client.run("runMatching", q.RUN_MATCHING, id=program_id, dryRun=dry_run)
        except DemoFailed:
            return None  # matching has not heard of the program yet
        run = wait_for("the match run", lambda: finished(asked["runMatching"]["matchRun"]["id"]))
        if run["status"] == "FAILED":
            raise DemoFailed(f"the match run failed: {run['error']}")
        seen = run["matchedMentees"] + run["unmatchedMentees"]
        return run if not dry_run or seen == len(MENTEES) else None

    return wait_for("matching to see every enrollment", complete_run, timeout_s=60)


def accept_two(client: Client, program_id: str) -> list[dict[str, Any]]:
    """Both sides of the first two proposed matches accept."""
    edges = client.run("programMatches", q.PROGRAM_MATCHES, id=program_id)["program"]["matches"]
    accepted = []
    for edge in edges["edges"][:2]:
        match = edge["node"]
        for person in (match["mentor"], match["mentees"][0]):
            answer = client.run(
                "acceptMatch", q.ACCEPT, input={"matchId": match["id"], "personId": person["id"]}
            )["acceptMatch"]["match"]
        accepted.append({**match, **answer})
    if len(accepted) < 2:
        raise DemoFailed(f"expected two proposed matches, found {edges['totalCount']}")
    return accepted
