"""Each event type has one handler: a second one is a wiring mistake refused at start-up."""

import pytest
from messaging.consumer import subscriptions


async def _handler(*_: object) -> None:
    return None


async def _other(*_: object) -> None:
    return None


def test_two_handlers_for_one_event_type_are_refused_at_start_up() -> None:
    assert subscriptions({"person.created": _handler}, {"person.updated": _other}) == {
        "person.created": _handler,
        "person.updated": _other,
    }
    with pytest.raises(ValueError, match=r"two handlers for person\.created"):
        subscriptions({"person.created": _handler}, {"person.created": _other})
    with pytest.raises(ValueError, match="no contract"):
        subscriptions({"person.creatd": _handler})
