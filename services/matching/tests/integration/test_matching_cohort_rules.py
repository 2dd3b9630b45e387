"""The pure rules that feed the domain: reporting lines from manager ids, and a program's
policy read from its snapshot (or a dry run's trial)."""

from typing import Any

import pytest
from contracts.problems import Code
from contracts.programs import (
    MatchCriterion,
    MatchingPolicySnapshot,
    MatchingPolicyTerms,
    MatchObjective,
    ProgramKind,
    ProgramSnapshot,
)
from hypothesis import given
from hypothesis import strategies as st
from matching.service_layer.cohorts import program_rules, reporting_lines
from runtime.refusals import Refused


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.none() | st.sampled_from("abcdefgh")))
def test_reporting_lines_follow_managers_and_never_loop(managers: dict[str, str | None]) -> None:
    lines = reporting_lines(managers)
    for person_id, line in lines.items():
        assert person_id not in line
        manager = managers.get(person_id)
        if manager is not None and manager != person_id:
            assert manager in line
            # Everyone above the manager is above the person too (unless the walk cycled back).
            assert lines.get(manager, frozenset()) - {person_id} <= line


def program(kind: str, policy: MatchingPolicySnapshot, **fields: Any) -> ProgramSnapshot:
    return ProgramSnapshot.model_validate(
        {
            "id": "pg_1",
            "name": "Future Leaders",
            "kind": kind,
            "status": "ENROLLING",
            "description": None,
            "startsOn": None,
            "endsOn": None,
            "objectives": [],
            "curriculum": {"cadence": "FREQ=WEEKLY", "sessionMinutes": 45, "modules": []},
            "matchingPolicy": policy.model_dump(by_alias=True),
            "enrollmentWindow": {"opensAt": None, "closesAt": None},
            "eligibility": {"levels": [], "departments": [], "roles": []},
            "revision": 1,
            "updatedAt": "2026-11-01T09:00:00Z",
            **fields,
        }
    )


def test_a_policy_reads_its_flags_and_defaults() -> None:
    rules = program_rules(
        program(
            "PEER",
            MatchingPolicyTerms(
                max_level_gap=2,
                cross_department=False,
                weights={MatchCriterion.GOALS: 1.0, MatchCriterion.TIME_ZONE: 0.5},
                objective=MatchObjective.MAX_MATCHED,
                admin_matches_need_consent=False,
            ).snapshot(),
        )
    )
    assert rules.policy.kind is ProgramKind.PEER
    assert (rules.policy.min_level_gap, rules.policy.max_level_gap) == (0, 2)
    assert rules.policy.weights.cross_department == 0.0
    assert rules.policy.weights.time_zone == 0.5
    assert rules.policy.objective is MatchObjective.MAX_MATCHED
    assert rules.consent_needed is False
    default = program_rules(program("ONE_ON_ONE", MatchingPolicyTerms().snapshot()))
    assert default.consent_needed is True


def test_a_trial_policy_replaces_the_programs_and_keeps_its_kind_and_start() -> None:
    own = program("ONE_ON_ONE", MatchingPolicyTerms().snapshot(), startsOn="2027-01-04")
    trial = MatchingPolicyTerms(max_level_gap=1, group_size=4).snapshot()
    rules = program_rules(own, trial)
    assert (rules.policy.min_level_gap, rules.policy.max_level_gap) == (1, 1)
    assert rules.policy.kind is ProgramKind.ONE_ON_ONE and rules.policy.group_size == 4
    assert rules.reference_day.isoformat() == "2027-01-04"
    assert program_rules(own).policy.max_level_gap == 3  # the program's own: the default


def test_an_unusable_policy_is_refused_naming_it() -> None:
    with pytest.raises(Refused) as refused:
        program_rules(
            program("ONE_ON_ONE", MatchingPolicyTerms(min_level_gap=5, max_level_gap=2).snapshot())
        )
    assert refused.value.code is Code.INVALID and refused.value.field == "matchingPolicy"
