"""Loading a program's pool from the read model, ready for the domain."""

from collections import Counter
from typing import Final

from contracts.matches import MatchOrigin, MatchStatus
from contracts.problems import Code
from contracts.programs import MatchingPolicySnapshot, ProgramKind, ProgramSnapshot, ProgramStatus
from messaging.outbox import UnitOfWork
from runtime.refusals import Refused, not_found

from matching.adapters.matches import Matches, Ratings
from matching.adapters.replicas import Replicas
from matching.service_layer.cohorts import Cohort, Load, build_cohort, program_rules

# Matching may run while people enroll and after enrollment closed; never on a closed program.
MATCHABLE: Final = frozenset(
    {ProgramStatus.ENROLLING, ProgramStatus.MATCHING, ProgramStatus.ACTIVE}
)


async def known_program(uow: UnitOfWork, tenant_id: str, program_id: str) -> ProgramSnapshot:
    program = await Replicas(uow.session, tenant_id).program(program_id)
    if program is None:
        raise not_found("program", None)
    return program


def require_matchable(program: ProgramSnapshot) -> None:
    if program.status not in MATCHABLE:
        raise Refused(
            Code.NOT_ALLOWED_IN_STATE, "programId", f"a {program.status} program is not matched"
        )


async def load_cohort(
    uow: UnitOfWork,
    tenant_id: str,
    program: ProgramSnapshot,
    policy: MatchingPolicySnapshot | None = None,
) -> Cohort:
    """The program's pool, under its own matching policy or under `policy` (a dry run's
    trial, or the policy a run was asked under)."""
    replicas = Replicas(uow.session, tenant_id)
    rules = program_rules(program, policy)
    enrollments = await replicas.active_enrollments(program.id)
    people = await replicas.people()
    matches = Matches(uow.session, tenant_id)
    peer = rules.policy.kind is ProgramKind.PEER
    as_mentor: Counter[str] = Counter()
    as_mentee: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    taken: set[tuple[str, str]] = set()
    for m in await matches.of_program(program.id):
        if not m.is_open:
            continue
        taken.add((m.mentor_id, m.mentee_id))
        as_mentor[m.mentor_id] += 1
        as_mentee[m.mentee_id] += 1
        if peer:  # both sides of a peer pair hold it as "their" match
            as_mentee[m.mentor_id] += 1
        if m.status is MatchStatus.PROPOSED and m.origin is MatchOrigin.SELF_SERVE:
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
        enrollments,
        people,
        {pid: p.manager_id for pid, p in people.items()},
        loads,
        blocked,
    )
