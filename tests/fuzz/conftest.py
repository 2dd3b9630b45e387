import uuid

import pytest


@pytest.fixture(scope="session")
def fuzz_tenant_id() -> str:
    """The fuzzing's own tenant: what it writes touches no other test's data."""
    return str(uuid.uuid4())
