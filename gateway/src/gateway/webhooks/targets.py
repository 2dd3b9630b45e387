"""Where a delivery may go: the URL rules checked when a subscription is made, and the address
rule checked at delivery time on every address a target's host resolves to, on every hop.

A webhook target is a URL an integrator chose, fetched by us from inside our network: without
these rules it is a way to reach our own services and the cloud's metadata endpoint (SSRF).
Only public (globally routable) addresses are reached, unless the tenant is allowed private
ones (an on-premises receiver), or the gateway is allowed loopback (tests, local runs)."""

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

MAX_URL: Final = 2000
SCHEMES: Final = ("https", "http")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TargetPolicy:
    allow_private: bool = False  # every non-public range (the tenant is configured for it)
    allow_loopback: bool = False  # loopback only (tests and local runs)


STRICT: Final = TargetPolicy()


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook target, or None."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in SCHEMES:
        return "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials (the signature authenticates us)"
    if parts.fragment:
        return "must not have a fragment"
    if port == 0:
        return "must not use port 0"
    if any(ch.isspace() for ch in url):
        return "must not contain spaces"
    return None


def _range_name(ip: IpAddress) -> str | None:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return None


def address_refusal(address: str, policy: TargetPolicy = STRICT) -> str | None:
    """Why a delivery may not connect to `address` (an IP literal as resolved), or None.
    An IPv4-mapped IPv6 address is judged as its IPv4 address; a 6to4 or Teredo one as itself
    and as the IPv4 address it tunnels to."""
    try:
        ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # is the IPv4 address, on the wire
            return address_refusal(str(ip.ipv4_mapped), policy)
        tunnelled = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if tunnelled is not None:  # reaches the IPv4 address too: both must pass
            inner = address_refusal(str(tunnelled), policy)
            if inner is not None:
                return inner
    name = _range_name(ip)
    if name is None or policy.allow_private:
        return None
    if name == "loopback" and policy.allow_loopback:
        return None
    return f"{ip} is a {name} address"
