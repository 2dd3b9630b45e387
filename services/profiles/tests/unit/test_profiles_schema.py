"""profiles' schema: every table the code defines is listed in `adapters.schema`, what Alembic
migrates to and the migration test compares with."""

import importlib
import pkgutil

import profiles
from profiles.adapters.schema import TABLES, metadata


def test_the_schema_lists_every_table_the_code_defines() -> None:
    # Load every module of the service: any table class anywhere lands on `metadata`.
    for module in pkgutil.walk_packages(profiles.__path__, prefix="profiles."):
        importlib.import_module(module.name)
    assert sorted(t.name for t in TABLES) == sorted(metadata.tables)
    assert all(metadata.tables[t.name] is t for t in TABLES)
