"""The canonical HRIS delivery and how each change becomes an event. Pure."""

import hashlib
import uuid
from datetime import datetime, timedelta

from contracts.base import ContractModel
from contracts.hris import HrisChange, HrisChangeReceived
from pydantic import Field

MAX_CHANGES = 1000

# How long the receipt of an accepted delivery is kept; a redelivery within it changes nothing.
# Far beyond the signed providers' replay windows (5 minutes either way) and senders' usual
# retry schedules. Merge signs no timestamp: a replay after this is normalized again, to the
# same change ids, hence the same event ids, which consumers' inboxes drop.
RECEIPT_RETENTION = timedelta(days=7)

# Event ids derive from (connection, change id): a redelivered change is the same event,
# so consumers' inboxes drop it however often the HRIS retries.
_EVENT_NAMESPACE = uuid.UUID("6f1d6a57-6a8e-4a49-9d0b-1f1d3c4a2b10")


class HrisDelivery(ContractModel):
    changes: list[HrisChange] = Field(min_length=1, max_length=MAX_CHANGES)


def delivery_digest(delivery_id: str) -> str:
    """What a receipt keys on: fixed length, whatever id the sender chose."""
    return hashlib.sha256(delivery_id.encode()).hexdigest()


def change_event_id(connection_id: str, change_id: str) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{connection_id}\x1f{change_id}"))


def received_events(
    delivery: HrisDelivery, connection_id: str, channel: str, received_at: datetime
) -> list[tuple[str, HrisChangeReceived]]:
    """(event id, event) for each change, in delivery order."""
    return [
        (
            change_event_id(connection_id, change.id),
            HrisChangeReceived(
                connection_id=connection_id, channel=channel, received_at=received_at, change=change
            ),
        )
        for change in delivery.changes
    ]
