from gateway.adapters.metadata import metadata
from persistence.migrations import run_env

run_env(metadata)
