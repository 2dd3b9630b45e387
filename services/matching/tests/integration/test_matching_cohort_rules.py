"""The pure rules that feed the domain: reporting lines from manager ids, and a program's
policy read from its snapshot."""

import pytest
from contracts.programs import MatchObjective, ProgramKind
from hypothesis import given
from hypothesis import strategies as st
from matching.service_layer.cohorts import program_rules, reporting_lines
from matching.service_layer.refusals import Code, Refused


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


def test_a_policy_reads_its_flags_and_defaults() -> None:
    rules = program_rules(
        {
            "kind": "PEER",
            "matchingPolicy": {
                "maxLevelGap": 2,
                "crossDepartment": False,
                "weights": {"goals": 1.0, "timeZone": 0.5},
                "objective": "MAX_MATCHED",
                "adminMatchesNeedConsent": False,
            },
        }
    )
    assert rules.policy.kind is ProgramKind.PEER
    assert (rules.policy.min_level_gap, rules.policy.max_level_gap) == (0, 2)
    assert rules.policy.weights.cross_department == 0.0
    assert rules.policy.weights.time_zone == 0.5
    assert rules.policy.objective is MatchObjective.MAX_MATCHED
    assert rules.consent_needed is False
    assert program_rules({"kind": "ONE_ON_ONE", "matchingPolicy": {}}).consent_needed is True


def test_an_unusable_policy_is_refused_naming_it() -> None:
    with pytest.raises(Refused) as refused:
        program_rules(
            {"kind": "ONE_ON_ONE", "matchingPolicy": {"minLevelGap": 5, "maxLevelGap": 2}}
        )
    assert refused.value.code is Code.INVALID and refused.value.field == "matchingPolicy"
