"""A program's insights: the operational figures read from the incrementally kept tallies
(O(periods), never O(facts)), and the protected part (counts of people by group, suppression,
the comparison group) rebuilt only when the tenant's people or enrollments changed (the
org version) or the outcome window's end moved to a new day — then kept in memory, keyed by
that version, so every replica agrees and a query never rescans the org."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from contracts.people import PersonStatus
from contracts.programs import ParticipantRole, ProgramSnapshot
from messaging.outbox import UnitOfWork
from runtime.refusals import not_found
from sqlmodel import select

from feedback.adapters import figures_store
from feedback.adapters.tables import KnownEnrollment, KnownProgram, OrgPerson, OrgVersion
from feedback.domain.figures import ParticipantGroup, ProgramFigures
from feedback.domain.insights import ProgramInsights, Protected, answer, protect
from feedback.domain.objectives import objective_of
from feedback.domain.org_history import PersonHistory
from feedback.domain.outcomes import Coarsening, OutcomeKey, OutcomeWindow, outcome_record
from feedback.domain.suppression import SuppressionRule
from feedback.service_layer.replicas import moves_of

# Whose outcomes are measured: the people the program develops (mentors are not compared).
_DEVELOPED = frozenset({ParticipantRole.MENTEE.value, ParticipantRole.PEER.value})
_COUNTED = frozenset({"ACTIVE", "ENDED"})  # a withdrawal before taking part is not a participant


@dataclass
class _Kept:
    version: int
    window_end: datetime
    protected: Protected
    eligible: int | None


@dataclass
class InsightsCache:
    """The protected part per (tenant, program), valid while the org version stands."""

    kept: dict[tuple[str, str], _Kept] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProgramView:
    program: ProgramSnapshot
    started_at: datetime
    figures: ProgramFigures
    insights: ProgramInsights


def program_start(row: KnownProgram) -> datetime:
    if row.starts_on is not None:
        return datetime.combine(row.starts_on, time(), UTC)
    return row.published_at


def window_for(row: KnownProgram, now: datetime) -> OutcomeWindow:
    """From the program's start to the end of today (or its end date): promotions pushed
    today already count."""
    start = program_start(row)
    end_day = now.astimezone(UTC).date() + timedelta(days=1)
    snapshot = ProgramSnapshot.model_validate(row.snapshot)
    if snapshot.ends_on is not None and snapshot.ends_on < end_day:
        end_day = snapshot.ends_on
    end = datetime.combine(end_day, time(), UTC)
    if end <= start:
        end = start + timedelta(days=1)
    return OutcomeWindow(start, end)


def _eligible(snapshot: ProgramSnapshot, person: OrgPerson) -> bool:
    rule = snapshot.eligibility
    if person.status == PersonStatus.TERMINATED.value:
        return False
    if rule.levels and person.level not in rule.levels:
        return False
    return not rule.departments or person.department in rule.departments


async def _protected(
    uow: UnitOfWork, row: KnownProgram, window: OutcomeWindow, rule: SuppressionRule
) -> tuple[Protected, int | None]:
    tenant_id = row.tenant_id
    people = {
        p.person_id: p
        for p in (await uow.session.exec(select(OrgPerson).where(OrgPerson.tenant_id == tenant_id)))
    }
    enrollments = (
        await uow.session.exec(
            select(KnownEnrollment).where(
                KnownEnrollment.tenant_id == tenant_id,
                KnownEnrollment.program_id == row.program_id,
            )
        )
    ).all()
    participants: Counter[ParticipantGroup] = Counter()
    enrolled: set[str] = set()
    developed: set[str] = set()
    for e in enrollments:
        person = people.get(e.person_id)
        if e.left_at is None:
            enrolled.add(e.person_id)
            participants[
                ParticipantGroup(
                    ParticipantRole(e.role),
                    None if person is None else person.underrepresented,
                    None if person is None else person.department,
                    None if person is None else person.level,
                )
            ] += 1
        if e.role in _DEVELOPED and e.status in _COUNTED:
            developed.add(e.person_id)
    everyone_enrolled = {e.person_id for e in enrollments}
    counts: Counter[OutcomeKey] = Counter()
    coarsening = Coarsening()
    for person in people.values():
        participant = person.person_id in developed
        if not participant and person.person_id in everyone_enrolled:
            continue  # mentors and those who withdrew are in neither group
        history = PersonHistory(
            person_id=person.person_id,
            hired_on=person.hired_on,
            left_at=person.left_at,
            # Aggregated and suppressed only; the comparison group's too, so every breakdown
            # by it has both sides (an all-unknown side would hide the whole comparison).
            underrepresented=person.underrepresented,
            level=person.level,
            department=person.department,
            moves=moves_of(person),
        )
        record = outcome_record(history, window, participant, coarsening)
        if record is not None:
            counts[record.key] += 1
    snapshot = ProgramSnapshot.model_validate(row.snapshot)
    eligible = sum(1 for p in people.values() if _eligible(snapshot, p)) or None
    return protect(participants, counts, window, rule), eligible


async def _version(uow: UnitOfWork, tenant_id: str) -> int:
    found = await uow.session.get(OrgVersion, tenant_id)
    return 0 if found is None else found.version


async def program_insights(
    uow: UnitOfWork,
    tenant_id: str,
    program_id: str,
    cache: InsightsCache,
    k: int,
    now: datetime,
) -> ProgramView:
    row = await uow.session.get(KnownProgram, (tenant_id, program_id))
    if row is None:
        raise not_found("program")
    figures = await figures_store.load(uow.session, tenant_id, program_id)
    window = window_for(row, now)
    version = await _version(uow, tenant_id)
    kept = cache.kept.get((tenant_id, program_id))
    if kept is None or kept.version != version or kept.window_end != window.end:
        protected, eligible = await _protected(uow, row, window, SuppressionRule(k=k))
        kept = _Kept(version, window.end, protected, eligible)
        cache.kept[(tenant_id, program_id)] = kept
    snapshot = ProgramSnapshot.model_validate(row.snapshot)
    started_at = program_start(row)
    objectives = [objective_of(o) for o in snapshot.objectives]
    insights = answer(
        figures,
        kept.protected,
        objectives,
        eligible=kept.eligible,
        started_on=started_at.date(),
        as_of=now,
    )
    return ProgramView(snapshot, started_at, figures, insights)
