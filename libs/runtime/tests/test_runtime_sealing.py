"""Secrets at rest: sealed under keys from settings, rotated without downtime, and a key made
for the embedded default readable by its owner only."""

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_settings import SettingsConfigDict
from runtime.sealing import SealedUnreadable, Sealer, embedded_key, new_key
from runtime.settings import ProcessSettings, SettingsError

KEY = new_key()


@given(st.text(max_size=200))
def test_what_is_sealed_opens_and_is_not_readable(secret: str) -> None:
    sealer = Sealer([KEY])
    sealed = sealer.seal(secret)
    assert sealer.open(sealed) == secret
    # A short string may turn up in any base64 text by chance; a real secret does not.
    assert len(secret) < 12 or secret not in sealed


def test_rotation_opens_old_and_new_and_reseals_under_the_newest() -> None:
    old, new = new_key(), new_key()
    sealed_before = Sealer([old]).seal("whsec_abc")
    rotating = Sealer([new, old])
    assert rotating.open(sealed_before) == "whsec_abc"
    resealed = rotating.reseal(sealed_before)
    assert Sealer([new]).open(resealed) == "whsec_abc"
    with pytest.raises(SealedUnreadable):
        Sealer([new]).open(sealed_before)


def test_a_wrong_or_altered_seal_is_refused_clearly() -> None:
    sealed = Sealer([KEY]).seal("secret")
    with pytest.raises(SealedUnreadable, match="does not open"):
        Sealer([new_key()]).open(sealed)
    with pytest.raises(SealedUnreadable):
        Sealer([KEY]).open(sealed[:-4] + "AAAA")
    with pytest.raises(ValueError, match="32 url-safe base64"):
        Sealer(["not a key"])


def test_the_embedded_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    first = embedded_key(var, "gateway-sealing")
    assert embedded_key(var, "gateway-sealing") == first
    path = var / "gateway-sealing.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(var.stat().st_mode) == 0o700


class Example(ProcessSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")


def test_keys_come_from_settings_or_the_embedded_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXAMPLE_SEALING_KEYS", raising=False)
    embedded = Example(var_dir=tmp_path).sealer("example")
    assert embedded.open(embedded.seal("x")) == "x"
    configured = Example(database_url="postgresql://db/x", sealing_keys=f"{KEY}, {new_key()}")
    assert Sealer([KEY]).open(configured.sealer("example").seal("y")) == "y"
    with pytest.raises(SettingsError, match="EXAMPLE_SEALING_KEYS: not set"):
        Example(database_url="postgresql://db/x").sealer("example")
