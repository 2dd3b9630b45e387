"""Loading a program's pool from the read model, ready for the domain."""

from collections import Counter
from collections.abc import Mapping
from typing import Any

from contracts.programs import ProgramKind
from messaging.outbox import UnitOfWork

from matching.adapters.repository import OPEN, Matches, Ratings, Replicas
from matching.adapters.tables import KnownProgram
from matching.service_layer.cohorts import Cohort, Enrolled, Load, build_cohort, program_rules
from matching.service_layer.refusals import not_found

# Matching may run while people enroll and after enrollment closed; never on a closed program.
MATCHABLE = ("ENROLLING", "MATCHING", "ACTIVE")


async def known_program(uow: UnitOfWork, tenant_id: str, program_id: str) -> KnownProgram:
    program = await Replicas(uow.session, tenant_id).program(program_id)
    if program is None:
        raise not_found("program", None)
    return program


async def load_cohort(
    uow: UnitOfWork,
    tenant_id: str,
    program: KnownProgram,
    policy: Mapping[str, Any] | None = None,
) -> Cohort:
    """The program's pool, under its own matching policy or under `policy` (a dry run's
    trial, in the snapshot's policy shape)."""
    replicas = Replicas(uow.session, tenant_id)
    snapshot = (
        program.snapshot if policy is None else {**program.snapshot, "matchingPolicy": policy}
    )
    rules = program_rules(snapshot)
    enrollments = await replicas.active_enrollments(program.program_id)
    people = await replicas.people()
    matches = Matches(uow.session, tenant_id)
    peer = rules.policy.kind is ProgramKind.PEER
    as_mentor: Counter[str] = Counter()
    as_mentee: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    taken: set[tuple[str, str]] = set()
    for m in await matches.of_program(program.program_id):
        if m.status not in OPEN:
            continue
        taken.add((m.mentor_id, m.mentee_id))
        as_mentor[m.mentor_id] += 1
        as_mentee[m.mentee_id] += 1
        if peer:  # both sides of a peer pair hold it as "their" match
            as_mentee[m.mentor_id] += 1
        if m.status == "PROPOSED" and m.origin == "SELF_SERVE":
            pending[m.mentor_id] += 1
    ratings = await Ratings(uow.session, tenant_id).of_mentors()
    loads = {
        p: Load(
            as_mentor=as_mentor[p],
            as_mentee=as_mentee[p],
            pending_requests=pending[p],
            ratings=ratings.get(p),
        )
        for p in {e.person_id for e in enrollments}
    }
    # A pair already matched in this program is not proposed twice.
    blocked = await matches.blocked_pairs() | frozenset(taken)
    return build_cohort(
        rules,
        [Enrolled(e.person_id, e.role, list(e.goals), e.capacity) for e in enrollments],
        people,
        {pid: p.get("managerId") for pid, p in people.items()},
        loads,
        blocked,
    )
