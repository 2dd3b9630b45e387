"""Every service's migrations build exactly the tables its code defines, on the database the
suite runs against (SQLite, or PostgreSQL with TEST_DATABASE_URL), in one linear history."""

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from devstack.pytest_plugin import DatabaseFactory
from persistence.database import create_engine
from persistence.migrations import upgrade_async
from sqlalchemy import MetaData

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "profiles": ("services/profiles/migrations", "profiles.adapters.schema"),
    "matching": ("services/matching/migrations", "matching.adapters.tables"),
    "sessions": ("services/sessions/migrations", "sessions.adapters.tables"),
    "feedback": ("services/feedback/migrations", "feedback.adapters.tables"),
    "gateway": ("gateway/migrations", "gateway.adapters.metadata"),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_one_linear_history(service: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(ROOT / SERVICES[service][0]))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"{service} has several heads {heads}: chain or merge them"


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_migrations_build_the_tables_the_code_defines(
    service: str, database_factory: DatabaseFactory
) -> None:
    migrations, module = SERVICES[service]
    url = await database_factory(f"mig{service}")
    await upgrade_async(ROOT / migrations, url)
    metadata: MetaData = importlib.import_module(module).metadata
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert differences == [], f"{service}: migrations and tables differ: {differences}"
