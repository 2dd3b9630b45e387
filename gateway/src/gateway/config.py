from pydantic import Field
from pydantic_settings import SettingsConfigDict
from runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    service_token_public_key: str = ""  # the gateway signs; it verifies nothing internal
    # PEM (Ed25519) that signs service tokens; required to serve, not for the CLI.
    service_token_private_key: str | None = None
    profiles_url: str = "http://127.0.0.1:8001"
    matching_url: str = "http://127.0.0.1:8002"
    sessions_url: str = "http://127.0.0.1:8003"
    feedback_url: str = "http://127.0.0.1:8004"
    max_webhook_bytes: int = Field(default=1024 * 1024, ge=1024)
    upstream_timeout_s: float = 5.0
    # Calls to an HRIS's own API while a delivery waits (BambooHR's employee fetch).
    hris_fetch_timeout_s: float = Field(default=10.0, gt=0)
