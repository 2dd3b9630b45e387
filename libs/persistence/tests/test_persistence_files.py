"""SQLite files are their owner's only: the embedded default's folder 0700, each database and
its journal files 0600, whatever the process's umask."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from persistence.database import create_engine, default_sqlite_url
from sqlalchemy import text

pytestmark = pytest.mark.asyncio(loop_scope="session")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    before = os.umask(0o022)  # what most shells give: files 0644, folders 0755
    yield
    os.umask(before)


async def write_something(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS note (body TEXT)"))
            await conn.execute(text("INSERT INTO note VALUES ('private')"))
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("permissive_umask")
async def test_the_embedded_default_is_private_from_the_start(tmp_path: Path) -> None:
    var = tmp_path / "var"
    await write_something(default_sqlite_url(var, "profiles"))
    assert mode(var) == 0o700
    names = sorted(p.name for p in var.iterdir())
    assert names[0] == "profiles.db" and set(names) <= {
        "profiles.db",
        "profiles.db-wal",
        "profiles.db-shm",
    }
    assert {name: mode(var / name) for name in names} == dict.fromkeys(names, 0o600)


@pytest.mark.usefixtures("permissive_umask")
async def test_files_from_before_are_made_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    old = var / "matching.db"
    old.touch(mode=0o644)
    os.chmod(old, 0o644)
    default_sqlite_url(var, "matching")
    assert (mode(var), mode(old)) == (0o700, 0o600)


@pytest.mark.usefixtures("permissive_umask")
async def test_a_configured_file_is_made_private_when_new(tmp_path: Path) -> None:
    path = tmp_path / "configured.db"
    await write_something(f"sqlite:///{path}")
    assert mode(path) == 0o600
