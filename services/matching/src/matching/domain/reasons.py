"""Why a pair was proposed, in sentences a mentee would understand: one reason per criterion
the program weighs, with its share of the score, strongest first."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.programs import ProgramKind

from matching.domain.model import Criterion, Reason
from matching.domain.scoring import WORKDAY_HOURS, PairEvidence


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _listing(items: Sequence[str], limit: int = 3) -> str:
    shown = [f"“{s}”" if " " in s else s for s in items[:limit]]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _who(e: PairEvidence) -> str:
    if e.mentor_name:
        return e.mentor_name
    return {
        ProgramKind.PEER: "your peer",
        ProgramKind.GROUP: "your circle's leader",
    }.get(e.kind, "your mentor")


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def _goals(e: PairEvidence, who: str) -> str:
    if e.matching_skills and e.covered_goals:
        return (
            f"{_capital(who)} brings {_listing(e.matching_skills)}, which speaks to your goal"
            f"{'s' if len(e.covered_goals) > 1 else ''} {_listing(e.covered_goals)}."
        )
    if e.matching_skills:
        return f"{_capital(who)}'s experience with {_listing(e.matching_skills)} fits your goals."
    return f"Your goals and {who}'s listed experience have little in common."


def _interests(e: PairEvidence, who: str) -> str:
    if e.shared_interests:
        return f"You and {who} both enjoy {_listing(e.shared_interests)}."
    return f"You and {who} list no interests in common."


def _department(e: PairEvidence, who: str) -> str:
    if e.mentee_department is None or e.mentor_department is None:
        return "We don't know both your departments, so this counts as neutral."
    if e.mentee_department != e.mentor_department:
        return (
            f"{_capital(who)} works in {e.mentor_department}, outside your department: "
            "a view from elsewhere in the company."
        )
    return f"{_capital(who)} works in your own department, {e.mentor_department}."


def _level(e: PairEvidence, who: str) -> str:
    fit = (
        "the gap this program aims for"
        if e.values[Criterion.LEVEL_GAP] > 0.99
        else ("within the program's range")
    )
    gap = e.level_gap
    if e.kind is ProgramKind.PEER:
        if gap == 0:
            return f"You and {who} are at the same level."
        return f"You and {who} are {_plural(gap, 'level')} apart, close enough to be peers."
    if e.kind is ProgramKind.REVERSE:
        return (
            f"{_capital(who)} is {_plural(gap, 'level')} earlier in their career, {fit}: "
            "a fresh view from closer to the front line."
        )
    return f"{_capital(who)} is {_plural(gap, 'level')} above you, {fit}."


def _time_zone(e: PairEvidence, who: str) -> str:
    hours = e.overlap_hours
    if hours is None:
        return f"We could not compare your time zone with {who}'s, so this counts as neutral."
    if hours >= WORKDAY_HOURS:
        return f"You and {who} keep the same working hours."
    if hours > 0:
        return f"Your working day overlaps with {who}'s by about {_plural(round(hours), 'hour')}."
    return f"Your working hours and {who}'s do not overlap: one of you would meet off-hours."


def _feedback(e: PairEvidence, who: str) -> str:
    if e.mean_rating is None or e.rating_count <= 0:
        return f"{_capital(who)} has no mentee ratings yet, so this counts as neutral."
    return (
        f"Mentees rated {who} {e.mean_rating:.1f} out of 5 ({_plural(e.rating_count, 'rating')})."
    )


_SENTENCES = {
    Criterion.GOALS: _goals,
    Criterion.INTERESTS: _interests,
    Criterion.CROSS_DEPARTMENT: _department,
    Criterion.LEVEL_GAP: _level,
    Criterion.TIME_ZONE: _time_zone,
    Criterion.FEEDBACK: _feedback,
}


def explain(evidence: PairEvidence) -> tuple[Reason, ...]:
    """One reason per weighted criterion; contributions sum to the pair's score."""
    who = _who(evidence)
    reasons = [
        Reason(
            criterion=c,
            contribution=round(w * evidence.values[c], 4),
            text=_SENTENCES[c](evidence, who),
        )
        for c, w in evidence.weights.items()
        if w > 0
    ]
    reasons.sort(key=lambda r: (-r.contribution, r.criterion))
    return tuple(reasons)
