"""The language the services speak: one pydantic model per event type."""
