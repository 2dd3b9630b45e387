"""Every Kafka client logs in the same way: the options come from KafkaSettings alone."""

import pytest
from messaging.settings import KafkaSettings
from pydantic import ValidationError


def test_embedded_default_is_plaintext_without_login() -> None:
    assert KafkaSettings().client_options() == {"security_protocol": "PLAINTEXT"}


def test_scram_login_is_passed_to_every_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "cairn-matching")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret-from-the-kafkauser")
    options = KafkaSettings().client_options()
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "cairn-matching",
        "sasl_plain_password": "s3cret-from-the-kafkauser",
    }
    assert "s3cret" not in repr(KafkaSettings())


@pytest.mark.parametrize(
    "missing", ["KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"]
)
def test_half_a_login_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    for name, value in {
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "cairn-gateway",
        "KAFKA_SASL_PASSWORD": "pw",
    }.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME"):
        KafkaSettings()
