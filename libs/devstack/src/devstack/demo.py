"""`make demo`: against a running `make run`, creates a tenant, pushes a small realistic org
through the signed HRIS webhook, and prints what GraphQL returns."""

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

GATEWAY = os.environ.get("CAIRN_GATEWAY_URL", "http://127.0.0.1:8000")

# (id, name, title, department, level, manager, time zone, languages)
ORG: list[tuple[str, str, str, str, int, str | None, str, list[str]]] = [
    (
        "E001",
        "Amara Okafor",
        "Chief Executive Officer",
        "Executive",
        10,
        None,
        "Europe/London",
        ["en"],
    ),
    (
        "E002",
        "Lukas Schneider",
        "VP Engineering",
        "Engineering",
        9,
        "E001",
        "Europe/Berlin",
        ["de", "en"],
    ),
    ("E003", "Priya Raman", "VP Product", "Product", 9, "E001", "Asia/Kolkata", ["en", "hi"]),
    ("E004", "Daniel Brooks", "VP Sales", "Sales", 9, "E001", "America/New_York", ["en"]),
    ("E005", "Mei Lin Tan", "VP People", "People", 9, "E001", "Asia/Singapore", ["en", "zh"]),
    ("E006", "Sofia Moreno", "CFO", "Finance", 9, "E001", "Europe/Madrid", ["es", "en"]),
    (
        "E007",
        "Jonas Berg",
        "Director, Platform",
        "Engineering",
        8,
        "E002",
        "Europe/Berlin",
        ["de", "en"],
    ),
    ("E008", "Aisha Bello", "Director, Mobile", "Engineering", 8, "E002", "Africa/Lagos", ["en"]),
    (
        "E009",
        "Tom Nguyen",
        "Engineering Manager",
        "Engineering",
        7,
        "E007",
        "America/Los_Angeles",
        ["en", "vi"],
    ),
    (
        "E010",
        "Hannah Keller",
        "Engineering Manager",
        "Engineering",
        7,
        "E008",
        "Europe/Zurich",
        ["de", "en"],
    ),
    (
        "E011",
        "Ravi Kumar",
        "Staff Engineer",
        "Engineering",
        6,
        "E009",
        "Asia/Kolkata",
        ["en", "ta"],
    ),
    (
        "E012",
        "Chloe Martin",
        "Senior Engineer",
        "Engineering",
        5,
        "E009",
        "Europe/Paris",
        ["fr", "en"],
    ),
    ("E013", "Kenji Sato", "Engineer", "Engineering", 4, "E009", "Asia/Tokyo", ["ja", "en"]),
    ("E014", "Olivia Smith", "Engineer", "Engineering", 3, "E010", "Europe/London", ["en"]),
    (
        "E015",
        "Mateo Rossi",
        "Senior Engineer",
        "Engineering",
        5,
        "E010",
        "Europe/Rome",
        ["it", "en"],
    ),
    (
        "E016",
        "Fatima Zahra",
        "Engineer",
        "Engineering",
        3,
        "E010",
        "Africa/Casablanca",
        ["ar", "fr", "en"],
    ),
    (
        "E017",
        "Grace Lee",
        "Director, Product",
        "Product",
        8,
        "E003",
        "America/Los_Angeles",
        ["en", "ko"],
    ),
    (
        "E018",
        "Arjun Mehta",
        "Senior Product Manager",
        "Product",
        6,
        "E017",
        "Asia/Kolkata",
        ["en", "hi"],
    ),
    (
        "E019",
        "Emma Johansson",
        "Product Manager",
        "Product",
        5,
        "E017",
        "Europe/Stockholm",
        ["sv", "en"],
    ),
    ("E020", "Noah Williams", "Product Designer", "Product", 4, "E017", "America/Chicago", ["en"]),
    (
        "E021",
        "Carlos Silva",
        "Sales Director, EMEA",
        "Sales",
        8,
        "E004",
        "Europe/Lisbon",
        ["pt", "en"],
    ),
    (
        "E022",
        "Jessica Taylor",
        "Sales Director, Americas",
        "Sales",
        8,
        "E004",
        "America/New_York",
        ["en", "es"],
    ),
    (
        "E023",
        "Yusuf Demir",
        "Account Executive",
        "Sales",
        5,
        "E021",
        "Europe/Istanbul",
        ["tr", "en"],
    ),
    ("E024", "Lea Dubois", "Account Executive", "Sales", 5, "E021", "Europe/Paris", ["fr", "en"]),
    ("E025", "Marcus Johnson", "Account Executive", "Sales", 4, "E022", "America/Chicago", ["en"]),
    (
        "E026",
        "Ana Costa",
        "Sales Development Rep",
        "Sales",
        3,
        "E022",
        "America/Sao_Paulo",
        ["pt", "en"],
    ),
    (
        "E027",
        "Zanele Dlamini",
        "People Partner",
        "People",
        6,
        "E005",
        "Africa/Johannesburg",
        ["en", "zu"],
    ),
    (
        "E028",
        "Liam O'Brien",
        "Talent Development Lead",
        "People",
        7,
        "E005",
        "Europe/Dublin",
        ["en"],
    ),
    ("E029", "Siti Rahman", "Recruiter", "People", 4, "E028", "Asia/Singapore", ["en", "ms"]),
    ("E030", "Ingrid Nilsen", "Finance Manager", "Finance", 7, "E006", "Europe/Oslo", ["no", "en"]),
    (
        "E031",
        "David Cohen",
        "Financial Analyst",
        "Finance",
        4,
        "E030",
        "Asia/Jerusalem",
        ["he", "en"],
    ),
    ("E032", "Ewa Kowalska", "Controller", "Finance", 6, "E030", "Europe/Warsaw", ["pl", "en"]),
]


def _email(given: str, family: str) -> str:
    family = family.replace(" ", "").replace("'", "")
    return f"{given}.{family}@northwind-demo.com".lower()


def changes() -> list[dict[str, Any]]:
    out = []
    for external_id, name, title, department, level, manager, zone, languages in ORG:
        given, family = name.split(" ", 1)
        out.append(
            {
                "id": f"demo-{external_id}-{uuid.uuid4().hex[:6]}",
                "type": "employee.hired",
                "effectiveAt": datetime.now(UTC).isoformat(),
                "sourceVersion": 1,
                "employee": {
                    "externalId": external_id,
                    "email": _email(given, family),
                    "givenName": given,
                    "familyName": family,
                    "displayName": name,
                    "title": title,
                    "department": department,
                    "location": zone.split("/")[-1],
                    "timeZone": zone,
                    "level": level,
                    "managerExternalId": manager,
                    "languages": languages,
                    "hireDate": "2021-03-01",
                },
            }
        )
    # Reports arrive before their managers: the org graph still comes out whole.
    return list(reversed(out))


def main() -> int:
    try:
        httpx.get(f"{GATEWAY}/readyz", timeout=2).raise_for_status()
    except httpx.HTTPError:
        print(
            f"make demo: nothing answers at {GATEWAY}; start the system with `make run` first",
            file=sys.stderr,
        )
        return 1
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.entrypoints.cli",
            "tenant",
            "create",
            "--name",
            "Northwind Demo",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    tenant = json.loads(out.stdout)
    print("Tenant created (keep these; the key is shown once):")
    print(json.dumps(tenant, indent=2))

    body = json.dumps({"changes": changes()})
    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    started = time.monotonic()
    response = httpx.post(
        f"{GATEWAY}/webhooks/hris/{tenant['hrisConnectionId']}",
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(tenant["hrisSecret"]).sign(message_id, now, body),
        },
    )
    print(
        f"\nPOST /webhooks/hris/{tenant['hrisConnectionId']} → {response.status_code} "
        f"{response.text}"
    )
    headers = {"Authorization": f"Bearer {tenant['apiKey']}"}
    query = """{ people(first: 100) { totalCount } }"""
    while time.monotonic() - started < 30:
        answer = httpx.post(f"{GATEWAY}/graphql", json={"query": query}, headers=headers).json()
        if answer["data"]["people"]["totalCount"] == len(ORG):
            break
        time.sleep(0.1)
    print(
        f"All {len(ORG)} people visible through GraphQL after {time.monotonic() - started:.2f}s\n"
    )
    show = """{
  people(first: 5, department: "Engineering") {
    totalCount
    edges { node { displayName title level timeZone manager { displayName } } }
  }
  person(externalId: "E002") {
    displayName title
    directReports(first: 10) { totalCount edges { node { displayName title } } }
  }
}"""
    print("query", show)
    answer = httpx.post(f"{GATEWAY}/graphql", json={"query": show}, headers=headers).json()
    print(json.dumps(answer, indent=2))
    print(
        f"\nTry it: curl -s {GATEWAY}/graphql -H 'Authorization: Bearer {tenant['apiKey']}' "
        "-H 'content-type: application/json' -d '{\"query\": \"{ people { totalCount } }\"}'"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
