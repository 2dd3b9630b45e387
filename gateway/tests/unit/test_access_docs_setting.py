"""CAIRN_API_DOCS=false (production) serves no /docs, /redoc or /openapi.json; unset, they are
served (local runs). One setting for every process, read where each app is built."""

from pathlib import Path

import pytest
from gateway.config import GatewaySettings
from gateway.entrypoints.api import create_app
from runtime.sealing import new_key
from service_auth.tokens import generate_keypair

DOCS = {"/docs", "/redoc", "/openapi.json"}


def paths(tmp_path: Path) -> set[str]:
    private_key, _ = generate_keypair()
    app = create_app(
        GatewaySettings(
            database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
            run_workers=False,
            service_token_private_key=private_key,
            sealing_keys=new_key(),
        )
    )
    return {getattr(route, "path", "") for route in app.routes}


def test_api_docs_off_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIRN_API_DOCS", "false")
    assert not paths(tmp_path) & DOCS
    monkeypatch.delenv("CAIRN_API_DOCS")
    assert paths(tmp_path) >= DOCS
