"""Northwind, the demo's organization: 32 people across six departments and eleven time
zones, with what they would say of themselves (skills, interests) so match reasons read as
they would in a real program."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Employee:
    external_id: str
    name: str
    title: str
    department: str
    level: int
    manager: str | None
    zone: str
    languages: tuple[str, ...]
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        given, family = self.name.split(" ", 1)
        family = family.replace(" ", "").replace("'", "")
        return f"{given}.{family}@northwind-demo.com".lower()


def _e(*row: Any) -> Employee:
    return Employee(*row)


ORG: tuple[Employee, ...] = (
    _e("E001", "Amara Okafor", "Chief Executive Officer", "Executive", 10, None, "Europe/London", ("en",), ("strategy", "board relations"), ("leadership",)),
    _e("E002", "Lukas Schneider", "VP Engineering", "Engineering", 9, "E001", "Europe/Berlin", ("de", "en"), ("scaling teams", "hiring"), ("engineering culture",)),
    _e("E003", "Priya Raman", "VP Product", "Product", 9, "E001", "Asia/Kolkata", ("en", "hi"), ("product strategy", "negotiation"), ("customer research",)),
    _e("E004", "Daniel Brooks", "VP Sales", "Sales", 9, "E001", "America/New_York", ("en",), ("negotiation", "forecasting"), ("coaching",)),
    _e("E005", "Mei Lin Tan", "VP People", "People", 9, "E001", "Asia/Singapore", ("en", "zh"), ("coaching", "change management"), ("inclusion",)),
    _e("E006", "Sofia Moreno", "CFO", "Finance", 9, "E001", "Europe/Madrid", ("es", "en"), ("financial planning", "strategy"), ("board relations",)),
    _e("E007", "Jonas Berg", "Director, Platform", "Engineering", 8, "E002", "Europe/Berlin", ("de", "en"), ("architecture", "hiring"), ("public speaking",)),
    _e("E008", "Aisha Bello", "Director, Mobile", "Engineering", 8, "E002", "Africa/Lagos", ("en",), ("delegation", "roadmaps"), ("inclusion", "coaching")),
    _e("E009", "Tom Nguyen", "Engineering Manager", "Engineering", 7, "E007", "America/Los_Angeles", ("en", "vi"), ("feedback", "incident response"), ("strategy",)),
    _e("E010", "Hannah Keller", "Engineering Manager", "Engineering", 7, "E008", "Europe/Zurich", ("de", "en"), ("delegation",), ("product strategy",)),
    _e("E011", "Ravi Kumar", "Staff Engineer", "Engineering", 6, "E007", "Asia/Kolkata", ("en", "ta"), ("architecture",), ("public speaking", "leadership")),
    _e("E012", "Chloe Martin", "Senior Engineer", "Engineering", 5, "E009", "Europe/Paris", ("fr", "en"), ("testing",), ("leadership", "negotiation")),
    _e("E013", "Kwame Mensah", "Senior Engineer", "Engineering", 5, "E010", "Africa/Accra", ("en",), ("mobile",), ("delegation", "coaching")),
    _e("E014", "Yuki Tanaka", "Engineer", "Engineering", 4, "E009", "Asia/Tokyo", ("ja", "en"), ("data pipelines",), ("public speaking",)),
    _e("E015", "Lucas Silva", "Engineer", "Engineering", 3, "E010", "America/Sao_Paulo", ("pt", "en"), ("frontend",), ("feedback", "career growth")),
    _e("E016", "Nora Lindqvist", "Director, Product", "Product", 8, "E003", "Europe/Stockholm", ("sv", "en"), ("roadmaps", "negotiation"), ("coaching",)),
    _e("E017", "Omar Haddad", "Product Manager", "Product", 6, "E016", "Asia/Dubai", ("ar", "en"), ("discovery",), ("strategy", "negotiation")),
    _e("E018", "Grace Kim", "Product Manager", "Product", 5, "E016", "Asia/Seoul", ("ko", "en"), ("analytics",), ("leadership", "public speaking")),
    _e("E019", "Ethan Walker", "Designer", "Product", 4, "E016", "Australia/Sydney", ("en",), ("design systems",), ("career growth", "feedback")),
    _e("E020", "Fatima Zahra", "Product Analyst", "Product", 3, "E017", "Africa/Casablanca", ("ar", "fr"), ("sql",), ("strategy", "career growth")),
    _e("E021", "Carlos Mendez", "Director, Sales", "Sales", 8, "E004", "America/Mexico_City", ("es", "en"), ("negotiation", "coaching"), ("leadership",)),
    _e("E022", "Olivia Bennett", "Sales Manager", "Sales", 6, "E021", "America/Chicago", ("en",), ("forecasting",), ("negotiation", "delegation")),
    _e("E023", "Arjun Mehta", "Account Executive", "Sales", 5, "E022", "Asia/Kolkata", ("en", "hi"), ("enterprise deals",), ("negotiation", "leadership")),
    _e("E024", "Emma Fischer", "Account Executive", "Sales", 4, "E022", "Europe/Vienna", ("de", "en"), ("renewals",), ("public speaking",)),
    _e("E025", "Noah Williams", "Sales Engineer", "Sales", 4, "E021", "America/Denver", ("en",), ("demos",), ("strategy",)),
    _e("E026", "Ana Costa", "Sales Development Rep", "Sales", 3, "E022", "America/Sao_Paulo", ("pt", "en"), ("prospecting",), ("career growth", "negotiation")),
    _e("E027", "Zanele Dlamini", "People Partner", "People", 6, "E005", "Africa/Johannesburg", ("en", "zu"), ("coaching", "inclusion"), ("change management",)),
    _e("E028", "Liam O'Brien", "Talent Development Lead", "People", 7, "E005", "Europe/Dublin", ("en",), ("career growth", "feedback"), ("leadership",)),
    _e("E029", "Siti Rahman", "Recruiter", "People", 4, "E028", "Asia/Singapore", ("en", "ms"), ("interviewing",), ("public speaking", "career growth")),
    _e("E030", "Ingrid Nilsen", "Finance Manager", "Finance", 7, "E006", "Europe/Oslo", ("no", "en"), ("financial planning", "delegation"), ("strategy",)),
    _e("E031", "David Cohen", "Financial Analyst", "Finance", 4, "E030", "Asia/Jerusalem", ("he", "en"), ("modeling",), ("leadership", "strategy")),
    _e("E032", "Ewa Kowalska", "Controller", "Finance", 6, "E030", "Europe/Warsaw", ("pl", "en"), ("reporting",), ("delegation", "coaching")),
)  # fmt: skip


def by_id(external_id: str) -> Employee:
    return next(e for e in ORG if e.external_id == external_id)


def hires() -> list[dict[str, Any]]:
    """The whole org as the HRIS sends it: one `employee.hired` each, reports before their
    managers (the org graph still comes out whole)."""
    now = datetime.now(UTC).isoformat()
    out = []
    for e in reversed(ORG):
        given, family = e.name.split(" ", 1)
        out.append(
            {
                "id": f"demo-{e.external_id}-{uuid.uuid4().hex[:6]}",
                "type": "employee.hired",
                "effectiveAt": now,
                "sourceVersion": 1,
                "employee": {
                    "externalId": e.external_id,
                    "email": e.email,
                    "givenName": given,
                    "familyName": family,
                    "displayName": e.name,
                    "title": e.title,
                    "department": e.department,
                    "location": e.zone.split("/")[-1].replace("_", " "),
                    "timeZone": e.zone,
                    "level": e.level,
                    "managerExternalId": e.manager,
                    "languages": list(e.languages),
                    "hireDate": "2021-03-01",
                },
            }
        )
    return out
