"""Every event type Cairn publishes, by its `ce_type`."""

from typing import Final

from contracts.base import Event
from contracts.hris import HrisChangeReceived
from contracts.people import PersonCreated, PersonTerminated, PersonUpdated

EVENT_TYPES: Final[dict[str, type[Event]]] = {
    model.event_type: model
    for model in (HrisChangeReceived, PersonCreated, PersonUpdated, PersonTerminated)
}
