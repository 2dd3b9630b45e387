"""How the chaos run counts what each read model shows: a change missing from a read model is
lost, a change shown twice is duplicated (else the chaos test could pass on nothing)."""

from devstack.chaos_tally import Seen, count, workload


def test_the_workload_is_a_hire_then_a_title_change_per_person() -> None:
    changes, sent = workload("r1", 6)
    assert [c["type"] for c in changes] == ["employee.hired"] * 3 + ["employee.updated"] * 3
    assert sent == {p: {f"{p}-hired", f"{p}-updated"} for p in sent}
    assert {c["id"] for c in changes} == set().union(*sent.values())


def test_every_change_shown_once_is_applied_and_nothing_else() -> None:
    sent = {"a": {"a-hired", "a-updated"}, "b": {"b-hired", "b-updated"}}
    history = {p: [(f"{p}-hired", "title"), (f"{p}-updated", "title")] for p in sent}
    roster = {"a": 2, "b": 2}
    seen = Seen(["a", "b"], history, {s: roster for s in ("matching", "sessions", "feedback")})
    for tally in count(sent, seen):
        assert (tally.sent, tally.applied, tally.lost, tally.duplicated) == (4, 4, 0, 0)


def test_missing_changes_are_lost_and_repeated_ones_duplicated() -> None:
    sent = {"a": {"a-hired", "a-updated"}, "b": {"b-hired", "b-updated"}}
    seen = Seen(
        people=["a", "a"],  # one person twice; "b" never arrived
        history={"a": [("a-hired", "title"), ("a-updated", "title"), ("a-updated", "title")]},
        revisions={
            "matching": {"a": 2},
            "sessions": {"a": 1},  # its update never arrived
            "feedback": {"a": 3},  # one change applied twice
        },
    )
    profiles, matching, sessions, feedback = count(sent, seen)
    assert (profiles.applied, profiles.lost, profiles.duplicated) == (2, 2, 2)
    assert (matching.applied, matching.lost, matching.duplicated) == (2, 2, 0)
    assert (sessions.applied, sessions.lost, sessions.behind_profiles) == (1, 3, 1)
    assert (feedback.applied, feedback.lost, feedback.duplicated) == (2, 2, 1)
    assert matching.behind_profiles == 0  # what profiles had, it had
