"""Alembic, run by each service on start. Every service's `migrations/env.py` calls `run_env`."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from persistence.database import async_url

_MIGRATION_LOCK = 7_246_021_117  # any constant; each service has its own database


def alembic_config(migrations_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, url: str) -> None:
    """Brings the database to the newest revision (blocking: call it off the event loop)."""
    command.upgrade(alembic_config(migrations_dir, url), "head")


async def upgrade_async(migrations_dir: Path, url: str) -> None:
    await asyncio.to_thread(upgrade, migrations_dir, url)


def run_env(metadata: MetaData) -> None:
    """The body of a service's env.py: online migrations over the async driver."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set for Alembic")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            # Replicas starting together: one migrates, the others wait, then find it done.
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=not postgres,  # SQLite cannot ALTER much
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")
                connection.commit()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
