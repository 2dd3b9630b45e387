"""Resource versions as weak ETags, and the preconditions they serve."""

import pytest
from gateway.scim.versions import check_if_match, etag, not_modified
from hypothesis import given
from hypothesis import strategies as st
from scim2_models import PreconditionFailedException


@given(version=st.integers(min_value=1, max_value=10**9))
def test_a_write_goes_ahead_on_its_own_version_only(version: int) -> None:
    check_if_match(None, version)
    check_if_match(etag(version), version)
    check_if_match(f'"{version}"', version)  # weak comparison
    check_if_match("*", version)
    check_if_match(f'W/"{version + 1}", {etag(version)}', version)
    with pytest.raises(PreconditionFailedException) as refused:
        check_if_match(etag(version + 1), version)
    assert refused.value.status == 412


@given(version=st.integers(min_value=1, max_value=10**9))
def test_a_read_is_not_modified_on_its_own_version(version: int) -> None:
    assert etag(version) == f'W/"{version}"'
    assert not_modified(etag(version), version)
    assert not_modified("*", version)
    assert not not_modified(None, version)
    assert not not_modified(etag(version + 1), version)
