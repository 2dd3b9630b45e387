"""Every table of profiles' database, on the one `metadata`: what Alembic migrates to and what
the migration test compares the migrations with. A new table module is listed here."""

from sqlalchemy import Table

from profiles.adapters.metadata import ProfilesTable, messaging, metadata
from profiles.adapters.program_tables import Enrollment, Program
from profiles.adapters.tables import (
    HeldChange,
    OrgChangeRejection,
    ParkedChange,
    Person,
    PersonChange,
)

__all__ = ["MODELS", "TABLES", "metadata"]

MODELS: tuple[type[ProfilesTable], ...] = (
    Person,
    ParkedChange,
    PersonChange,
    HeldChange,
    OrgChangeRejection,
    Program,
    Enrollment,
)
TABLES: tuple[Table, ...] = (
    *(model.__table__ for model in MODELS),  # type: ignore[attr-defined]
    messaging.outbox,
    messaging.inbox,
)
