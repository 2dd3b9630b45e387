"""Writes a new Alembic revision for a service from its tables:
`python -m persistence.revision services/profiles/migrations "add skills"`."""

import sys
import tempfile
from pathlib import Path

from alembic import command

from persistence.migrations import alembic_config, upgrade


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    migrations_dir, message = Path(argv[0]).resolve(), argv[1]
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/head.db"
        upgrade(migrations_dir, url)  # autogenerate diffs the tables against the newest revision
        command.revision(alembic_config(migrations_dir, url), message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
