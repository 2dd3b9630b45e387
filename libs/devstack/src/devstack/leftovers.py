"""Where a database still mentions something: every table (found by inspecting the database,
not from any model, so a table nobody thought of is read too), every column read as text.
The erasure tests use it to prove that nothing of a forgotten person is left."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, MetaData, Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Mention:
    table: str
    column: str
    value: str


def _mentions(conn: Connection, needles: tuple[str, ...]) -> list[Mention]:
    found = []
    metadata = MetaData()
    for name in inspect(conn).get_table_names():
        if name == "alembic_version":
            continue
        table = Table(name, metadata, autoload_with=conn)
        for row in conn.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                text = str(value).casefold()
                found += [
                    Mention(name, column, str(value)) for n in needles if n.casefold() in text
                ]
    return found


async def mentions(engine: AsyncEngine, needles: Iterable[str]) -> list[Mention]:
    """Every (table, column, value) of the database whose value contains one of `needles`
    (case-insensitive; JSON columns as their text)."""
    wanted = tuple(needles)
    async with engine.connect() as conn:
        return await conn.run_sync(_mentions, wanted)
