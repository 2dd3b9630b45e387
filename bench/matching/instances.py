"""Synthetic organizations for the matching benchmark and tests: seeded, so every solver of a
run (each in its own process) rebuilds exactly the same cohort. `cohort` is a plausible org;
`adversarial` are the shapes that once broke or slowed the optimizer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from contracts.programs import ParticipantRole
from matching.domain.model import (
    CohortProblem,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    ScoreWeights,
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


def _with(problem: CohortProblem, **policy: object) -> CohortProblem:
    return replace(problem, policy=replace(problem.policy, **policy))  # type: ignore[arg-type]


def _identical(mentees: int) -> CohortProblem:
    """Everybody alike: every pair allowed, every score equal (the tie case)."""
    mentee = MenteeProfile(
        id="",
        level=3,
        roles=frozenset({ParticipantRole.MENTEE}),
        department="Finance",
        goals=["learn negotiation"],
        languages=["English"],
        time_zone="Europe/London",
    )
    mentor = MentorProfile(
        id="",
        level=5,
        roles=frozenset({ParticipantRole.MENTOR}),
        department="Sales",
        skills=["negotiation"],
        languages=["English"],
        time_zone="Europe/London",
        capacity=5,
    )
    return CohortProblem(
        policy=MatchingPolicy(),
        mentees=[replace(mentee, id=f"e{k}") for k in range(mentees)],
        mentors=[replace(mentor, id=f"r{k}") for k in range(max(1, mentees // 5))],
    )


def _languages(
    problem: CohortProblem, mentee_lang: list[str], mentor_lang: list[str]
) -> CohortProblem:
    """The same people speaking only the given language each, with no level rule: which
    pairs are allowed is decided by language alone."""
    return CohortProblem(
        policy=replace(problem.policy, min_level_gap=-20, max_level_gap=20),
        mentees=[
            replace(p, languages=[lang])
            for p, lang in zip(problem.mentees, mentee_lang, strict=True)
        ],
        mentors=[
            replace(p, languages=[lang])
            for p, lang in zip(problem.mentors, mentor_lang, strict=True)
        ],
    )


def adversarial(name: str, mentees: int, seed: int = 7) -> CohortProblem:
    """The cohorts that once broke or slowed the optimizer (see ADVERSARIAL)."""
    rng = np.random.default_rng(seed + 1)
    if name == "identical":
        return _identical(mentees)
    if name == "equal_scores":
        only_feedback = ScoreWeights(
            goals=0, interests=0, cross_department=0, level_gap=0, time_zone=0, feedback=1
        )
        base = cohort(mentees, seed)
        unrated = [replace(p, mean_rating=None, rating_count=0) for p in base.mentors]
        return replace(_with(base, weights=only_feedback), mentors=unrated)
    if name == "forbidden_97":
        base = cohort(mentees, seed)
        codes = [f"L{k}" for k in range(33)]
        return _languages(
            base,
            [codes[k] for k in rng.integers(0, 33, size=len(base.mentees))],
            [codes[k] for k in rng.integers(0, 33, size=len(base.mentors))],
        )
    if name == "one_pair":
        base = cohort(mentees, seed)
        m = len(base.mentors)
        return _languages(
            base,
            [f"L{k}" for k in rng.integers(0, m, size=len(base.mentees))],
            [f"L{k}" for k in range(m)],
        )
    if name == "big_capacity":
        base = cohort(mentees, seed)
        first = replace(base.mentors[0], capacity=10_000)
        return replace(base, mentors=[first, *base.mentors[1:]])
    if name == "capacity_1":
        return cohort(mentees, seed, capacity=1, ratio=0.5)
    if name == "several_mentors":
        return _with(cohort(mentees, seed), mentors_per_mentee=3)
    if name == "zero_allowed":
        base = cohort(mentees, seed)
        return replace(
            base,
            mentees=[replace(p, level=9) for p in base.mentees],
            mentors=[replace(p, level=1) for p in base.mentors],
        )
    raise ValueError(f"unknown adversarial cohort {name!r}; known: {', '.join(ADVERSARIAL)}")


ADVERSARIAL = {
    "identical": "identical profiles: every pair allowed and equally scored",
    "equal_scores": "all scores equal (only the unrated feedback criterion weighs)",
    "forbidden_97": "97 % of pairs forbidden (one language of 33 each)",
    "one_pair": "one allowed mentor per mentee",
    "big_capacity": "one mentor with capacity 10,000",
    "capacity_1": "capacity 1 everywhere (half as many mentors as mentees)",
    "several_mentors": "three mentors per mentee (one per department)",
    "zero_allowed": "zero allowed pairs",
}
