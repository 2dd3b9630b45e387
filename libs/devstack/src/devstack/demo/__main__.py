"""`make demo`: against a running `make run`, walks the journey Cairn supports and prints a
short readable summary, then the GraphQL operations it used."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from devstack.demo import insights, journey, sessions
from devstack.demo.client import Client, DemoFailed
from devstack.demo.org import ORG

GATEWAY = os.environ.get("CAIRN_GATEWAY_URL", "http://127.0.0.1:8000")
# Where the demo saves what it downloads (a chart).
DEMO_DIR = Path(os.environ.get("CAIRN_DEMO_DIR", "var/demo"))


def step(text: str) -> None:
    print(f"\n▸ {text}", flush=True)


def create_tenant() -> dict[str, str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.entrypoints.cli",
            "tenant",
            "create",
            "--name",
            "Northwind",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    tenant: dict[str, str] = json.loads(out.stdout)
    return tenant


def show_run(run: dict[str, Any]) -> None:
    print(
        f"  {run['matchedMentees']} mentees matched, {run['unmatchedMentees']} waiting; "
        f"mean score {run['meanScore']:.2f}"
    )
    for pair in run["pairs"][:4]:
        mentee, mentor = pair["mentees"][0], pair["mentor"]
        print(
            f"  • {mentee['displayName']} ({mentee['title']}) ← {mentor['displayName']} "
            f"({mentor['title']}), score {pair['score']:.2f}"
        )
        for reason in pair["reasons"][:2]:
            print(f"      {reason['explanation']}")
    groups = run["byGroup"] or {}
    for dimension, figures in groups.items():
        if isinstance(figures, dict):
            shown = ", ".join(
                f"{name}: {f.get('matchRate', 0):.0%}"
                for name, f in figures.items()
                if isinstance(f, dict)
            )
            if shown:
                print(f"  match rate by {dimension}: {shown}")
    for waiting in run["unmatched"][:3]:
        print(f"  - {waiting['mentee']['displayName']} waits: {waiting['reason']}")


def main() -> int:
    try:
        httpx.get(f"{GATEWAY}/readyz", timeout=2).raise_for_status()
    except httpx.HTTPError:
        print(
            f"make demo: nothing answers at {GATEWAY}; start it with `make run` first",
            file=sys.stderr,
        )
        return 1
    started = time.monotonic()
    tenant = create_tenant()
    client = Client(GATEWAY, tenant["apiKey"])
    try:
        step("A tenant, with its API key and an HRIS connection (shown once)")
        print(f"  tenant {tenant['tenantId']}\n  API key {tenant['apiKey']}")

        step(f"The org arrives through the signed HRIS webhook ({len(ORG)} people)")
        status = journey.push_org(GATEWAY, tenant)
        ids = journey.people_ids(client)
        print(
            f"  the webhook answered {status}; all {len(ids)} people visible in GraphQL "
            f"{time.monotonic() - started:.1f}s after we started"
        )

        step("A program: objectives, a six-session curriculum, a matching policy")
        program_id = journey.create_program(client)
        print(
            "  Northwind Leadership Circle 2027 — fortnightly 45-minute sessions, 3 modules; "
            "enrollment open"
        )

        step(
            f"{len(journey.MENTORS)} mentors and {len(journey.MENTEES)} mentees enroll, "
            "with goals, skills and interests"
        )
        journey.enroll_everyone(client, program_id, ids)

        step("A dry run previews the matches, with reasons and per-group figures")
        show_run(journey.run_matching(client, program_id, dry_run=True))

        step("The run is published: each pair is asked to accept")
        run = journey.run_matching(client, program_id, dry_run=False)
        print(f"  {run['matchedMentees']} matches proposed")

        step("Two pairs accept")
        accepted = journey.accept_two(client, program_id)
        for match in accepted:
            names = " and ".join(p["displayName"] for p in match["acceptedBy"])
            print(f"  {names}: {match['status']}")

        step("Cairn books each pair's sessions inside both people's working hours")
        for match in accepted:
            series = sessions.booked(client, match["id"])
            waiting = sum(1 for s in series if s["status"] == "UNSCHEDULED")
            print(
                f"  {match['mentor']['displayName']} and {match['mentees'][0]['displayName']}: "
                f"{len(series) - waiting} sessions booked"
                + (f", {waiting} waiting for a slot" if waiting else "")
            )
        mentee = accepted[0]["mentees"][0]
        sessions.show_upcoming(sessions.upcoming(client, mentee["id"]))

        step(f"{mentee['displayName']}'s private calendar feed (subscribe in Outlook or Google)")
        url, events = sessions.calendar_feed(client, mentee["id"])
        print(f"  {url}\n  ({events} events; revoke it with revokeCalendarFeed)")

        step("How the program is doing: its insights, and a chart")
        enrolled = len(journey.MENTORS) + len(journey.MENTEES)
        figures = insights.wait_for_insights(client, program_id, enrolled)
        insights.show_insights(figures)
        url, saved = insights.save_chart(client, figures, DEMO_DIR / tenant["tenantId"])
        print(f"  adoption chart: {saved.resolve()}\n  (served at {url})")
    except DemoFailed as failed:
        print(f"\nmake demo: {failed}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(
        f"\nThe journey took {time.monotonic() - started:.1f}s. The GraphQL it used "
        f"(POST {GATEWAY}/graphql, Authorization: Bearer <API key>):"
    )
    for name, query in client.used.items():
        print(f"\n# {name}\n{query}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
