"""What a subscription may ask for: Cairn's public event types (the contracts' catalog, except
the gateway's own HRIS intake, which carries raw HRIS data), exactly, by family (`match.*`) or
all of them (`*`)."""

from collections.abc import Iterable
from typing import Final

from contracts.catalog import EVENT_TYPES

from contracts import topics

PUBLIC_EVENT_TYPES: Final = frozenset(
    name for name, model in EVENT_TYPES.items() if model.topic != topics.HRIS_CHANGES
)
# Where they travel: what the gateway's consumer reads.
PUBLIC_TOPICS: Final = tuple(sorted({EVENT_TYPES[name].topic for name in PUBLIC_EVENT_TYPES}))
MAX_PATTERNS: Final = 50


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` names no public event type, or None."""
    if pattern == "*" or pattern in PUBLIC_EVENT_TYPES:
        return None
    if pattern.endswith(".*") and any(name.startswith(pattern[:-1]) for name in PUBLIC_EVENT_TYPES):
        return None
    return f"{pattern!r} is not a public event type (nor `family.*` of one, nor `*`)"


def matches(patterns: Iterable[str], event_type: str) -> bool:
    if event_type not in PUBLIC_EVENT_TYPES:
        return False
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False
