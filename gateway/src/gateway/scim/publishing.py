"""Publishing SCIM writes as canonical org changes, exactly as the HRIS webhook does: one
`hris.change.received` per change, acks=all, before the SCIM write commits."""

from datetime import datetime

from contracts.hris import HrisChange, HrisChangeReceived
from messaging.envelope import envelope_for
from messaging.publisher import Publisher

from gateway.domain.hris_delivery import change_event_id

CHANNEL = "scim"


def scim_source(tenant_id: str) -> str:
    """SCIM's stand-in for a connection id: one SCIM source per tenant."""
    return f"scim:{tenant_id}"


async def publish_changes(
    publisher: Publisher, tenant_id: str, changes: list[HrisChange], received_at: datetime
) -> None:
    """Raises BrokerUnavailable when the event log does not take them all."""
    if not changes:
        return
    source = scim_source(tenant_id)
    envelopes = [
        envelope_for(
            HrisChangeReceived(
                connection_id=source, channel=CHANNEL, received_at=received_at, change=change
            ),
            tenant_id=tenant_id,
            source="/cairn/gateway",
            event_id=change_event_id(source, change.id),
        )
        for change in changes
    ]
    await publisher.publish(envelopes, {e.id: HrisChangeReceived.topic for e in envelopes})
