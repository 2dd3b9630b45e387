"""Who may enroll in a program, in which role, and how an enrollment ends. Pure: no I/O."""

from dataclasses import dataclass
from datetime import datetime

from contracts.enrollments import EnrollmentStatus
from contracts.people import PersonStatus
from contracts.problems import Code
from contracts.programs import ParticipantRole, ProgramKind, ProgramStatus
from runtime.refusals import Refused

from profiles.domain.programs import Eligibility, EnrollmentWindow, roles_of

DEFAULT_MENTOR_CAPACITY = 1


@dataclass(frozen=True)
class ProgramTerms:
    """The terms on which a program takes enrollments: what enrolling needs to know of it."""

    kind: ProgramKind
    status: ProgramStatus
    window: EnrollmentWindow
    eligibility: Eligibility


@dataclass(frozen=True)
class Candidate:
    """The person who would enroll, as profiles knows them."""

    status: PersonStatus
    level: int | None
    department: str | None


@dataclass(frozen=True)
class EnrollmentTerms:
    role: ParticipantRole
    goals: tuple[str, ...] = ()
    capacity: int | None = None


def cleaned_goals(goals: tuple[str, ...]) -> tuple[str, ...]:
    """Trimmed, blanks dropped, each goal once (first spelling kept)."""
    seen: dict[str, str] = {}
    for goal in goals:
        text = goal.strip()
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return tuple(seen.values())


def terms_for(kind: ProgramKind, terms: EnrollmentTerms) -> EnrollmentTerms:
    """The terms as stored (mentors get a capacity of 1 unless they give one), or
    Refused(INVALID) when the role does not fit the kind or a non-mentor gives a capacity."""
    allowed = roles_of(kind)
    if terms.role not in allowed:
        raise Refused(
            Code.INVALID,
            "role",
            f"{kind} programs take {' or '.join(allowed)}, not {terms.role}",
        )
    capacity = terms.capacity
    if terms.role is ParticipantRole.MENTOR:
        capacity = DEFAULT_MENTOR_CAPACITY if capacity is None else capacity
    elif capacity is not None:
        raise Refused(Code.INVALID, "capacity", "only mentors have a capacity")
    return EnrollmentTerms(role=terms.role, goals=cleaned_goals(terms.goals), capacity=capacity)


def check_open(program: ProgramTerms, now: datetime) -> None:
    """Refused(NOT_ALLOWED_IN_STATE) unless the program takes enrollments at `now`."""
    if program.status is not ProgramStatus.ENROLLING:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            "programId",
            f"the program is {program.status}; people enroll while it is ENROLLING",
        )
    window = program.window
    if window.opens_at is not None and now < window.opens_at:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            "programId",
            f"enrollment opens at {window.opens_at.isoformat()}",
        )
    if window.closes_at is not None and now >= window.closes_at:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            "programId",
            f"enrollment closed at {window.closes_at.isoformat()}",
        )


def ineligibility(eligibility: Eligibility, role: ParticipantRole, person: Candidate) -> str | None:
    """Why the person may not enroll in this role, or None when they may."""
    if person.status is not PersonStatus.ACTIVE:
        return f"the person is {person.status}; only ACTIVE people enroll"
    if eligibility.roles and role not in eligibility.roles:
        return None
    if eligibility.levels and person.level not in eligibility.levels:
        levels = ", ".join(str(level) for level in sorted(eligibility.levels))
        held = "no level" if person.level is None else f"level {person.level}"
        return f"the program takes levels {levels}; the person has {held}"
    if eligibility.departments and person.department not in eligibility.departments:
        departments = ", ".join(sorted(eligibility.departments))
        held = person.department or "no department"
        return f"the program takes people from {departments}; the person is in {held}"
    return None


def check_eligible(program: ProgramTerms, role: ParticipantRole, person: Candidate) -> None:
    reason = ineligibility(program.eligibility, role, person)
    if reason is not None:
        raise Refused(Code.INELIGIBLE, "personId", reason)


def check_active(status: EnrollmentStatus) -> None:
    """Only an active enrollment can change, be withdrawn or end."""
    if status is not EnrollmentStatus.ACTIVE:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE, "enrollmentId", f"the enrollment is {status} already"
        )
