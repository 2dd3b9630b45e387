"""How every Cairn process runs: the same lifespan, health checks, errors and settings."""
