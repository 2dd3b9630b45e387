"""Which targets a delivery may reach: URLs checked when subscribing, addresses at delivery
time; loopback, link-local and private ranges refused unless allowed."""

import ipaddress

import pytest
from gateway.webhooks.targets import TargetPolicy, address_refusal, url_problem
from hypothesis import given
from hypothesis import strategies as st

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),  # the cloud's metadata endpoint
    ("fe80::1", "link-local"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("fd00::1", "private"),
    ("0.0.0.0", "unspecified"),  # noqa: S104  (an address judged, not bound)
    ("224.0.0.1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
    ("::ffff:169.254.169.254", "link-local"),
    ("2002:a00:1::", "private"),  # 6to4 carrying 10.0.0.1
    ("100.64.0.1", "non-public"),  # carrier-grade NAT
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_non_public_addresses_are_refused_by_default(address: str, kind: str) -> None:
    refusal = address_refusal(address)
    assert refusal is not None and kind in refusal


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_a_tenant_allowed_private_targets_reaches_them(address: str, kind: str) -> None:
    assert address_refusal(address, TargetPolicy(allow_private=True)) is None


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_allowing_loopback_allows_loopback_only(address: str, kind: str) -> None:
    refusal = address_refusal(address, TargetPolicy(allow_loopback=True))
    assert (refusal is None) == (kind == "loopback")


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


@given(st.ip_addresses())
def test_an_address_is_reached_exactly_when_it_is_public(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    refusal = address_refusal(str(ip))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        public = _public(ip.ipv4_mapped)
    elif isinstance(ip, ipaddress.IPv6Address) and (ip.sixtofour or ip.teredo):
        tunnelled = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        assert tunnelled is not None
        public = _public(ip) and _public(tunnelled)
    else:
        public = _public(ip)
    assert (refusal is None) == public


def test_garbage_is_not_an_address() -> None:
    assert address_refusal("example.com") is not None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://hooks.example.com/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("https:///path", "host"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https://hooks.example.com/#frag", "fragment"),
        ("https://hooks.example.com:99999/", "valid URL"),
        ("https://hooks.example.com/" + "a" * 2000, "at most"),
        ("https://hooks.example.com/a b", "spaces"),
    ],
)
def test_urls_that_cannot_be_targets(url: str, problem: str) -> None:
    found = url_problem(url)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/cairn", "http://127.0.0.1:8080/hooks?x=1", "https://[::1]/x"],
)
def test_urls_that_can(url: str) -> None:
    assert url_problem(url) is None
