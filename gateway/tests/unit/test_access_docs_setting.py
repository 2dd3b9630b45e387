"""CAIRN_API_DOCS=false (production) serves no /docs, /redoc or /openapi.json, nor the GraphiQL
page; unset, they are served (local runs). One setting for every process, read where each app
is built."""

from pathlib import Path

import pytest
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from gateway.entrypoints.graphiql import GraphiQLPage
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair

DOCS = {"/docs", "/redoc", "/openapi.json", "GraphiQL"}


def paths(tmp_path: Path) -> set[str]:
    """The app's routes, and "GraphiQL" when it serves the page."""
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
        )
    )
    graphiql = {"GraphiQL"} if any(m.cls is GraphiQLPage for m in app.user_middleware) else set()
    return {getattr(route, "path", "") for route in app.routes} | graphiql


def test_api_docs_off_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_API_DOCS", "false")
    assert not paths(tmp_path) & DOCS
    monkeypatch.delenv("CAIRN_API_DOCS")
    assert paths(tmp_path) >= DOCS
