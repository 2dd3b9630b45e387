"""The one settings style: pydantic-settings, one env prefix per service, no default secrets."""

from pathlib import Path

from persistence.database import default_sqlite_url
from pydantic_settings import BaseSettings


class ServiceSettings(BaseSettings):
    """Subclasses set `model_config = SettingsConfigDict(env_prefix="<SERVICE>_")`."""

    database_url: str | None = None  # unset: a SQLite file under var_dir
    var_dir: Path = Path("var")
    run_workers: bool = True  # consumer and outbox relay in this process
    service_token_public_key: str  # PEM; verifies the gateway's service tokens

    def database_url_for(self, service: str) -> str:
        return self.database_url or default_sqlite_url(self.var_dir, service)
