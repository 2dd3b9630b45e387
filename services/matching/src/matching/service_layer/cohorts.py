"""From the read model to the domain: a program's policy, and each enrolled person as a
profile the hard rules can judge. Pure functions; the loading is in `adapters.repository`."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.programs import MatchObjective, ParticipantRole, ProgramKind

from matching.domain.model import (
    DEFAULT_REFERENCE_DAY,
    CohortProblem,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    ScoreWeights,
)
from matching.service_layer.refusals import Code, Refused

Data = dict[str, Any]

# The program snapshot names weights in camelCase; the domain in snake_case.
CRITERIA = {
    "goals": "goals",
    "interests": "interests",
    "crossDepartment": "cross_department",
    "levelGap": "level_gap",
    "timeZone": "time_zone",
    "feedback": "feedback",
}


@dataclass(frozen=True)
class ProgramRules:
    policy: MatchingPolicy
    # Admin (run) matches start ACCEPTED when the program says no consent is needed.
    consent_needed: bool
    reference_day: date


def program_rules(program: Mapping[str, Any]) -> ProgramRules:
    """The matching policy of a program snapshot. Raises Refused(INVALID) when the policy
    cannot be matched under (e.g. every weight zero)."""
    kind = ProgramKind(program["kind"])
    raw: Mapping[str, Any] = program.get("matchingPolicy") or {}
    given = raw.get("weights") or {}
    weights = {CRITERIA[k]: float(v) for k, v in given.items() if k in CRITERIA}
    if raw.get("crossDepartment") is False:
        weights["cross_department"] = 0.0  # the program does not prefer crossing departments
    max_gap = raw.get("maxLevelGap")
    max_gap = 3 if max_gap is None else int(max_gap)
    min_gap = raw.get("minLevelGap")
    if min_gap is None:
        min_gap = min(0 if kind is ProgramKind.PEER else 1, max_gap)
    objective = raw.get("objective")
    consent = raw.get("adminMatchesNeedConsent", program.get("adminMatchesNeedConsent", True))
    starts_on = program.get("startsOn")
    try:
        policy = MatchingPolicy(
            kind=kind,
            min_level_gap=int(min_gap),
            max_level_gap=max_gap,
            mentors_per_mentee=int(raw.get("mentorsPerMentee") or 1),
            group_size=int(raw.get("groupSize") or 6),
            objective=MatchObjective.__members__.get(str(objective), MatchObjective.BEST_TOTAL),
            prioritize_underrepresented=bool(raw.get("prioritizeUnderrepresented", False)),
            weights=ScoreWeights(**weights),
        )
    except ValueError as exc:
        raise Refused(Code.INVALID, "matchingPolicy", f"the program's policy: {exc}") from exc
    return ProgramRules(
        policy=policy,
        consent_needed=consent is not False,
        reference_day=date.fromisoformat(starts_on) if starts_on else DEFAULT_REFERENCE_DAY,
    )


def reporting_lines(managers: Mapping[str, str | None]) -> dict[str, frozenset[str]]:
    """Everyone above each person (manager, their manager, ...), from each person's manager
    id. A cycle in bad HRIS data stops the walk instead of looping."""
    lines: dict[str, frozenset[str]] = {}
    for person in managers:
        above: list[str] = []
        seen = {person}
        current = managers.get(person)
        while current is not None and current not in seen:
            above.append(current)
            seen.add(current)
            current = managers.get(current)
        lines[person] = frozenset(above)
    return lines


@dataclass(frozen=True)
class Enrolled:
    """One active enrollment of a person in the program."""

    person_id: str
    role: str
    goals: Sequence[str]
    capacity: int | None


@dataclass(frozen=True)
class Load:
    """What a person already has in this program: open matches by side, self-serve
    requests waiting for them as mentor, and (across programs) their mentees' ratings."""

    as_mentor: int = 0
    as_mentee: int = 0
    pending_requests: int = 0
    ratings: tuple[float, int] | None = None  # as a mentor: mean rating and how many


def _base(person: Data, roles: frozenset[ParticipantRole], line: frozenset[str]) -> dict[str, Any]:
    return {
        "id": person["id"],
        "level": int(person.get("level") or 0),
        "roles": roles,
        "active": person.get("status") == "ACTIVE",
        "name": person.get("displayName") or "",
        "department": person.get("department"),
        "title": person.get("title") or "",
        "bio": person.get("bio") or "",
        "skills": list(person.get("skills") or []),
        "interests": list(person.get("interests") or []),
        "languages": list(person.get("languages") or []),
        "time_zone": person.get("timeZone") or "UTC",
        "reporting_line": line,
    }


def mentor_profile(
    person: Data, enrolled: Sequence[Enrolled], line: frozenset[str], load: Load
) -> MentorProfile:
    roles = frozenset(ParticipantRole(e.role) for e in enrolled)
    as_mentor = [e for e in enrolled if e.role == ParticipantRole.MENTOR.value]
    places = (as_mentor[0].capacity or 1) if as_mentor else 0
    return MentorProfile(
        **_base(person, roles, line),
        goals=[g for e in enrolled for g in e.goals],
        capacity=max(places - load.as_mentor, 0),
        pending_requests=load.pending_requests,
        mean_rating=load.ratings[0] if load.ratings else None,
        rating_count=load.ratings[1] if load.ratings else 0,
    )


def mentee_profile(
    person: Data,
    enrolled: Sequence[Enrolled],
    line: frozenset[str],
    load: Load,
    policy: MatchingPolicy,
) -> MenteeProfile:
    roles = frozenset(ParticipantRole(e.role) for e in enrolled)
    mentee_goals = [g for e in enrolled if e.role != ParticipantRole.MENTOR.value for g in e.goals]
    return MenteeProfile(
        **_base(person, roles, line),
        goals=mentee_goals,
        underrepresented=bool(person.get("underrepresented")),
        mentors_wanted=max(policy.mentors_per_mentee - load.as_mentee, 0),
    )


@dataclass(frozen=True)
class Cohort:
    rules: ProgramRules
    mentors: tuple[MentorProfile, ...]
    mentees: tuple[MenteeProfile, ...]
    blocked_pairs: frozenset[tuple[str, str]]
    unknown_people: tuple[str, ...]  # enrolled, but no person event has arrived yet

    def problem(self) -> CohortProblem:
        return CohortProblem(
            policy=self.rules.policy,
            mentors=self.mentors,
            mentees=self.mentees,
            blocked_pairs=self.blocked_pairs,
            reference_day=self.rules.reference_day,
        )

    def mentee(self, person_id: str) -> MenteeProfile | None:
        return next((m for m in self.mentees if m.id == person_id), None)

    def mentor(self, person_id: str) -> MentorProfile | None:
        return next((m for m in self.mentors if m.id == person_id), None)


def build_cohort(
    rules: ProgramRules,
    enrollments: Iterable[Enrolled],
    people: Mapping[str, Data],
    managers: Mapping[str, str | None],
    loads: Mapping[str, Load],
    blocked_pairs: frozenset[tuple[str, str]],
) -> Cohort:
    """The program's pool as the domain sees it. Mentees who already hold every match they
    want are left out (they are not waiting for one); so are people not known yet."""
    by_person: dict[str, list[Enrolled]] = {}
    for e in enrollments:
        by_person.setdefault(e.person_id, []).append(e)
    lines = reporting_lines(managers)
    mentee_role = (
        ParticipantRole.PEER if rules.policy.kind is ProgramKind.PEER else ParticipantRole.MENTEE
    )
    mentors: list[MentorProfile] = []
    mentees: list[MenteeProfile] = []
    unknown: list[str] = []
    for person_id, enrolled in sorted(by_person.items()):
        person = people.get(person_id)
        if person is None:
            unknown.append(person_id)
            continue
        line = lines.get(person_id, frozenset())
        load = loads.get(person_id, Load())
        roles = {e.role for e in enrolled}
        if ParticipantRole.MENTOR.value in roles and rules.policy.kind is not ProgramKind.PEER:
            mentors.append(mentor_profile(person, enrolled, line, load))
        if mentee_role.value in roles:
            profile = mentee_profile(person, enrolled, line, load, rules.policy)
            if profile.mentors_wanted:
                mentees.append(profile)
    return Cohort(rules, tuple(mentors), tuple(mentees), blocked_pairs, tuple(unknown))
