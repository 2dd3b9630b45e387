"""Secrets around calendars: feed tokens (unguessable, stored as digests, another person's
token opens nothing) and OAuth tokens sealed at rest with the caller's key; plus the small
vocabulary every provider shares (free/busy per person, Retry-After, bad addresses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from contracts.problems import Code
from runtime.refusals import Refused
from sessions.adapters.calendars.feed_tokens import (
    check_feed_token,
    feed_token_digest,
    issue_feed_token,
)
from sessions.adapters.calendars.model import EventSpec, FreeBusy, Participant
from sessions.adapters.calendars.oauth import OAuthTokens, TokenCipher, TokensUnreadable
from sessions.adapters.calendars.transport import retry_after
from sessions.domain.intervals import Interval
from sessions.domain.slots import Busy, Unknown

TOKENS = OAuthTokens("ya29.access", "1//refresh", datetime(2026, 3, 1, 13, tzinfo=UTC))


def test_feed_tokens_are_unguessable_and_stored_only_as_digests() -> None:
    issued = [issue_feed_token() for _ in range(50)]
    assert len({i.token for i in issued}) == 50
    mine = issued[0]
    assert len(mine.token) == 43 and mine.token not in mine.digest
    assert mine.digest == feed_token_digest(mine.token)
    check_feed_token(mine.token, mine.digest)  # opens its own feed


@pytest.mark.parametrize("presented", ["another person's", "not a token", "", "x" * 43])
def test_any_other_token_opens_no_feed_and_says_nothing_more(presented: str) -> None:
    mine, theirs = issue_feed_token(), issue_feed_token()
    token = theirs.token if presented == "another person's" else presented
    with pytest.raises(Refused) as refused:
        check_feed_token(token, mine.digest)
    assert refused.value.code is Code.NOT_FOUND
    assert refused.value.field is None  # a 404: which feeds exist never leaks
    assert refused.value.message == "no such calendar feed"


def test_a_malformed_token_cannot_be_looked_up() -> None:
    with pytest.raises(Refused) as refused:
        feed_token_digest("../../etc/passwd")
    assert (refused.value.code, refused.value.field) == (Code.INVALID, "token")


def test_sealed_tokens_open_with_the_key_and_only_with_it() -> None:
    key = TokenCipher.new_key()
    sealed = TokenCipher([key]).seal(TOKENS)
    assert b"ya29" not in sealed and b"refresh" not in sealed
    assert TokenCipher([key]).open(sealed) == TOKENS
    with pytest.raises(TokensUnreadable, match="wrong key"):
        TokenCipher([TokenCipher.new_key()]).open(sealed)
    tampered = sealed[:-5] + (b"A" if sealed[-5:-4] != b"A" else b"B") + sealed[-4:]
    with pytest.raises(TokensUnreadable):
        TokenCipher([key]).open(tampered)


def test_a_key_rotates_by_putting_the_new_one_first() -> None:
    old, new = TokenCipher.new_key(), TokenCipher.new_key()
    sealed_before = TokenCipher([old]).seal(TOKENS)
    rotated = TokenCipher([new, old])
    assert rotated.open(sealed_before) == TOKENS
    assert TokenCipher([new]).open(rotated.seal(TOKENS)) == TOKENS


@pytest.mark.parametrize("keys", [[], ["short"], [b"not base64 at all!!"]])
def test_a_bad_key_is_refused_at_construction(keys: list[str | bytes]) -> None:
    with pytest.raises(ValueError, match="key"):
        TokenCipher(keys)


def test_free_busy_per_person_is_unknown_when_any_of_their_calendars_is() -> None:
    window = Interval(datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    morning = Interval(datetime(2026, 3, 9, 9, tzinfo=UTC), datetime(2026, 3, 9, 10, tzinfo=UTC))
    overlap = Interval(
        datetime(2026, 3, 9, 9, 30, tzinfo=UTC), datetime(2026, 3, 9, 11, tzinfo=UTC)
    )
    answer = FreeBusy(window, {"work": (morning,), "home": (overlap,)}, {"shared": "notFound"})
    both = answer.availability(["work", "home"])
    assert both == Busy((Interval(morning.start, overlap.end),))
    assert answer.availability(["work", "shared"]) == Unknown("shared: notFound")
    assert answer.availability(["missing"]) == Unknown("missing: not in the answer")


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def answer(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert retry_after(answer("120"), now) == timedelta(minutes=2)
    assert retry_after(answer("Sun, 01 Mar 2026 12:00:30 GMT"), now) == timedelta(seconds=30)
    assert retry_after(answer("Sun, 01 Mar 2026 11:00:00 GMT"), now) == timedelta(0)
    assert retry_after(answer("soon"), now) is None
    assert retry_after(httpx.Response(503), now) is None


def test_bad_addresses_and_events_are_refused() -> None:
    with pytest.raises(Refused) as refused:
        Participant("not-an-address")
    assert refused.value.field == "email"
    start = datetime(2026, 3, 9, 9, tzinfo=UTC)
    with pytest.raises(Refused) as refused:
        EventSpec(
            "s",
            "Mentoring",
            Interval.of(start, timedelta(hours=1)),
            UTC,  # type: ignore[arg-type]
            Participant("a@example.com"),
            (Participant("b@example.com"), Participant("B@example.com")),
        )
    assert refused.value.field == "attendees"
