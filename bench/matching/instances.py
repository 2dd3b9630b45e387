"""Synthetic organizations for the matching benchmark: seeded, so every solver of a run (each
in its own process) rebuilds exactly the same cohort."""

from __future__ import annotations

import numpy as np
from contracts.programs import ParticipantRole
from matching.domain.model import (
    CohortProblem,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)

DEPARTMENTS = [
    "Finance", "Engineering", "Sales", "Marketing", "Legal", "Operations", "Product", "Design",
    "People", "Support", "Data", "Security", "Procurement", "Strategy", "Research", "IT",
    "Communications", "Risk", "Logistics", "Partnerships",
]  # fmt: skip
SKILLS = [
    "public speaking", "negotiation", "financial modeling", "stakeholder management",
    "product strategy", "people management", "hiring", "coaching", "conflict resolution",
    "budgeting", "data analysis", "machine learning", "cloud architecture", "security audits",
    "contract law", "brand strategy", "pricing", "customer discovery", "change management",
    "operations planning", "supply chain", "vendor management", "executive presence",
    "storytelling", "board communication", "mergers and acquisitions", "risk assessment",
    "agile delivery", "roadmapping", "user research", "design systems", "sales leadership",
    "account management", "partnership deals", "strategic planning", "OKRs",
    "performance reviews", "diversity and inclusion", "remote teams", "crisis management",
    "fundraising", "investor relations", "data governance", "compliance", "SQL",
    "python", "service design", "process improvement", "lean", "six sigma",
]  # fmt: skip
GOAL_TEMPLATES = [
    "get better at {}", "learn {}", "build confidence in {}", "lead {} initiatives",
    "understand {}", "grow my {} skills",
]  # fmt: skip
INTERESTS = [
    "hiking", "chess", "running", "cooking", "photography", "jazz", "cycling", "yoga",
    "reading", "gardening", "travel", "climbing", "painting", "board games", "tennis",
    "football", "podcasts", "film", "volunteering", "sailing", "music", "theatre",
]  # fmt: skip
ZONES = [
    ("Europe/London", 0.2), ("Europe/Berlin", 0.2), ("America/New_York", 0.2),
    ("America/Los_Angeles", 0.1), ("Asia/Singapore", 0.1), ("Asia/Tokyo", 0.05),
    ("Asia/Kolkata", 0.1), ("Australia/Sydney", 0.05),
]  # fmt: skip
LOCAL_LANGUAGES = ["German", "French", "Spanish", "Japanese", "Hindi", "Portuguese"]
TITLES = ["Manager", "Senior Manager", "Director", "Principal", "Lead", "Head"]


def _pick(rng: np.random.Generator, items: list[str], low: int, high: int) -> list[str]:
    k = int(rng.integers(low, high + 1))
    return [items[i] for i in rng.choice(len(items), size=min(k, len(items)), replace=False)]


def cohort(mentees: int, seed: int = 7, capacity: int = 5, ratio: float = 0.2) -> CohortProblem:
    """`mentees` mentees and ratio x as many mentors of `capacity` places, in one org."""
    rng = np.random.default_rng(seed)
    n, m = mentees, max(1, round(mentees * ratio))
    total = n + m
    dept = rng.integers(0, len(DEPARTMENTS), size=total)
    # Mentors are the senior ones: the default policy wants a gap of 1..3 levels.
    level = np.concatenate([rng.integers(1, 7, size=n), rng.integers(3, 10, size=m)])
    zones = rng.choice(len(ZONES), size=total, p=[p for _, p in ZONES])
    # A reporting line: each person's manager is someone more senior in their department.
    line: list[frozenset[str]] = [frozenset()] * total
    ids = [f"p{k}" for k in range(total)]
    for d in range(len(DEPARTMENTS)):
        members = np.flatnonzero(dept == d)
        members = members[np.argsort(-level[members], kind="stable")]
        for pos, person in enumerate(members.tolist()):
            above = [q for q in members[:pos].tolist() if level[q] > level[person]]
            if above:
                boss = above[int(rng.integers(0, len(above)))]
                line[person] = line[boss] | {ids[boss]}

    def languages() -> list[str]:
        r = rng.random()
        local = LOCAL_LANGUAGES[int(rng.integers(0, len(LOCAL_LANGUAGES)))]
        if r < 0.08:
            return [local]  # speaks only their local language
        return ["English", local] if r < 0.5 else ["English"]

    people_mentees = []
    for k in range(n):
        goals = [
            GOAL_TEMPLATES[int(rng.integers(0, 6))].format(s) for s in _pick(rng, SKILLS, 1, 3)
        ]
        people_mentees.append(
            MenteeProfile(
                id=ids[k],
                level=int(level[k]),
                roles=frozenset({ParticipantRole.MENTEE}),
                department=DEPARTMENTS[dept[k]],
                goals=goals,
                interests=_pick(rng, INTERESTS, 0, 4),
                languages=languages(),
                time_zone=ZONES[zones[k]][0],
                reporting_line=line[k],
                underrepresented=bool(rng.random() < 0.25),
            )
        )
    people_mentors = []
    for k in range(n, total):
        skills = _pick(rng, SKILLS, 2, 6)
        rated = rng.random() < 0.6
        title = f"{TITLES[int(rng.integers(0, len(TITLES)))]}, {DEPARTMENTS[dept[k]]}"
        bio = (
            f"{int(rng.integers(5, 25))} years in {DEPARTMENTS[dept[k]].lower()}; "
            f"has led teams through {', '.join(_pick(rng, SKILLS, 1, 2))}."
        )
        people_mentors.append(
            MentorProfile(
                id=ids[k],
                name=f"Mentor {k}",
                level=int(level[k]),
                roles=frozenset({ParticipantRole.MENTOR}),
                department=DEPARTMENTS[dept[k]],
                title=title,
                bio=bio,
                skills=skills,
                interests=_pick(rng, INTERESTS, 0, 4),
                languages=languages(),
                time_zone=ZONES[zones[k]][0],
                reporting_line=line[k],
                capacity=capacity,
                mean_rating=float(np.clip(rng.normal(4.1, 0.5), 1, 5)) if rated else None,
                rating_count=int(rng.integers(1, 20)) if rated else 0,
            )
        )
    return CohortProblem(policy=MatchingPolicy(), mentors=people_mentors, mentees=people_mentees)
