"""Our signatures verify with the `standardwebhooks` package, with every secret in force
(a rotation's old and new), and with no other secret."""

import json
from datetime import UTC, datetime

import pytest
from gateway.domain.credentials import issue_webhook_secret
from gateway.webhooks import signing
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

payloads = st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=5)
ids = st.from_regex(r"msg_[0-9a-f]{32}", fullmatch=True)


@settings(max_examples=50)
@given(ids, payloads, st.integers(1, 3))
def test_every_secret_in_force_verifies_and_no_other(
    message_id: str, payload: dict[str, str], how_many: int
) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    in_force = [issue_webhook_secret() for _ in range(how_many)]
    timestamp = int(datetime.now(UTC).timestamp())
    headers = signing.headers(message_id, timestamp, body, in_force)
    for secret in in_force:
        assert Webhook(secret).verify(body, headers) == payload
    with pytest.raises(WebhookVerificationError):
        Webhook(issue_webhook_secret()).verify(body, headers)


def test_the_signature_is_the_librarys() -> None:
    secret = issue_webhook_secret()
    moment = datetime.now(UTC)
    body = '{"type":"match.accepted"}'
    ours = signing.signature("msg_1", int(moment.timestamp()), body.encode(), secret)
    assert ours == Webhook(secret).sign("msg_1", moment, body)


def test_a_delivery_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        signing.signature_header("msg_1", 0, b"{}", [])
