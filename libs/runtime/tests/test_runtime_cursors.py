"""The one cursor codec: what goes in comes back, and nothing else is taken for a cursor."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from contracts.pages import DEFAULT_PAGE, MAX_PAGE
from contracts.problems import Code
from hypothesis import given
from hypothesis import strategies as st
from runtime.pages import decode_cursor, encode_cursor, page_size
from runtime.refusals import Refused

moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
texts = st.text(max_size=50)
numbers = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(moments, texts, numbers)
def test_a_cursor_gives_back_its_key(moment: datetime, text: str, number: int) -> None:
    cursor = encode_cursor(moment, text, number)
    assert decode_cursor(cursor, datetime, str, int) == (moment, text, number)
    assert "=" not in cursor  # URL-safe without padding


def test_moments_keep_their_offset() -> None:
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    (back,) = decode_cursor(encode_cursor(moment), datetime)
    assert back == moment and back.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(
    ("cursor", "types"),
    [
        ("", (str,)),
        ("not base64 !", (str,)),
        (encode_cursor("a", "b"), (str,)),  # another list's cursor: two parts, not one
        (encode_cursor(1), (str,)),  # a number where a name belongs
        (encode_cursor("2026-01-01T00:00:00+00:00"), (datetime,)),  # a text, not a moment
        (encode_cursor(True), (int,)),  # a bool is not a position
        ("eyJ0IjogIjIwMjYtMDEtMDFUMDA6MDA6MDAifQ", (datetime,)),  # a naive moment
        ("bnVsbA", (str,)),  # JSON null
    ],
)
def test_anything_else_is_refused_naming_after(cursor: str, types: tuple[type, ...]) -> None:
    with pytest.raises(Refused) as refused:
        decode_cursor(cursor, *types)
    assert refused.value.code is Code.INVALID
    assert refused.value.field == "after"


def test_the_page_size_rule() -> None:
    assert page_size(None) == DEFAULT_PAGE
    assert page_size(1) == 1 and page_size(MAX_PAGE) == MAX_PAGE
    for wrong in (0, -1, MAX_PAGE + 1):
        with pytest.raises(Refused) as refused:
            page_size(wrong)
        assert refused.value.field == "first"
        assert str(MAX_PAGE) in refused.value.message
