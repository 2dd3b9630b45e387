"""Text no database can store (NUL, unpaired surrogates) is found by the raw-body scan exactly
when the parsed value holds it, is named by its path, and is refused 422 by the middleware
before any route runs; everything else passes untouched."""

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from runtime.bodies import parse_json
from runtime.storable_text import (
    RefuseUnstorableText,
    UnstorableText,
    first_unstorable,
    may_hold_unstorable,
)

# Text built to trip a naive scan: backslashes, the letters of escapes, NUL and surrogates.
_text = st.text(
    alphabet=st.sampled_from(["\\", "u", "0", "d", "8", "a", "\x00", "\ud800", "\udc00", "é"]),
    max_size=8,
) | st.text(max_size=6)
_values = st.recursive(
    st.none() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=20,
)


@given(_values)
def test_the_scan_flags_a_body_exactly_when_its_value_holds_unstorable_text(value: Any) -> None:
    body = json.dumps(value).encode()
    assert may_hold_unstorable(body) == (first_unstorable(value) is not None)


@given(_values)
def test_parse_json_refuses_exactly_the_unstorable_bodies(value: Any) -> None:
    body = json.dumps(value).encode()
    if first_unstorable(value) is None:
        assert parse_json(body) == value
    else:
        with pytest.raises(UnstorableText):
            parse_json(body)


def test_the_refusal_names_the_field_and_the_reason() -> None:
    found = first_unstorable({"ids": ["ok", "a\x00b"]})
    assert found is not None and (found.field, found.reason) == (
        "ids.1",
        "must not contain the NUL character (U+0000)",
    )
    lone = first_unstorable({"person": {"name": "x\ud83d"}})
    assert lone is not None and lone.field == "person.name" and "surrogate" in lone.reason
    key = first_unstorable({"weights": {"k\x00": 1}})
    assert key is not None and key.field == "weights.k\x00"
    # A pair is a character; a backslash followed by "u0000" is text.
    assert not may_hold_unstorable(json.dumps(["😀", "\\u0000", "\\\\u0000"]).encode())


class Body(BaseModel):
    ids: list[str]


def _app() -> tuple[FastAPI, list[list[str]]]:
    seen: list[list[str]] = []
    app = FastAPI()

    @app.post("/batch")
    async def batch(body: Body) -> dict[str, int]:
        seen.append(body.ids)
        return {"count": len(body.ids)}

    app.add_middleware(RefuseUnstorableText)
    return app, seen


async def test_the_middleware_refuses_before_the_route_and_passes_the_rest() -> None:
    app, seen = _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        refused = await http.post("/batch", json={"ids": ["a", "b\x00"]})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"] == [
            {"field": "ids.1", "message": "must not contain the NUL character (U+0000)"}
        ]
        assert seen == []
        answered = await http.post("/batch", json={"ids": ["a", "😀", "\\u0000"]})
        assert answered.status_code == 200 and answered.json() == {"count": 3}
        # A body that is not JSON reaches the route's own reader, which says so.
        query = await http.post("/batch?personId=a%00b", json={"ids": ["a"]})
        assert query.status_code == 422 and "NUL" in query.json()["detail"]
        bad = await http.post("/batch", content=b"{", headers={"content-type": "application/json"})
        assert bad.status_code == 422
    assert seen == [["a", "😀", "\\u0000"]]
