from persistence.migrations import run_env
from sessions.adapters.tables import metadata

run_env(metadata)
