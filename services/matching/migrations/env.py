from matching.adapters.tables import metadata
from persistence.migrations import run_env

run_env(metadata)
