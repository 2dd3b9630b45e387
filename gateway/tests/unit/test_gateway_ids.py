"""Opaque global ids: encode/decode round trip for every key of its type's exact form, and
anything else (another type, a made-up or malformed key, a path in disguise) decodes to None."""

import base64
import re
import uuid

import pytest
from gateway.graphql.ids import KEY_FORMS, decode_id, encode_id
from hypothesis import given, settings
from hypothesis import strategies as st

UUIDS = st.uuids(version=4).map(str)
KEYS_OF = {
    "Person": UUIDS,
    "Program": UUIDS,
    "Enrollment": UUIDS,
    "Match": st.uuids(version=4).map(lambda u: f"mt_{u.hex}"),
    "MatchRun": st.uuids(version=4).map(lambda u: f"mr_{u.hex}"),
    "OrgChangeRejection": st.integers(min_value=1, max_value=2**63 - 1).map(str),
    "Session": st.uuids(version=4).map(lambda u: f"se_{u.hex}"),
    "ActionItem": st.uuids(version=4).map(lambda u: f"ai_{u.hex}"),
    "CalendarConnection": st.uuids(version=4).map(lambda u: f"cc_{u.hex}"),
    "WebhookSubscription": st.uuids(version=4).map(lambda u: f"wh_{u.hex}"),
    "WebhookDelivery": st.uuids(version=5).map(lambda u: f"msg_{u.hex}"),
    "FeedbackRequest": UUIDS,
    "Feedback": UUIDS,
}
TYPED_KEYS = st.sampled_from(sorted(KEYS_OF)).flatmap(
    lambda name: st.tuples(st.just(name), KEYS_OF[name])
)
# The two attack ids of issue 9 (finding 3), as keys.
ATTACKS = [
    ("Program", "../enrollments/5b0f3c1e-8f0a-4c43-9a55-2a3d2b1c9e10/withdraw?x="),
    ("Match", "../programs/P/cohort"),
]


def test_every_type_the_api_decodes_has_a_form() -> None:
    assert set(KEY_FORMS) == set(KEYS_OF)


@settings(max_examples=200)
@given(typed=TYPED_KEYS)
def test_encode_then_decode_round_trips(typed: tuple[str, str]) -> None:
    type_name, key = typed
    global_id = encode_id(type_name, key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", global_id)  # url-safe, unpadded
    assert decode_id(type_name, global_id) == key


@settings(max_examples=200)
@given(key=UUIDS)
def test_an_id_of_another_type_is_none(key: str) -> None:
    global_id = encode_id("Person", key)
    assert decode_id("Program", global_id) is None
    assert decode_id("Per", global_id) is None
    assert decode_id("PersonX", global_id) is None


@settings(max_examples=200)
@given(global_id=st.text())
def test_decoding_anything_never_raises(global_id: str) -> None:
    key = decode_id("Person", global_id)
    assert key is None or (isinstance(key, str) and key != "")


@settings(max_examples=300)
@given(type_name=st.sampled_from(sorted(KEYS_OF)), key=st.text(min_size=1))
def test_a_key_not_of_its_types_form_is_none(type_name: str, key: str) -> None:
    decoded = decode_id(type_name, encode_id(type_name, key))
    assert decoded is None or KEY_FORMS[type_name].fullmatch(decoded)
    if decoded is not None:
        assert not set(decoded) & set("/.?#%:")  # nothing a path could be built from


@pytest.mark.parametrize(("type_name", "key"), ATTACKS)
def test_the_attack_ids_of_issue_9_are_none(type_name: str, key: str) -> None:
    assert decode_id(type_name, encode_id(type_name, key)) is None


@pytest.mark.parametrize(
    ("type_name", "key"),
    [
        ("Person", str(uuid.uuid4()).upper()),  # not how profiles spells it
        ("Person", uuid.uuid4().hex),  # no hyphens
        ("Person", f"{uuid.uuid4()} "),
        ("Person", f"{uuid.uuid4()}\n"),
        ("Match", f"mr_{uuid.uuid4().hex}"),  # a run's key as a match's
        ("MatchRun", f"mt_{uuid.uuid4().hex}"),
        ("Match", str(uuid.uuid4())),
        ("Match", f"mt_{uuid.uuid4().hex}0"),
        ("OrgChangeRejection", "0"),
        ("OrgChangeRejection", "-1"),
        ("OrgChangeRejection", "1" * 20),
    ],
)
def test_near_misses_are_none(type_name: str, key: str) -> None:
    assert decode_id(type_name, encode_id(type_name, key)) is None


def test_keys_may_not_contain_the_separator() -> None:
    key = str(uuid.uuid4())
    assert decode_id("Person", encode_id("Person", f"{key}:{key}")) is None
    assert decode_id("Person", encode_id("Per", f"son:{key}")) is None


def test_the_id_is_base64url_of_type_and_key() -> None:
    key = "0b8f9a34-52f1-4c1e-9d5e-6f7a8b9c0d1e"
    assert encode_id("Person", key) == base64.urlsafe_b64encode(
        f"Person:{key}".encode()
    ).decode().rstrip("=")
    assert decode_id("Person", encode_id("Person", key)) == key
    assert encode_id("OrgChangeRejection", "42") == "T3JnQ2hhbmdlUmVqZWN0aW9uOjQy"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "!!!!",
        "a",
        "not an id",
        "é",
        base64.urlsafe_b64encode(b"\xff\xfe:x").decode(),  # not UTF-8
        base64.urlsafe_b64encode(b"Person").decode(),  # no separator
        base64.urlsafe_b64encode(b":42").decode(),  # no type
        "A" * 10_000,  # too long to be any id
    ],
)
def test_garbage_is_none(garbage: str) -> None:
    assert decode_id("Person", garbage) is None


def test_an_empty_key_is_none() -> None:
    assert decode_id("Person", encode_id("Person", "")) is None


def test_a_type_the_api_never_decodes_is_none() -> None:
    assert decode_id("Session", encode_id("Session", str(uuid.uuid4()))) is None
