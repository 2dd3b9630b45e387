"""What makes a mentoring program well defined, and how its status may move. Pure: no I/O.

Field paths in violations are camelCase and dotted, as the API names them
(`curriculum.cadence`, `objectives.0.target`), so every layer can point at the bad field.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time
from itertools import islice

from contracts.problems import Code, FieldError
from contracts.programs import (
    MatchingPolicySnapshot,
    MatchingPolicyTerms,
    ObjectiveMetric,
    ParticipantRole,
    ProgramKind,
    ProgramStatus,
)
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]
from pydantic.alias_generators import to_camel
from runtime.refusals import Refused

# --- the definition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    metric: ObjectiveMetric
    target: float
    due_on: date
    baseline: float | None = None
    description: str | None = None


@dataclass(frozen=True)
class CurriculumModule:
    title: str
    discussion_guide: str
    pre_work: tuple[str, ...] = ()
    action_item_templates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Curriculum:
    cadence: str  # RFC 5545 RRULE, see cadence_problem
    session_minutes: int
    modules: tuple[CurriculumModule, ...] = ()


@dataclass(frozen=True)
class EnrollmentWindow:
    opens_at: datetime | None = None
    closes_at: datetime | None = None


@dataclass(frozen=True)
class Eligibility:
    """Who may enroll. Empty tuples do not restrict; `roles` names the roles the rule applies
    to (empty: all), so e.g. mentees can be limited to some levels while mentors are not."""

    levels: tuple[int, ...] = ()
    departments: tuple[str, ...] = ()
    roles: tuple[ParticipantRole, ...] = ()


@dataclass(frozen=True)
class ProgramDefinition:
    name: str
    kind: ProgramKind
    curriculum: Curriculum
    description: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    objectives: tuple[Objective, ...] = ()
    # Bounds and defaults as the contract's MatchingPolicyTerms give them; the rules that
    # depend on the kind are checked here.
    matching_policy: MatchingPolicySnapshot = field(
        default_factory=lambda: MatchingPolicyTerms().snapshot()
    )
    enrollment_window: EnrollmentWindow = field(default_factory=EnrollmentWindow)
    eligibility: Eligibility = field(default_factory=Eligibility)


def changed_fields(before: ProgramDefinition, after: ProgramDefinition) -> list[str]:
    return sorted(
        to_camel(f.name)
        for f in fields(before)
        if getattr(before, f.name) != getattr(after, f.name)
    )


# --- roles ------------------------------------------------------------------------------------


def roles_of(kind: ProgramKind) -> tuple[ParticipantRole, ...]:
    if kind is ProgramKind.PEER:
        return (ParticipantRole.PEER,)
    return (ParticipantRole.MENTOR, ParticipantRole.MENTEE)


# --- objectives -------------------------------------------------------------------------------

# SATISFACTION is the mean session rating, on feedback's own 1..5 scale; every other metric is
# a share or a rate of people, in [0, 1].
SATISFACTION_RANGE = (1.0, 5.0)
SHARE_RANGE = (0.0, 1.0)


def metric_range(metric: ObjectiveMetric) -> tuple[float, float]:
    return SATISFACTION_RANGE if metric is ObjectiveMetric.SATISFACTION else SHARE_RANGE


def _range_text(metric: ObjectiveMetric) -> str:
    if metric is ObjectiveMetric.SATISFACTION:
        return "SATISFACTION is a mean rating between 1 and 5"
    return f"{metric} is a share between 0 and 1 (e.g. 0.35 for 35 %)"


def _objective_violations(
    index: int, objective: Objective, starts_on: date | None, ends_on: date | None
) -> list[FieldError]:
    out: list[FieldError] = []
    where = f"objectives.{index}"
    low, high = metric_range(objective.metric)
    for name in ("target", "baseline"):
        value: float | None = getattr(objective, name)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            out.append(
                FieldError(
                    field=f"{where}.{name}",
                    message=f"{value} is out of range: " + _range_text(objective.metric),
                )
            )
    if starts_on is not None and objective.due_on < starts_on:
        out.append(
            FieldError(
                field=f"{where}.dueOn",
                message=f"due {objective.due_on}, before the program starts ({starts_on})",
            )
        )
    if ends_on is not None and objective.due_on > ends_on:
        out.append(
            FieldError(
                field=f"{where}.dueOn",
                message=f"due {objective.due_on}, after the program ends ({ends_on})",
            )
        )
    return out


# --- cadence ----------------------------------------------------------------------------------

# What both Google Calendar (RRULE) and Microsoft Graph (patternedRecurrence) can express.
CADENCE_PARTS = ("FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL")
CADENCE_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Graph's relativeMonthly index: first, second, third, fourth, last.
MONTHLY_ORDINALS = (1, 2, 3, 4, -1)
MAX_INTERVAL = 99
MAX_COUNT = 520  # ten years of weekly sessions
_DAY = re.compile(r"^([+-]?\d{1,2})?([A-Z]{2})$")
_UNTIL = re.compile(r"^\d{8}(T\d{6}Z)?$")


def canonical_cadence(text: str) -> str:
    """RRULE names and values are case-insensitive (RFC 5545 §3.1): stored upper-case, without
    a leading `RRULE:`."""
    rule = text.strip().upper()
    return rule.removeprefix("RRULE:")


def cadence_problem(text: str, starts: date, ends_on: date | None = None) -> str | None:
    """Why `text` is not a cadence we can book in every calendar, or None when it is. `starts`
    is the day sessions would start from (the program's startsOn, else today)."""
    rule = canonical_cadence(text)
    if not rule:
        return "is empty; e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=6"
    pairs = [part.partition("=") for part in rule.split(";")]
    for name, sep, value in pairs:
        if not sep or not name or not value:
            return f"{name + sep + value!r} is not NAME=VALUE"
    unsupported = list(dict.fromkeys(name for name, _, _ in pairs if name not in CADENCE_PARTS))
    if unsupported:
        return (
            f"{', '.join(unsupported)} is not supported: use only {', '.join(CADENCE_PARTS)} "
            "(what both Google Calendar and Microsoft Graph can express)"
        )
    parts: dict[str, str] = {}
    for name, _, value in pairs:
        if name in parts:
            return f"{name} appears twice"
        parts[name] = value
    problem = _parts_problem(parts)
    if problem is not None:
        return problem
    return _occurrence_problem(rule, "Z" in parts.get("UNTIL", ""), starts, ends_on)


def _parts_problem(parts: Mapping[str, str]) -> str | None:
    freq = parts.get("FREQ")
    if freq is None:
        return "FREQ is missing"
    if freq not in CADENCE_FREQUENCIES:
        return f"FREQ={freq} is not supported; use {', '.join(CADENCE_FREQUENCIES)}"
    if "INTERVAL" in parts and not _whole_in(parts["INTERVAL"], 1, MAX_INTERVAL):
        return f"INTERVAL must be a whole number from 1 to {MAX_INTERVAL}"
    if "COUNT" in parts and "UNTIL" in parts:
        return "COUNT and UNTIL cannot both be set"
    if "COUNT" in parts and not _whole_in(parts["COUNT"], 1, MAX_COUNT):
        return f"COUNT must be a whole number from 1 to {MAX_COUNT}"
    if "UNTIL" in parts and not _valid_until(parts["UNTIL"]):
        return "UNTIL must be a date (YYYYMMDD) or a UTC time (YYYYMMDDTHHMMSSZ)"
    if "BYDAY" in parts:
        return _byday_problem(freq, parts["BYDAY"])
    return None


def _whole_in(value: str, low: int, high: int) -> bool:
    return value.isdigit() and low <= int(value) <= high


def _valid_until(value: str) -> bool:
    if not _UNTIL.match(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%dT%H%M%SZ" if "T" in value else "%Y%m%d")
    except ValueError:
        return False
    return True


def _byday_problem(freq: str, value: str) -> str | None:
    if freq == "DAILY":
        return "BYDAY is not supported with FREQ=DAILY; use FREQ=WEEKLY;BYDAY=MO,TU,…"
    days: list[tuple[int | None, str]] = []
    for item in value.split(","):
        match = _DAY.match(item)
        if match is None or match.group(2) not in WEEKDAYS:
            return f"BYDAY {item!r} is not a weekday ({', '.join(WEEKDAYS)})"
        days.append((int(match.group(1)) if match.group(1) else None, match.group(2)))
    if len({day for _, day in days}) != len(days):
        return "BYDAY names a weekday twice"
    ordinals = {ordinal for ordinal, _ in days}
    if freq == "WEEKLY" and ordinals != {None}:
        return "weekly BYDAY takes plain weekdays (MO,TH), not numbered ones"
    if freq == "MONTHLY" and (len(ordinals) != 1 or ordinals - set(MONTHLY_ORDINALS)):
        return (
            "monthly BYDAY needs one position shared by its weekdays: 1 to 4, or -1 for "
            "the last (e.g. 2WE for the second Wednesday)"
        )
    return None


def _occurrence_problem(
    rule: str, utc_until: bool, starts: date, ends_on: date | None
) -> str | None:
    # dateutil wants DTSTART and a UTC UNTIL to agree on being time-zone aware.
    dtstart = datetime.combine(starts, time(), tzinfo=UTC if utc_until else None)
    try:
        first = next(islice(rrulestr(rule, dtstart=dtstart), 1), None)
    except (ValueError, TypeError) as exc:
        return f"does not parse as an RRULE: {exc}"
    if first is None:
        return f"yields no session from {starts} on"
    if ends_on is not None and first.date() > ends_on:
        return f"yields no session between {starts} and the program's end ({ends_on})"
    return None


# --- matching policy --------------------------------------------------------------------------


def level_gap_fits(kind: ProgramKind, policy: MatchingPolicySnapshot, gap: int) -> bool:
    """Whether a pair whose level gap is `gap` fits the policy. The gap is read by kind:
    mentor minus mentee (REVERSE: mentee minus mentor); PEER: the absolute difference."""
    if kind is ProgramKind.PEER:
        gap = abs(gap)
    low, high = policy.min_level_gap, policy.max_level_gap
    return (low is None or gap >= low) and (high is None or gap <= high)


def _gap_violations(kind: ProgramKind, policy: MatchingPolicySnapshot) -> list[FieldError]:
    low, high = policy.min_level_gap, policy.max_level_gap
    where = "matchingPolicy"
    if kind is ProgramKind.PEER:
        out = []
        if low is not None:
            out.append(
                FieldError(
                    field=f"{where}.minLevelGap",
                    message="PEER programs use maxLevelGap only (the level difference either way)",
                )
            )
        if high is not None and high < 0:
            out.append(
                FieldError(
                    field=f"{where}.maxLevelGap",
                    message=f"{high}: a PEER program's maxLevelGap is an absolute difference, "
                    "at least 0",
                )
            )
        return out
    if low is not None and high is not None and low > high:
        return [
            FieldError(
                field=f"{where}.minLevelGap",
                message=f"minLevelGap {low} is greater than maxLevelGap {high}",
            )
        ]
    if high is not None and high < 1:
        senior = "the mentee" if kind is ProgramKind.REVERSE else "the mentor"
        return [
            FieldError(
                field=f"{where}.maxLevelGap",
                message=f"maxLevelGap {high} leaves no pair where {senior} is more senior; "
                f"{kind} programs need it at least 1",
            )
        ]
    return []


def _policy_violations(kind: ProgramKind, policy: MatchingPolicySnapshot) -> list[FieldError]:
    where = "matchingPolicy"
    out = _gap_violations(kind, policy)
    if kind is ProgramKind.GROUP and policy.group_size is None:
        out.append(
            FieldError(field=f"{where}.groupSize", message="GROUP programs need a groupSize")
        )
    if kind is not ProgramKind.GROUP and policy.group_size is not None:
        out.append(
            FieldError(field=f"{where}.groupSize", message="only GROUP programs have a groupSize")
        )
    if kind is ProgramKind.PEER and policy.mentors_per_mentee != 1:
        out.append(
            FieldError(
                field=f"{where}.mentorsPerMentee", message="PEER programs pair peers: it must be 1"
            )
        )
    # Each weight is a known criterion ≥ 0 already (MatchingPolicyTerms); together they must
    # weigh something.
    if not any(w > 0 for w in policy.weights.values()):
        out.append(
            FieldError(field=f"{where}.weights", message="at least one weight must be above 0")
        )
    return out


# --- the whole program ------------------------------------------------------------------------


def definition_violations(definition: ProgramDefinition, today: date) -> list[FieldError]:
    """Every rule the definition breaks, each naming its field (empty: well defined)."""
    d = definition
    out: list[FieldError] = []
    if d.starts_on is not None and d.ends_on is not None and d.ends_on < d.starts_on:
        out.append(
            FieldError(field="endsOn", message=f"{d.ends_on} is before startsOn {d.starts_on}")
        )
    for index, objective in enumerate(d.objectives):
        out += _objective_violations(index, objective, d.starts_on, d.ends_on)
    problem = cadence_problem(d.curriculum.cadence, d.starts_on or today, d.ends_on)
    if problem is not None:
        out.append(FieldError(field="curriculum.cadence", message=problem))
    out += _policy_violations(d.kind, d.matching_policy)
    window = d.enrollment_window
    if window.opens_at and window.closes_at and window.closes_at <= window.opens_at:
        out.append(FieldError(field="enrollmentWindow.closesAt", message="must be after opensAt"))
    allowed = roles_of(d.kind)
    for index, role in enumerate(d.eligibility.roles):
        if role not in allowed:
            out.append(
                FieldError(
                    field=f"eligibility.roles.{index}",
                    message=f"{d.kind} programs have no {role} role",
                )
            )
    return out


def validated(definition: ProgramDefinition, today: date) -> ProgramDefinition:
    """The definition in canonical form, or Refused(INVALID) naming every bad field."""
    violations = definition_violations(definition, today)
    if violations:
        raise Refused.many(Code.INVALID, violations)
    curriculum = definition.curriculum
    canonical = replace(curriculum, cadence=canonical_cadence(curriculum.cadence))
    return replace(definition, curriculum=canonical)


# --- status -----------------------------------------------------------------------------------

# DRAFT → ENROLLING (openEnrollment) → MATCHING → ACTIVE (matching moves these) → CLOSED;
# any open program may close, and a closed one stays closed.
TRANSITIONS: Mapping[ProgramStatus, frozenset[ProgramStatus]] = {
    ProgramStatus.DRAFT: frozenset({ProgramStatus.ENROLLING, ProgramStatus.CLOSED}),
    ProgramStatus.ENROLLING: frozenset({ProgramStatus.MATCHING, ProgramStatus.CLOSED}),
    ProgramStatus.MATCHING: frozenset({ProgramStatus.ACTIVE, ProgramStatus.CLOSED}),
    ProgramStatus.ACTIVE: frozenset({ProgramStatus.CLOSED}),
    ProgramStatus.CLOSED: frozenset(),
}


def transition(current: ProgramStatus, target: ProgramStatus) -> ProgramStatus:
    if target not in TRANSITIONS[current]:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            None,
            f"a {current} program cannot become {target}",
        )
    return target


def opening_violations(definition: ProgramDefinition, now: datetime) -> list[FieldError]:
    """What stops a draft from opening enrollment now."""
    closes_at = definition.enrollment_window.closes_at
    if closes_at is not None and closes_at <= now:
        return [
            FieldError(
                field="enrollmentWindow.closesAt",
                message=f"the window closed at {closes_at.isoformat()}",
            )
        ]
    return []


def check_edit(status: ProgramStatus, before: ProgramDefinition, after: ProgramDefinition) -> None:
    """Raises Refused(NOT_ALLOWED_IN_STATE) when a program in `status` may not take the edit:
    a closed program is final, and the kind decides who enrolled in which role."""
    if status is ProgramStatus.CLOSED:
        raise Refused(Code.NOT_ALLOWED_IN_STATE, None, "a CLOSED program cannot change")
    if before.kind is not after.kind and status is not ProgramStatus.DRAFT:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE,
            "kind",
            f"the kind can change only while the program is a DRAFT (it is {status})",
        )
