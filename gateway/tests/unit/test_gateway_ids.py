"""Opaque global ids: encode/decode round trip, and anything else decodes to None."""

import base64
import re

import pytest
from gateway.graphql.ids import decode_id, encode_id
from hypothesis import given, settings
from hypothesis import strategies as st

TYPE_NAMES = st.sampled_from(["Person", "Program", "Enrollment", "Match", "Session"])


@settings(max_examples=200)
@given(type_name=TYPE_NAMES, key=st.text(min_size=1))
def test_encode_then_decode_round_trips(type_name: str, key: str) -> None:
    global_id = encode_id(type_name, key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", global_id)  # url-safe, unpadded
    assert decode_id(type_name, global_id) == key


@settings(max_examples=200)
@given(key=st.text(min_size=1))
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


def test_keys_may_contain_the_separator() -> None:
    assert decode_id("Person", encode_id("Person", "a:b:c")) == "a:b:c"
    assert decode_id("Per", encode_id("Per", "son:1")) == "son:1"
    assert decode_id("Person", encode_id("Per", "son:1")) is None


def test_the_id_is_base64url_of_type_and_key() -> None:
    assert encode_id("Person", "42") == "UGVyc29uOjQy"
    assert decode_id("Person", "UGVyc29uOjQy") == "42"


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
    ],
)
def test_garbage_is_none(garbage: str) -> None:
    assert decode_id("Person", garbage) is None


def test_an_empty_key_is_none() -> None:
    assert decode_id("Person", encode_id("Person", "")) is None
