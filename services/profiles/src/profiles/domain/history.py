"""What counts as a move in the org (promotions, transfers, new managers). Pure."""

from dataclasses import dataclass

from profiles.domain.people import PersonRecord

# Record fields whose every change is kept, by the name the API and events use.
TRACKED = {
    "title": "title",
    "level": "level",
    "department": "department",
    "manager_external_id": "managerExternalId",
}


@dataclass(frozen=True)
class Move:
    field: str  # camelCase, as in TRACKED
    from_value: str | int | None
    to_value: str | int | None


def moves(before: PersonRecord | None, after: PersonRecord) -> tuple[Move, ...]:
    """The tracked fields that differ, in TRACKED order; a new person moves from nothing into
    each field they start with, so their history says where they began."""
    out = []
    for name, public in TRACKED.items():
        old = getattr(before, name) if before is not None else None
        new = getattr(after, name)
        if old != new:
            out.append(Move(public, old, new))
    return tuple(out)
