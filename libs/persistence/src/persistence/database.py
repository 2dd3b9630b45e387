"""Builds the async engine for a service's database: SQLite by default, PostgreSQL in production."""

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

_ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}


def async_url(url: str) -> str:
    """Accepts the URLs operators write (postgresql://, sqlite:///) and picks the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in _ASYNC_DRIVERS:
        return parsed.set(drivername=_ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


def default_sqlite_url(var_dir: Path, service: str) -> str:
    """The embedded default's database: a SQLite file in var/, which only its owner may enter,
    the file (and so SQLite's -wal and -shm beside it, made with its mode) readable by its
    owner only: it holds people's records."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(var_dir, 0o700)
    path = (var_dir / f"{service}.db").resolve()
    _private_file(path)
    for made in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if made.exists():  # from a run before files were kept private
            os.chmod(made, 0o600)
    return f"sqlite:///{path}"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(async_url(url), pool_pre_ping=True, **kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_file(Path(database))
        _tune_sqlite(engine)
    return engine


def _private_file(path: Path) -> None:
    """A database file not there yet is made empty (SQLite takes it as a new database) with
    mode 0600, before SQLite would make it with the process's umask; one that exists is left
    as it is."""
    if not path.parent.is_dir():
        return  # SQLite names the missing folder when it connects
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL so readers never block the writer; BEGIN IMMEDIATE because upgrading a read lock to
    a write lock under WAL fails at once with SQLITE_BUSY and ignores busy_timeout."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
