from persistence.migrations import run_env
from profiles.adapters.schema import metadata

run_env(metadata)
