"""The guard sits where connections are made: a host name that resolves to a refused address
is refused before anything is sent, whatever the name looks like."""

import pytest
from gateway.webhooks.sending import guarded_client, post
from gateway.webhooks.targets import STRICT, TargetPolicy

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    "url", ["http://localhost:9/hook", "http://127.0.0.1:9/hook", "http://[::1]:9/hook"]
)
async def test_a_name_or_literal_on_loopback_is_refused_before_connecting(url: str) -> None:
    async with guarded_client(STRICT, 2) as client:
        answer = await post(client, url, b"{}", {"content-type": "application/json"})
    assert answer.status_code is None
    assert answer.error is not None
    assert "target refused" in answer.error and "loopback" in answer.error


async def test_allowed_loopback_is_reached() -> None:
    # Nothing listens on port 9 here: the connection itself is attempted, and fails.
    async with guarded_client(TargetPolicy(allow_loopback=True), 2) as client:
        answer = await post(client, "http://127.0.0.1:9/hook", b"{}", {})
    assert answer.status_code is None
    assert answer.error is not None and "target refused" not in answer.error
