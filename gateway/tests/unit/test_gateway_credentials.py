"""Credentials the gateway issues: API keys and webhook signing secrets."""

import base64
import re

import pytest
from gateway.domain.credentials import (
    API_KEY_PREFIX,
    hash_secret,
    issue_api_key,
    issue_connection_id,
    issue_webhook_secret,
    parse_api_key,
    secret_matches,
)


def test_an_issued_key_parses_back_and_its_secret_matches() -> None:
    issued = issue_api_key()
    parsed = parse_api_key(issued.plaintext)
    assert parsed is not None
    key_id, secret = parsed
    assert key_id == issued.key_id
    assert issued.plaintext == f"{API_KEY_PREFIX}_{key_id}_{secret}"
    assert secret_matches(secret, issued.secret_hash)


def test_issued_keys_always_parse_even_with_underscores_in_the_secret() -> None:
    for _ in range(200):
        issued = issue_api_key()
        parsed = parse_api_key(issued.plaintext)
        assert parsed is not None, issued.plaintext
        assert parsed[0] == issued.key_id
        assert secret_matches(parsed[1], issued.secret_hash)


def test_the_stored_hash_is_not_the_secret() -> None:
    issued = issue_api_key()
    parsed = parse_api_key(issued.plaintext)
    assert parsed is not None
    assert parsed[1] not in issued.secret_hash
    assert re.fullmatch(r"[0-9a-f]{64}", issued.secret_hash)
    assert hash_secret(parsed[1]) == issued.secret_hash


def test_a_tampered_secret_does_not_match() -> None:
    issued = issue_api_key()
    parsed = parse_api_key(issued.plaintext)
    assert parsed is not None
    secret = parsed[1]
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert not secret_matches(tampered, issued.secret_hash)
    assert not secret_matches(secret + "x", issued.secret_hash)
    assert not secret_matches("", issued.secret_hash)


def test_another_keys_secret_does_not_match() -> None:
    first, second = issue_api_key(), issue_api_key()
    parsed = parse_api_key(second.plaintext)
    assert parsed is not None
    assert not secret_matches(parsed[1], first.secret_hash)


def test_two_issued_keys_differ() -> None:
    first, second = issue_api_key(), issue_api_key()
    assert first.key_id != second.key_id
    assert first.secret_hash != second.secret_hash
    assert first.plaintext != second.plaintext


def test_a_secret_with_underscores_stays_whole() -> None:
    assert parse_api_key("cairn_abc123_se_cr_et") == ("abc123", "se_cr_et")


@pytest.mark.parametrize(
    "presented",
    ["", "cairn", "cairn_", "cairn__", "cairn_id_", "cairn__secret", "other_x_y", "Cairn_x_y"],
)
def test_a_malformed_key_is_none(presented: str) -> None:
    assert parse_api_key(presented) is None


def test_a_webhook_secret_is_standard_webhooks_form() -> None:
    secret = issue_webhook_secret()
    assert secret.startswith("whsec_")
    raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert len(raw) == 32


def test_webhook_secrets_differ() -> None:
    assert issue_webhook_secret() != issue_webhook_secret()


def test_a_connection_id_is_prefixed_and_unique() -> None:
    first, second = issue_connection_id(), issue_connection_id()
    assert first.startswith("hc_")
    assert re.fullmatch(r"hc_[A-Za-z0-9_-]{24}", first)
    assert first != second
