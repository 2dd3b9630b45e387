"""From the read model to the domain: a program's policy, and each enrolled person as a
profile the hard rules can judge. Pure functions; the loading is in `service_layer.pools`."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.people import PersonSnapshot, PersonStatus
from contracts.programs import (
    MatchingPolicySnapshot,
    ParticipantRole,
    ProgramKind,
    ProgramSnapshot,
)
from runtime.refusals import invalid

from matching.adapters.replicas import Enrolled
from matching.domain.model import (
    DEFAULT_REFERENCE_DAY,
    CohortProblem,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)


@dataclass(frozen=True)
class ProgramRules:
    policy: MatchingPolicy
    # Admin (run) matches start ACCEPTED when the program says no consent is needed.
    consent_needed: bool
    reference_day: date


def program_rules(
    program: ProgramSnapshot, policy: MatchingPolicySnapshot | None = None
) -> ProgramRules:
    """The rules a program is matched under: its own matching policy, or `policy` (a dry
    run's trial). Raises Refused(INVALID) when the policy cannot be matched under (e.g. every
    weight zero)."""
    terms = policy or program.matching_policy
    try:
        matching_policy = MatchingPolicy.of(program.kind, terms)
    except ValueError as exc:
        raise invalid("matchingPolicy", f"the program's policy: {exc}") from exc
    return ProgramRules(
        policy=matching_policy,
        consent_needed=terms.admin_matches_need_consent,
        reference_day=program.starts_on or DEFAULT_REFERENCE_DAY,
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
class Load:
    """What a person already has in this program: open matches by side, self-serve
    requests waiting for them as mentor, and (across programs) their mentees' ratings."""

    as_mentor: int = 0
    as_mentee: int = 0
    pending_requests: int = 0
    ratings: tuple[float, int] | None = None  # as a mentor: mean rating and how many


def _base(
    person: PersonSnapshot, roles: frozenset[ParticipantRole], line: frozenset[str]
) -> dict[str, Any]:
    return {
        "id": person.id,
        "level": person.level or 0,
        "roles": roles,
        "active": person.status is PersonStatus.ACTIVE,
        "name": person.display_name,
        "department": person.department,
        "title": person.title or "",
        "bio": person.bio or "",
        "skills": list(person.skills),
        "interests": list(person.interests),
        "languages": list(person.languages),
        "time_zone": person.time_zone or "UTC",
        "reporting_line": line,
    }


def mentor_profile(
    person: PersonSnapshot, enrolled: Sequence[Enrolled], line: frozenset[str], load: Load
) -> MentorProfile:
    roles = frozenset(e.role for e in enrolled)
    as_mentor = [e for e in enrolled if e.role is ParticipantRole.MENTOR]
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
    person: PersonSnapshot,
    enrolled: Sequence[Enrolled],
    line: frozenset[str],
    load: Load,
    policy: MatchingPolicy,
) -> MenteeProfile:
    roles = frozenset(e.role for e in enrolled)
    mentee_goals = [g for e in enrolled if e.role is not ParticipantRole.MENTOR for g in e.goals]
    return MenteeProfile(
        **_base(person, roles, line),
        goals=mentee_goals,
        underrepresented=bool(person.underrepresented),
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
    people: Mapping[str, PersonSnapshot],
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
        if ParticipantRole.MENTOR in roles and rules.policy.kind is not ProgramKind.PEER:
            mentors.append(mentor_profile(person, enrolled, line, load))
        if mentee_role in roles:
            profile = mentee_profile(person, enrolled, line, load, rules.policy)
            if profile.mentors_wanted:
                mentees.append(profile)
    return Cohort(rules, tuple(mentors), tuple(mentees), blocked_pairs, tuple(unknown))
