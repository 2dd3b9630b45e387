"""Secrets at rest (HRIS signing secrets, provider API keys, calendar OAuth tokens): sealed
with Fernet (AES-128-CBC + HMAC-SHA256) under keys from settings. The first key seals; every
key opens, so a key is rotated by putting the new one first and re-sealing at leisure.

On the embedded default (SQLite under var/) a key is generated once into var/ with mode 0600;
anywhere else a missing key stops start-up (see `ProcessSettings.sealer`)."""

import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SealedUnreadable(ValueError):
    """Sealed data that does not open with the configured keys (a wrong key, or altered)."""


class Sealer:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("sealing needs at least one key")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except (ValueError, TypeError):
            raise ValueError(
                "a sealing key is 32 url-safe base64-encoded bytes (make one with "
                "`python -c 'from runtime.sealing import new_key; print(new_key())'`)"
            ) from None

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealedUnreadable(
                "sealed data does not open with the configured keys (a wrong key, or altered)"
            ) from None

    def reseal(self, sealed: str) -> str:
        """The same secret under the first (newest) key."""
        return self._fernet.rotate(sealed.encode()).decode()


def new_key() -> str:
    return Fernet.generate_key().decode()


def embedded_key(var_dir: Path, name: str) -> str:
    """The embedded default's key for `name`: made once, kept in var/ readable by its owner only."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(var_dir, 0o700)
    path = var_dir / f"{name}.key"
    try:
        # O_EXCL: two processes starting together never write two different keys.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(new_key())
    return path.read_text().strip()
