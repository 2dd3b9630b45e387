"""profiles' one database schema object: `metadata`, the base every table class derives from
(registering it there), and the outbox and inbox tables every change and event goes through."""

from messaging.tables import messaging_tables
from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

metadata = MetaData()
messaging = messaging_tables(metadata)


class ProfilesTable(SQLModel, registry=registry(metadata=metadata)):
    pass
