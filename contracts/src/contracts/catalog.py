"""Every event type Cairn publishes, by its `ce_type`. Each contracts module lists its own."""

from typing import Final

from contracts import (
    enrollments,
    feedback,
    hris,
    matches,
    office_hours,
    people,
    programs,
    sessions,
)
from contracts.base import Event

EVENT_TYPES: Final[dict[str, type[Event]]] = {
    model.event_type: model
    for module in (hris, people, programs, enrollments, matches, sessions, office_hours, feedback)
    for model in module.EVENTS
}
