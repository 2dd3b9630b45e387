"""What a run reports per group: the match rate among everyone and among the matchable (a
mentee no rule allows any mentor for counts in neither group), small groups suppressed, and
the fairness figures only when the under-represented group is large enough to show."""

from contracts.programs import ParticipantRole
from matching.domain.model import Fairness, GroupOutcome, MenteeProfile
from matching.service_layer.run_summary import by_group


def mentee(i: int, *, under: bool, department: str = "Sales") -> MenteeProfile:
    return MenteeProfile(
        id=f"m{i}",
        level=3,
        roles=frozenset({ParticipantRole.MENTEE}),
        department=department,
        underrepresented=under,
    )


FAIRNESS = Fairness(
    prioritized=True,
    underrepresented=GroupOutcome(mentees=6, matchable=5, matched=5),
    others=GroupOutcome(mentees=6, matchable=6, matched=4),
    reachable=5,
)


def test_the_matchable_rate_leaves_out_who_nobody_could_mentor() -> None:
    mentees = [mentee(i, under=i < 6) for i in range(12)]
    # m0 (under-represented) has no allowed mentor; m6 and m7 (others) lost to others.
    matched = {f"m{i}": [0.5] for i in (1, 2, 3, 4, 5, 8, 9, 10, 11)}
    groups = by_group(mentees, matched, 5, {"m0"}, FAIRNESS)
    yes, no = groups["underrepresented"]["yes"], groups["underrepresented"]["no"]
    assert (yes["mentees"], yes["matchable"], yes["matchRate"], yes["matchableRate"]) == (
        6,
        5,
        round(5 / 6, 4),
        1.0,
    )
    assert (no["matchable"], no["matchableRate"]) == (6, round(4 / 6, 4))
    assert groups["fairness"] == {"prioritized": True, "reachable": 5}


def test_a_small_under_represented_group_hides_its_fairness_figure_too() -> None:
    mentees = [mentee(i, under=i < 3) for i in range(9)]
    groups = by_group(mentees, {f"m{i}": [0.4] for i in range(9)}, 5, set(), FAIRNESS)
    assert "yes" not in groups["underrepresented"] and groups["suppressedGroups"] >= 1
    assert groups["fairness"] == {"prioritized": True, "reachable": None}


def test_a_group_everyone_in_is_unmatchable_has_no_matchable_rate() -> None:
    mentees = [mentee(i, under=False, department="Legal") for i in range(5)]
    groups = by_group(mentees, {}, 5, {m.id for m in mentees})
    assert groups["department"]["Legal"]["matchable"] == 0
    assert groups["department"]["Legal"]["matchableRate"] is None
    assert "fairness" not in groups
