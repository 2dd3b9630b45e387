"""Bodies: read within a size and a time limit; JSON parsed only once its nesting is known to be
within the limit (the parser's recursion is never reached)."""

import asyncio
import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from runtime.bodies import (
    MAX_JSON_DEPTH,
    BodyTooSlow,
    JsonTooDeep,
    check_json_depth,
    parse_json,
    read_within,
)
from starlette.requests import Request
from starlette.types import Message

# Strings full of what a naive scan would count: brackets, quotes, escapes.
_tricky_text = st.text(alphabet='[]{}"\\ab\n\u00e9', max_size=12)
_scalars = st.none() | st.booleans() | st.integers() | _tricky_text
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_tricky_text, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(value=_values, limit=st.integers(min_value=0, max_value=8))
def test_the_scan_agrees_with_the_nesting_of_any_json(value: Any, limit: int) -> None:
    body = json.dumps(value, ensure_ascii=False).encode()
    if depth(value) > limit:
        with pytest.raises(JsonTooDeep):
            check_json_depth(body, limit)
    else:
        check_json_depth(body, limit)
        assert parse_json(body, limit) == value


def nested(levels: int, *, closed: bool = True) -> bytes:
    opening = b'{"a":[' * (levels // 2) + b"[" * (levels % 2)
    if not closed:
        return opening
    return opening + b"]" * (levels % 2) + b"]}" * (levels // 2)


def test_the_limit_is_inclusive_and_named() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(JsonTooDeep) as caught:
        parse_json(nested(MAX_JSON_DEPTH + 1))
    assert str(caught.value) == f"nested deeper than {MAX_JSON_DEPTH} arrays and objects"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # what made json.loads raise RecursionError: never closed
        b"[" * 100_000 + b"]" * 100_000,
        b"[1," * 100_000 + b"]" * 100_000,  # no run of brackets to spot at once
        b'[{"x": "]]]]"},' * 40 + b"[" * 40,  # closed and unclosed levels add up
    ],
)
def test_deep_bodies_are_refused_before_the_parser_recurses(body: bytes) -> None:
    with pytest.raises(JsonTooDeep):
        parse_json(body)


def test_brackets_inside_strings_are_not_levels() -> None:
    body = json.dumps({"note": "[" * 1000, "quoted": '\\"[[[' * 100}).encode()
    assert parse_json(body)["note"] == "[" * 1000


def test_malformed_text_is_left_for_the_parser_to_name() -> None:
    for body in (b"]]]]", b'{"a": 1', b"[1, 2"):
        with pytest.raises(ValueError) as caught:
            parse_json(body)
        assert not isinstance(caught.value, JsonTooDeep), body


def test_the_scan_is_linear_on_large_bodies() -> None:
    # A megabyte of each shape a scan might be slow on, well under a second each.
    for body in (
        b"[" + b"[]," * 350_000 + b"[]]",
        b"[" + b'"' + b'\\"[' * 350_000 + b'"]',
        (b"[" * 60 + b"0" + b"]" * 60 + b",") * 8_000,
    ):
        started = time.perf_counter()
        check_json_depth(body.rstrip(b","))
        assert time.perf_counter() - started < 1.0


def request_with(
    chunks: list[bytes], gap_s: float = 0.0, headers: dict[str, str] | None = None
) -> Request:
    pending = list(chunks)

    async def receive() -> Message:
        await asyncio.sleep(gap_s)
        chunk = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "POST", "headers": raw}, receive)


async def test_a_body_is_read_whole_within_its_limits() -> None:
    assert await read_within(request_with([b"ab", b"cd"]), 4, timeout_s=1) == b"abcd"
    assert await read_within(request_with([b"ab", b"cde"]), 4, timeout_s=1) is None
    declared = request_with([b"a"], headers={"content-length": "5"})
    assert await read_within(declared, 4) is None


async def test_a_trickled_body_is_cut_at_the_timeout() -> None:
    trickle = request_with([b"x"] * 1000, gap_s=0.05)  # 50 s at that pace
    started = time.monotonic()
    with pytest.raises(BodyTooSlow) as caught:
        await read_within(trickle, 1024, timeout_s=0.3)
    assert time.monotonic() - started < 1.0
    assert str(caught.value) == "the body did not arrive within 0.3 s"
