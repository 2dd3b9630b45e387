"""Self-serve shortlists: ranked, explained, and damped for popular mentors."""

from __future__ import annotations

import pytest
from contracts.programs import ParticipantRole, ProgramKind
from matching.domain.model import (
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
)
from matching.domain.suggestions import popularity_damping, suggest_mentors

POLICY = MatchingPolicy(min_level_gap=1, max_level_gap=3)
ME = MenteeProfile(
    id="me",
    level=2,
    roles=frozenset({ParticipantRole.MENTEE}),
    goals=["get better at negotiation"],
    reporting_line=frozenset({"boss"}),
)


def mentor(id: str, skills: list[str], **kw: object) -> MentorProfile:
    kw.setdefault("capacity", 2)
    kw.setdefault("level", 4)
    return MentorProfile(id=id, roles=frozenset({ParticipantRole.MENTOR}), skills=skills, **kw)  # type: ignore[arg-type]


def test_matching_suggestions_are_ranked_by_fit_with_reasons() -> None:
    mentors = [
        mentor("generalist", ["budgeting"]),
        mentor("negotiator", ["negotiation", "deal making"]),
    ]
    shortlist = suggest_mentors(ME, mentors, POLICY)
    assert [s.mentor_id for s in shortlist] == ["negotiator", "generalist"]
    best = shortlist[0]
    assert best.score > shortlist[1].score
    assert best.rank_score == pytest.approx(best.score)  # nobody is waiting: no damping
    assert any("negotiation" in r.text for r in best.reasons)
    assert sum(r.contribution for r in best.reasons) == pytest.approx(best.score, abs=1e-3)


def test_matching_popular_mentors_are_damped_by_their_pending_requests() -> None:
    mentors = [
        mentor("busy", ["negotiation"], pending_requests=4, capacity=2),
        mentor("free", ["negotiation", "budgeting"]),
    ]
    shortlist = suggest_mentors(ME, mentors, POLICY)
    busy = next(s for s in shortlist if s.mentor_id == "busy")
    free = next(s for s in shortlist if s.mentor_id == "free")
    assert busy.score > free.score  # the better fit on paper ...
    assert [s.mentor_id for s in shortlist] == ["free", "busy"]  # ... is shown second
    assert busy.rank_score == pytest.approx(busy.score / (1 + 4 / 2), abs=1e-4)
    assert popularity_damping(0, 3) == 1.0 and popularity_damping(3, 3) == 0.5


def test_matching_suggestions_keep_every_hard_rule_and_the_limit() -> None:
    mentors = [
        mentor("boss", ["negotiation"]),  # in my reporting line
        mentor("declined", ["negotiation"]),
        mentor("peer-level", ["negotiation"], level=2),  # not senior
        mentor("full", ["negotiation"], capacity=0),
        *(mentor(f"ok{k}", ["negotiation"]) for k in range(6)),
    ]
    shortlist = suggest_mentors(
        ME, mentors, POLICY, blocked_pairs=frozenset({("declined", "me")}), limit=4
    )
    assert len(shortlist) == 4
    assert {s.mentor_id for s in shortlist} <= {f"ok{k}" for k in range(6)}
    assert [s.mentor_id for s in shortlist] == sorted(s.mentor_id for s in shortlist)  # ties


def test_matching_no_suggestions_for_someone_who_may_not_take_part() -> None:
    mentors = [mentor("negotiator", ["negotiation"])]
    gone = MenteeProfile(id="x", level=2, roles=frozenset({ParticipantRole.MENTEE}), active=False)
    assert suggest_mentors(gone, mentors, POLICY) == ()
    assert suggest_mentors(ME, mentors, POLICY, limit=0) == ()
    assert suggest_mentors(ME, [], POLICY) == ()
    with pytest.raises(ValueError, match="PEER"):
        suggest_mentors(ME, mentors, MatchingPolicy(kind=ProgramKind.PEER))
