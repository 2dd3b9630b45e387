"""The people a service knows, replicated from person.* events (event-carried state transfer)."""
