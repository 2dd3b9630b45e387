"""How Cairn fuzzes one OpenAPI or GraphQL document on a live process: schemathesis generates
each operation's cases (valid and invalid), httpx sends them with real credentials, and
schemathesis' checks judge every answer. (schemathesis' own `requests` transport cannot run
beside urllib3-future, which caldav's niquests installs as `urllib3`.)"""

import os
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

OPENAPI_CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def budget() -> int:
    """Examples per operation: short in `make test`, long in `make fuzz` (CAIRN_FUZZ_EXAMPLES)."""
    return int(os.environ.get("CAIRN_FUZZ_EXAMPLES", "4"))


def send(http: httpx.Client, case: Any, base_url: str, headers: dict[str, str]) -> httpx.Response:
    """The case as schemathesis would send it (its `requests` keyword arguments), over httpx."""
    kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
    body: dict[str, Any] = {}
    if kwargs.get("cookies"):  # none of Cairn's operations takes one; sent as a header if so
        body["headers"] = {
            **kwargs["headers"],
            "cookie": "; ".join(f"{name}={value}" for name, value in kwargs["cookies"].items()),
        }
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body["content" if isinstance(data, bytes | str) else "data"] = data
    return http.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=body.pop("headers", kwargs.get("headers")),
        files=kwargs.get("files"),
        **body,
    )


def fuzz(
    schema: BaseSchema,
    base_url: str,
    credentials: Callable[[], dict[str, str]],
    checks: list[Any],
    *,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> list[str]:
    """Each operation's first failing case and why, for every operation of `schema`."""
    failures: list[str] = []
    with httpx.Client(timeout=30) as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            cases = st.one_of(*(operation.as_strategy(mode) for mode in modes))

            @settings(
                max_examples=budget(),
                deadline=None,
                database=None,
                # No shrinking: a failure is reported as found (with its curl), in seconds.
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=cases)
            def answers_as_documented(case: Any) -> None:
                headers = credentials()
                response = send(http, case, base_url, headers)
                case.validate_response(response, checks=checks, headers=headers)

            try:
                answers_as_documented()
            except (Exception, BaseExceptionGroup) as exc:  # every operation's, reported together
                failures.append(f"{operation.label}: {exc}")
    return failures
