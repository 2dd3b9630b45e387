"""How a forgotten person's identifiers are replaced in a value: whole or inside text, any
case, at any depth of JSON (keys too), the longest first; too short a value is left alone."""

from persistence.redaction import Redaction

REPLACEMENTS = {
    "Zephyrine Quillfeather": "Erased person",
    "Zephyrine": "Erased person",
    "Quillfeather": "Erased person",
    "zq@example.com": "erased-1@erased.invalid",
    "EXT-ZQ": "erased:1",
    "Z": "never used",
}


def test_text_is_rewritten_in_any_case_longest_first() -> None:
    redaction = Redaction(REPLACEMENTS)
    assert redaction.text("Zephyrine Quillfeather left") == "Erased person left"
    assert redaction.text("ZQ@EXAMPLE.COM wrote") == "erased-1@erased.invalid wrote"
    assert redaction.text("quillfeather, zephyrine") == "Erased person, Erased person"
    assert redaction.text("Zoe stays") == "Zoe stays"  # one letter is no identifier


def test_json_is_rewritten_at_any_depth_and_other_values_stay() -> None:
    redaction = Redaction(REPLACEMENTS)
    value = {
        "person": {"externalId": "EXT-ZQ", "tags": ["Zephyrine's", 3, None, True]},
        "EXT-ZQ": {"manager": "EXT-ZQ"},
        "n": 1.5,
    }
    assert redaction.value(value) == {
        "person": {"externalId": "erased:1", "tags": ["Erased person's", 3, None, True]},
        "erased:1": {"manager": "erased:1"},
        "n": 1.5,
    }


def test_nothing_to_replace_changes_nothing() -> None:
    redaction = Redaction({})
    assert not redaction
    assert redaction.value({"a": ["Zephyrine"]}) == {"a": ["Zephyrine"]}
