"""Settings refuse to start without what they need, naming each variable."""

import pytest
from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings, SettingsError


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")


def test_a_missing_key_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EXAMPLE_SERVICE_TOKEN_PUBLIC_KEY", raising=False)
    with pytest.raises(SettingsError) as stopped:
        ExampleSettings.load()
    message = str(stopped.value)
    assert "EXAMPLE_SERVICE_TOKEN_PUBLIC_KEY: not set" in message
    assert "verifies the gateway's service tokens" in message


def test_an_empty_key_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_SERVICE_TOKEN_PUBLIC_KEY", "")
    with pytest.raises(SettingsError, match="EXAMPLE_SERVICE_TOKEN_PUBLIC_KEY"):
        ExampleSettings.load()


def test_given_keys_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_SERVICE_TOKEN_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----")
    monkeypatch.setenv("EXAMPLE_RUN_WORKERS", "false")
    settings = ExampleSettings.load()
    assert settings.run_workers is False
