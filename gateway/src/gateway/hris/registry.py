"""The HRIS providers the gateway takes deliveries from, by the name in the webhook path.
Adding one is a module exposing PROVIDER, and its line here."""

from typing import Any

from gateway.hris import bamboohr, canonical, merge
from gateway.hris.delivery import HrisProvider

PROVIDERS: dict[str, HrisProvider[Any, Any]] = {
    provider.name: provider for provider in (canonical.PROVIDER, merge.PROVIDER, bamboohr.PROVIDER)
}


def provider_named(name: str) -> HrisProvider[Any, Any] | None:
    return PROVIDERS.get(name)
