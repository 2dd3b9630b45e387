"""Self-serve: a ranked shortlist of mentors for one mentee, with the reasons for each.

Popular mentors are damped by the requests already waiting for them,
rank = score / (1 + pending / places), so the same few people are not shown to everyone at
once; the pair's own score is still reported undamped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from contracts.programs import ProgramKind

from matching.domain.compatibility import Compatibility
from matching.domain.groups import leader_places
from matching.domain.model import (
    DEFAULT_REFERENCE_DAY,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    Suggestion,
)
from matching.domain.reasons import explain
from matching.domain.rules import is_eligible_mentee, is_eligible_mentor
from matching.domain.scoring import SCORE_SCALE


def popularity_damping(pending_requests: int, places: int) -> float:
    return 1.0 / (1.0 + max(pending_requests, 0) / max(places, 1))


def suggest_mentors(
    mentee: MenteeProfile,
    mentors: Sequence[MentorProfile],
    policy: MatchingPolicy,
    *,
    blocked_pairs: frozenset[tuple[str, str]] = frozenset(),
    limit: int = 5,
    reference_day: date = DEFAULT_REFERENCE_DAY,
) -> tuple[Suggestion, ...]:
    """Up to `limit` mentors the hard rules allow for this mentee, best first. Empty when the
    mentee may not take part. `blocked_pairs` as in CohortProblem."""
    if policy.kind is ProgramKind.PEER:
        raise ValueError("PEER programs pair people within the pool; there are no mentors")
    if limit <= 0 or not is_eligible_mentee(mentee, policy):
        return ()
    pool = [m for m in mentors if is_eligible_mentor(m)]
    if not pool:
        return ()
    compat = Compatibility([mentee], pool, policy, blocked_pairs, reference_day)
    weights, allowed = compat.block(np.zeros(1, dtype=np.intp))
    score = weights[0] / SCORE_SCALE
    group = policy.kind is ProgramKind.GROUP
    damping = np.array(
        [
            popularity_damping(
                m.pending_requests, leader_places(policy, m) if group else m.capacity
            )
            for m in pool
        ]
    )
    rank = score * damping
    candidates = np.flatnonzero(allowed[0])
    # Best rank first; ties by the pair's own score, then by id so the list is stable.
    chosen = sorted(candidates.tolist(), key=lambda j: (-rank[j], -score[j], pool[j].id))[:limit]
    cols = np.array(chosen, dtype=np.intp)
    evidence = compat.scorer.evidence(np.zeros(len(cols), dtype=np.intp), cols)
    return tuple(
        Suggestion(
            mentor_id=pool[j].id,
            score=float(score[j]),
            rank_score=round(float(rank[j]), 4),
            reasons=explain(e),
        )
        for j, e in zip(chosen, evidence, strict=True)
    )
