"""PEER programs: pairs of two from one pool, a maximum-weight matching on a general graph.

Exact matching on a general graph needs blossoms (odd cycles), which a flow cannot express;
rustworkx's Edmonds blossom algorithm (compiled) solves it exactly. What keeps it fast and
still exact on a large pool is choosing its edges with a proof:

1. Bipartite relaxation. Each person appears as a row and a column; the certified min-cost
   flow (`flow`) gives the relaxation's optimum over every allowed pair and its duals u, v
   with u_i + v_j >= w_ij. Then y_i = (u_i + v_i) / 2 covers every edge (y_i + y_j >= w_ij),
   so UB = sum(y) bounds every matching from above.
2. The exact matching over a sparse candidate graph (each person's best pairs) gives LB.
3. Reduced-cost fixing: any matching using edge e is worth at most UB - (y_i + y_j - w_e), so
   an edge whose reduced cost exceeds UB - LB cannot be in a matching better than LB. The
   exact matching over the candidates plus every edge that passes that test is therefore
   the optimum over every allowed pair.

Bounds are kept doubled (2y) so that they stay integers.
"""

from __future__ import annotations

from time import perf_counter

import numpy as np
import numpy.typing as npt
import rustworkx as rx
from contracts.matches import Optimality
from contracts.programs import MatchObjective

from matching.domain.candidates import TieBreak, initial_candidates
from matching.domain.compatibility import Compatibility
from matching.domain.flow import FlowModel, FlowResult, TransportSolver
from matching.domain.model import (
    CohortProblem,
    CohortSolution,
    Fairness,
    GroupOutcome,
    PeerPair,
    SolveStats,
)
from matching.domain.reasons import explain
from matching.domain.rules import is_eligible_mentee
from matching.domain.scoring import SCORE_SCALE

IntArray = npt.NDArray[np.int64]
Index = npt.NDArray[np.intp]

CANDIDATES_PER_PERSON = 8


def solve_peers(problem: CohortProblem) -> CohortSolution:
    started = perf_counter()
    policy = problem.policy
    pool = [p for p in problem.mentees if is_eligible_mentee(p, policy)]
    n = len(pool)
    compat = Compatibility(pool, pool, policy, problem.blocked_pairs, problem.reference_day)
    ones = np.ones(n, dtype=np.int64)
    bonus = SCORE_SCALE * (n // 2) + 1 if policy.objective is MatchObjective.MAX_MATCHED else 0
    model = FlowModel(
        row_slots=ones,
        col_capacity=ones,
        row_department=compat.scorer.mentee_department,
        col_department=compat.scorer.mentor_department,
        match_bonus=bonus,
    )
    rows = np.arange(n, dtype=np.intp)
    k = CANDIDATES_PER_PERSON
    ties = TieBreak(n, n)
    start = initial_candidates(compat, rows, k, np.full(n, k, dtype=np.int64), ties)
    relaxed = TransportSolver(model, compat, rows, ties).solve(start)

    edges = _edge_weights(relaxed, bonus)  # the candidate graph, both orders
    lower, pairs = _max_weight_matching(n, edges)
    y2 = _doubled_cover(relaxed)
    upper2 = int(y2.sum())  # 2 x UB
    if relaxed.proven_optimal and 2 * lower < upper2:
        extra = _edges_within(compat, y2, upper2 - 2 * lower, bonus)
        if not extra.keys() <= edges.keys():
            edges |= extra
            lower, pairs = _max_weight_matching(n, edges)
    # Unproven relaxation (a stopped flow): its own bound, halved (a matching of value M is
    # an assignment of value 2M), is what the optimum can reach.
    gap = 0 if relaxed.proven_optimal else max(0, (relaxed.gap - relaxed.cost + 1) // 2 - lower)

    pairs = sorted((min(a, b), max(a, b)) for a, b in pairs)
    first = np.array([a for a, _ in pairs], dtype=np.intp)
    second = np.array([b for _, b in pairs], dtype=np.intp)
    weights = np.array([edges[p] - bonus for p in pairs], dtype=np.int64)
    evidence = compat.scorer.evidence(first, second)
    peer_pairs = tuple(
        PeerPair(
            first_id=pool[a].id,
            second_id=pool[b].id,
            score=int(w) / SCORE_SCALE,
            reasons=explain(e),
        )
        for (a, b), w, e in zip(pairs, weights.tolist(), evidence, strict=True)
    )
    paired = {i for ab in pairs for i in ab}
    pri = np.array([p.underrepresented for p in pool], dtype=np.bool_)
    got = np.zeros(n, dtype=np.bool_)
    got[list(paired)] = True
    matchable = np.zeros(n, dtype=np.bool_)
    matchable[start.rows] = True  # everyone with an allowed peer has a candidate
    kept_ids = {p.id for p in pool}

    def outcome(members: npt.NDArray[np.bool_]) -> GroupOutcome:
        return GroupOutcome(
            mentees=int(members.sum()),
            matchable=int((members & matchable).sum()),
            matched=int((members & got).sum()),
        )

    return CohortSolution(
        kind=policy.kind,
        matches=(),
        circles=(),
        peer_pairs=peer_pairs,
        unmatched_mentee_ids=tuple(p.id for i, p in enumerate(pool) if i not in paired),
        unmatchable_mentee_ids=tuple(p.id for p, ok in zip(pool, matchable, strict=True) if not ok),
        ineligible_ids=tuple(dict.fromkeys(p.id for p in problem.mentees if p.id not in kept_ids)),
        stats=SolveStats(
            objective=int(weights.sum()),
            total_score=int(weights.sum()) / SCORE_SCALE,
            matched_mentees=len(paired),
            filled_slots=len(paired),
            requested_slots=n,
            underrepresented_rate=_rate(int(got[pri].sum()), int(pri.sum())),
            others_rate=_rate(int(got[~pri].sum()), int((~pri).sum())),
            proven_optimal=relaxed.proven_optimal,
            candidate_pairs=len(edges) // 2,
            allowed_pairs=relaxed.allowed_pairs // 2,
            rounds=relaxed.rounds,
            seconds=perf_counter() - started,
            scored_pairs=compat.scored_pairs,
        ),
        # A pool is paired for fit alone: under-represented peers get no priority.
        fairness=Fairness(
            prioritized=False, underrepresented=outcome(pri), others=outcome(~pri), reachable=None
        ),
        optimality=Optimality.PROVEN if relaxed.proven_optimal else Optimality.BEST_FOUND,
        optimality_gap=gap / SCORE_SCALE,
    )


def _rate(filled: int, requested: int) -> float | None:
    return None if requested == 0 else filled / requested


def _edge_weights(relaxed: FlowResult, bonus: int) -> dict[tuple[int, int], int]:
    """The objective weight (bonus included) of each candidate pair, both orders."""
    out: dict[tuple[int, int], int] = {}
    for r, c, w in zip(
        relaxed.candidates.rows.tolist(),
        relaxed.candidates.cols.tolist(),
        relaxed.candidates.weights.tolist(),
        strict=True,
    ):
        out[(r, c)] = out[(c, r)] = w + bonus
    return out


def _doubled_cover(relaxed: FlowResult) -> IntArray:
    """2y from the relaxation's potentials: u_i = d(row_i) - a and v_j = a - d(col_j) satisfy
    u_i + v_j >= w_ij for every allowed pair whatever a is; clipping at 0 keeps that. The
    choice of a only changes how tight the bound is, so take the tighter of two."""
    best: IntArray | None = None
    for a in (relaxed.source_potential, relaxed.sink_potential):
        u = np.maximum(relaxed.row_potential - a, 0)
        v = np.maximum(a - relaxed.col_potential, 0)
        if best is None or (u + v).sum() < best.sum():
            best = u + v
    assert best is not None
    return best


def _max_weight_matching(
    n: int, edges: dict[tuple[int, int], int]
) -> tuple[int, list[tuple[int, int]]]:
    """Exact maximum-weight matching over the given edges (Edmonds' blossom algorithm)."""
    graph: rx.PyGraph[int, int] = rx.PyGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from([(a, b, w) for (a, b), w in edges.items() if a < b])
    chosen = rx.max_weight_matching(graph, weight_fn=lambda w: w)
    pairs = [(min(a, b), max(a, b)) for a, b in chosen]
    return sum(edges[p] for p in pairs), pairs


def _edges_within(
    compat: Compatibility, y2: IntArray, slack2: int, bonus: int
) -> dict[tuple[int, int], int]:
    """Every allowed edge whose doubled reduced cost is at most slack2 (both orders): the
    only edges a matching better than the current one can use."""
    out: dict[tuple[int, int], int] = {}
    rows = np.arange(compat.n, dtype=np.intp)
    for chunk, weights in compat.blocks(rows):
        w = weights.astype(np.int64) + bonus
        rc2 = y2[chunk][:, None] + y2[None, :] - 2 * w
        r, c = np.nonzero((weights >= 0) & (rc2 <= slack2))
        for a, b, value in zip(chunk[r].tolist(), c.tolist(), w[r, c].tolist(), strict=True):
            out[(a, b)] = value
    return out
