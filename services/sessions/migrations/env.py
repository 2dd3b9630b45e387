# The modules that define tables of their own register them on the shared metadata on import.
import sessions.adapters.calendar_tables
import sessions.adapters.office_hours_tables  # noqa: F401
from persistence.migrations import run_env
from sessions.adapters.tables import metadata

run_env(metadata)
