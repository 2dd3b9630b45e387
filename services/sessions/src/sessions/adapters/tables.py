"""sessions's own tables (its database alone)."""

from messaging.tables import messaging_tables
from roster.replica import roster_table
from sqlalchemy import MetaData

metadata = MetaData()
messaging = messaging_tables(metadata)
roster = roster_table(metadata)
