"""What a match run reports: the pairs, who stayed unmatched and why, how good the answer is
known to be, and aggregates by group (match rate among all and among the matchable, mean
score), leaving out groups too small to stay anonymous. Pure."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from contracts.internal.matching import UnmatchedMentee
from contracts.matches import Optimality
from contracts.programs import ProgramKind

from matching.domain.model import (
    CohortProblem,
    CohortSolution,
    Fairness,
    MenteeProfile,
    Reason,
)
from matching.domain.rules import why_not

MINIMUM_GROUP_SIZE = 5


@dataclass(frozen=True)
class Pair:
    mentor_id: str
    mentee_ids: tuple[str, ...]
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RunSummary:
    pairs: tuple[Pair, ...]
    matched_mentees: int
    unmatched_mentees: int
    mean_score: float | None
    by_group: dict[str, Any]
    unmatched: tuple[UnmatchedMentee, ...]
    optimality: Optimality
    optimality_gap: float


def pairs_of(solution: CohortSolution) -> tuple[Pair, ...]:
    """Best first. GROUP circles are one pair each (the leader and the members)."""
    if solution.kind is ProgramKind.PEER:
        pairs = [Pair(p.first_id, (p.second_id,), p.score, p.reasons) for p in solution.peer_pairs]
    elif solution.kind is ProgramKind.GROUP:
        by_leader: dict[str, list[Any]] = defaultdict(list)
        for m in solution.matches:
            by_leader[m.mentor_id].append(m)
        pairs = [
            Pair(
                leader,
                tuple(m.mentee_id for m in members),
                fmean(m.score for m in members),
                members[0].reasons,
            )
            for leader, members in by_leader.items()
        ]
    else:
        pairs = [Pair(m.mentor_id, (m.mentee_id,), m.score, m.reasons) for m in solution.matches]
    return tuple(sorted(pairs, key=lambda p: (-p.score, p.mentor_id, p.mentee_ids)))


def _mentee_scores(solution: CohortSolution) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = defaultdict(list)
    if solution.kind is ProgramKind.PEER:
        for p in solution.peer_pairs:
            scores[p.first_id].append(p.score)
            scores[p.second_id].append(p.score)
    else:
        for m in solution.matches:
            scores[m.mentee_id].append(m.score)
    return scores


def _why_unmatched(mentee: MenteeProfile, problem: CohortProblem) -> str:
    others = problem.mentees if problem.policy.kind is ProgramKind.PEER else problem.mentors
    candidates = [o for o in others if o.id != mentee.id]
    if not candidates:
        return "nobody to match with"
    broken = [why_not(mentee, o, problem.policy, problem.blocked_pairs) for o in candidates]
    if any(not b for b in broken):
        return "every mentor the rules allow was given to others (no open place left)"
    # The rule that rules out the most candidates says most about why.
    counts: dict[str, int] = defaultdict(int)
    for rules in broken:
        for rule in rules:
            counts[rule] += 1
    top = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return f"no allowed match: {top}"


GROUPINGS: dict[str, Callable[[MenteeProfile], str | None]] = {
    "department": lambda p: p.department,
    "level": lambda p: str(p.level),
    "underrepresented": lambda p: "yes" if p.underrepresented else "no",
}


def by_group(
    mentees: Sequence[MenteeProfile],
    scores: dict[str, list[float]],
    minimum: int,
    unmatchable: set[str] | frozenset[str] = frozenset(),
    fairness: Fairness | None = None,
) -> dict[str, Any]:
    """{grouping: {group: {mentees, matchable, matchRate, matchableRate, meanScore}}}.
    `matchRate` is matched ÷ mentees; `matchableRate` is matched ÷ matchable, leaving out the
    mentees no rule allows any mentor for (unmatchable in either group: the fairness rule is
    stated on these). Groups under `minimum` mentees are left out and only counted (a small
    group's rate would tell about individuals), and so is `fairness.reachable` when the
    under-represented group is that small."""
    out: dict[str, Any] = {"minimumGroupSize": minimum, "suppressedGroups": 0}
    for name, key in GROUPINGS.items():
        groups: dict[str, list[MenteeProfile]] = defaultdict(list)
        for m in mentees:
            value = key(m)
            if value is not None:
                groups[value].append(m)
        shown: dict[str, Any] = {}
        for value, members in sorted(groups.items()):
            if len(members) < minimum:
                out["suppressedGroups"] += 1
                continue
            got = [fmean(scores[m.id]) for m in members if scores.get(m.id)]
            matchable = sum(1 for m in members if m.id not in unmatchable)
            shown[value] = {
                "mentees": len(members),
                "matchable": matchable,
                "matchRate": round(len(got) / len(members), 4),
                "matchableRate": round(len(got) / matchable, 4) if matchable else None,
                "meanScore": round(fmean(got), 4) if got else None,
            }
        out[name] = shown
    if fairness is not None:
        shown_group = "yes" in out["underrepresented"]
        out["fairness"] = {
            "prioritized": fairness.prioritized,
            # The most under-represented mentees any assignment matches at once.
            "reachable": fairness.reachable if shown_group else None,
        }
    return out


def summarize(
    problem: CohortProblem, solution: CohortSolution, minimum: int = MINIMUM_GROUP_SIZE
) -> RunSummary:
    pairs = pairs_of(solution)
    scores = _mentee_scores(solution)
    by_id = {m.id: m for m in problem.mentees}
    counted = [by_id[i] for i in (*scores.keys(), *solution.unmatched_mentee_ids) if i in by_id]
    unmatched = tuple(
        UnmatchedMentee(person_id=i, reason=_why_unmatched(by_id[i], problem))
        for i in solution.unmatched_mentee_ids
        if i in by_id
    ) + tuple(
        UnmatchedMentee(
            person_id=i, reason="not active, or not enrolled in the role this program needs"
        )
        for i in solution.ineligible_ids
        if i in by_id
    )
    pair_scores = [p.score for p in pairs]
    return RunSummary(
        pairs=pairs,
        matched_mentees=len([i for i in scores if i in by_id]),
        unmatched_mentees=len(solution.unmatched_mentee_ids),
        mean_score=round(fmean(pair_scores), 4) if pair_scores else None,
        by_group=by_group(
            counted, scores, minimum, set(solution.unmatchable_mentee_ids), solution.fairness
        ),
        unmatched=unmatched,
        optimality=solution.optimality,
        optimality_gap=round(solution.optimality_gap, 4),
    )
