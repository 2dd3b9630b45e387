from persistence.migrations import run_env
from profiles.adapters.tables import metadata

run_env(metadata)
