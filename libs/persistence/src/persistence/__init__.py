"""One database per service: engines, sessions and Alembic migrations, the same way everywhere."""
