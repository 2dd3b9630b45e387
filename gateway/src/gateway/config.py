from pydantic import Field
from pydantic_settings import SettingsConfigDict
from runtime.settings import ProcessSettings


class GatewayStoreSettings(ProcessSettings):
    """The gateway's own database: all the operator CLI needs."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_")


class GatewaySettings(GatewayStoreSettings):
    """What the serving gateway needs besides its database."""

    service_token_private_key: str = Field(
        min_length=1, description="PEM (Ed25519) that signs every call to the services"
    )
    profiles_url: str = "http://127.0.0.1:8001"
    matching_url: str = "http://127.0.0.1:8002"
    max_webhook_bytes: int = Field(default=1024 * 1024, ge=1024)
    upstream_timeout_s: float = 5.0
    # Calls to an HRIS's own API while a delivery waits (BambooHR's employee fetch).
    hris_fetch_timeout_s: float = Field(default=10.0, gt=0)
